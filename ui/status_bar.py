"""Status bar: cursor position in EPSG:4549 and lon/lat, the editable 1:N scale, the CRS."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QStatusBar

from suichang_gis.crs import to_lonlat
from suichang_gis.mapview import format_scale, parse_scale

CRS_TEXT = "CGCS2000 / 3度带 CM120E（EPSG:4549）"


class MapStatusBar(QStatusBar):
    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.position_label = QLabel("X: —  Y: —")
        self.lonlat_label = QLabel("经度: —  纬度: —")
        self.scale_edit = QLineEdit()
        self.scale_edit.setFixedWidth(120)
        self.scale_edit.setToolTip("输入比例尺（如 1:50000）后回车")
        self.crs_label = QLabel(CRS_TEXT)
        self.addPermanentWidget(self.position_label)
        self.addPermanentWidget(self.lonlat_label)
        self.addPermanentWidget(QLabel("比例尺"))
        self.addPermanentWidget(self.scale_edit)
        self.addPermanentWidget(self.crs_label)
        canvas.cursor_moved.connect(self.show_position)
        canvas.view_changed.connect(self.show_scale)
        self.scale_edit.returnPressed.connect(self._scale_entered)
        self.show_scale(canvas.view)  # the position once the cursor is on the map (lon/lat needs pyproj)

    def show_position(self, x: float, y: float) -> None:
        lon, lat = to_lonlat(x, y)
        self.position_label.setText(f"X: {x:,.1f}  Y: {y:,.1f}")
        self.lonlat_label.setText(f"经度: {lon:.5f}°  纬度: {lat:.5f}°")

    def show_scale(self, view) -> None:
        if not self.scale_edit.hasFocus():
            self.scale_edit.setText(format_scale(view.scale))

    def _scale_entered(self) -> None:
        try:
            scale = parse_scale(self.scale_edit.text())
        except ValueError as exc:
            self.showMessage(str(exc), 5000)
            self.scale_edit.setText(format_scale(self.canvas.view.scale))
            return
        self.canvas.set_scale(scale)
        self.scale_edit.clearFocus()
        self.scale_edit.setText(format_scale(self.canvas.view.scale))
