"""The layer tree: catalog groups with check boxes, drag to reorder, opacity, properties.

The tree shows each group's layers top-drawn first (as QGIS does). It reads and edits the map
model the canvas draws (``suichang_gis.map_model.MapModel``: order, visibility, opacity), so the
print dialog and the project file see the same choices; the canvas redraws on the model's change.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QMenu,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from suichang_gis.catalog import GROUPS

LAYER_ID_ROLE = Qt.ItemDataRole.UserRole
SCHEMATIC_TIP = "示意图层：位置与范围仅为示意，由规划文字推定，不可作为权威依据"
SCHEMATIC_COLOUR = "#b8860b"  # the amber of the legend's and the map's 示意 marks


def schematic_icon(size: int = 16) -> QIcon:
    """A dashed amber badge with “示”: marks a schematic layer without greying it out."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(SCHEMATIC_COLOUR), 1.2, Qt.PenStyle.DashLine))
    painter.setBrush(QColor("#fff3cd"))
    rect = QRectF(0.5, 0.5, size - 1, size - 1)
    painter.drawRoundedRect(rect, 3, 3)
    font = QFont(painter.font())
    font.setPixelSize(int(size * 0.75))
    painter.setFont(font)
    painter.setPen(QColor("#7a5a00"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "示")
    painter.end()
    return QIcon(pixmap)


def _blank_icon(size: int = 16) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)


def group_order(group: str) -> int:
    return GROUPS.index(group) if group in GROUPS else len(GROUPS)


class LayerTreeWidget(QTreeWidget):
    """Groups → layers; check boxes toggle visibility, drag within a group reorders."""

    zoom_requested = Signal(str)
    replace_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.model = canvas.model
        self.setHeaderHidden(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.invisibleRootItem().setFlags(Qt.ItemFlag.ItemIsEnabled)  # layers stay in groups
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.itemChanged.connect(self._item_changed)
        self.itemDoubleClicked.connect(self._double_clicked)
        self._syncing = False
        self._schematic_icon, self._blank_icon = schematic_icon(), _blank_icon()
        canvas.layers_changed.connect(self.rebuild)
        self.rebuild()

    # --- building -----------------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-read groups, order, titles and visibility from the map model."""
        if self._syncing:
            return
        self._syncing = True
        self.blockSignals(True)
        expanded = {self.topLevelItem(i).text(0): self.topLevelItem(i).isExpanded()
                    for i in range(self.topLevelItemCount())}
        self.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        layers = list(reversed(list(self.model)))  # top first
        for group in sorted({layer.spec.group for layer in layers}, key=group_order):
            item = QTreeWidgetItem(self, [group])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsDropEnabled | Qt.ItemFlag.ItemIsAutoTristate)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            groups[group] = item
        for layer in layers:
            spec = layer.spec
            item = QTreeWidgetItem(groups[spec.group], [spec.display_title])
            item.setData(0, LAYER_ID_ROLE, spec.id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            tip = f"{spec.display_title}\n精度：{spec.provenance.accuracy}\n来源：{spec.provenance.source}"
            if layer.opacity < 1:
                tip += f"\n不透明度：{layer.opacity:.0%}"
            if spec.schematic:  # an icon and a tooltip; the text stays black (it is not disabled)
                item.setIcon(0, self._schematic_icon)
                tip = f"{SCHEMATIC_TIP}\n{tip}"
            else:
                item.setIcon(0, self._blank_icon)  # titles stay aligned
            item.setToolTip(0, tip)
        for name, item in groups.items():
            item.setExpanded(expanded.get(name, True))
        self.blockSignals(False)
        self._syncing = False

    def layer_item(self, layer_id: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, LAYER_ID_ROLE) == layer_id:
                    return group.child(j)
        return None

    def group_titles(self) -> list[str]:
        return [self.topLevelItem(i).text(0) for i in range(self.topLevelItemCount())]

    # --- edits --------------------------------------------------------------------------
    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._syncing:
            return
        layer_id = item.data(0, LAYER_ID_ROLE)
        if layer_id is None:
            return
        self._syncing = True
        try:
            self.model.set_visible(layer_id, item.checkState(0) == Qt.CheckState.Checked)
        finally:
            self._syncing = False

    def dropEvent(self, event):
        super().dropEvent(event)
        self.apply_tree_order()

    def apply_tree_order(self) -> None:
        """Write the tree's order back: each group's layers keep the group's slots in the
        canvas order; a layer dropped into another group goes back where it was."""
        layers = list(self.model)
        group_of = {layer.id: layer.spec.group for layer in layers}
        order = [layer.id for layer in layers]  # bottom first
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            ids = [group.child(j).data(0, LAYER_ID_ROLE) for j in range(group.childCount())]
            ids = [layer_id for layer_id in ids if group_of.get(layer_id) == group.text(0)]
            slots = sorted(order.index(layer_id) for layer_id in ids)
            for slot, layer_id in zip(slots, reversed(ids)):
                order[slot] = layer_id
        self.model.set_order(order)
        self.rebuild()

    def move_layer_up(self, layer_id: str) -> None:
        """Draw the layer above the next layer of its group."""
        self._swap_in_group(layer_id, +1)

    def move_layer_down(self, layer_id: str) -> None:
        self._swap_in_group(layer_id, -1)

    def _swap_in_group(self, layer_id: str, step: int) -> None:
        layers = list(self.model)
        order = [layer.id for layer in layers]
        group = {layer.id: layer.spec.group for layer in layers}
        same = [i for i, other in enumerate(order) if group[other] == group.get(layer_id)]
        if layer_id not in order:
            return
        position = same.index(order.index(layer_id))
        target = position + step
        if 0 <= target < len(same):
            a, b = same[position], same[target]
            order[a], order[b] = order[b], order[a]
            self.model.set_order(order)

    def set_opacity_dialog(self, layer_id: str) -> None:
        layer = self.model.get(layer_id)
        value, ok = QInputDialog.getInt(self, "图层不透明度", f"{layer.spec.display_title} 不透明度（%）：",
                                        round(layer.opacity * 100), 0, 100, 5)
        if ok:
            self.model.set_opacity(layer_id, value / 100)

    def show_properties(self, layer_id: str) -> None:
        LayerPropertiesDialog(self.model.get(layer_id), self).exec()

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        layer_id = item.data(0, LAYER_ID_ROLE)
        if layer_id is not None:
            self.show_properties(layer_id)

    def _context_menu(self, pos) -> None:
        item = self.itemAt(pos)
        layer_id = item.data(0, LAYER_ID_ROLE) if item else None
        if layer_id is None:
            return
        menu = QMenu(self)
        menu.addAction("缩放至图层", lambda: self.zoom_requested.emit(layer_id))
        menu.addAction("上移一层", lambda: self.move_layer_up(layer_id))
        menu.addAction("下移一层", lambda: self.move_layer_down(layer_id))
        menu.addAction("不透明度…", lambda: self.set_opacity_dialog(layer_id))
        menu.addAction("属性与来源…", lambda: self.show_properties(layer_id))
        menu.addSeparator()
        menu.addAction("用权威数据文件替换…", lambda: self.replace_requested.emit(layer_id))
        menu.addAction("移除图层", lambda: self.remove_requested.emit(layer_id))
        menu.exec(self.viewport().mapToGlobal(pos))


def layer_properties_html(state) -> str:
    """Provenance, accuracy and content of a layer (a map model ``LayerState``) as an HTML table."""
    layer = state.layer
    spec, prov = layer.spec, layer.spec.provenance
    gdf = layer.gdf
    missing = int(gdf.geometry.isna().sum() + gdf.geometry.is_empty.sum()) if len(gdf) else 0
    rows = [
        ("图层", spec.display_title), ("编号", spec.id), ("分组", spec.group),
        ("几何类型", spec.geometry_type), ("要素数", f"{len(gdf)}（其中无几何 {missing}）"),
        ("精度", prov.accuracy + ("：示意数据，不可作为权威依据" if spec.schematic else "")),
        ("来源", prov.source), ("制作方法", prov.method), ("许可", prov.licence),
        ("署名", prov.attribution or "—"), ("专栏", "、".join(spec.zhuanlan) or "—"),
        ("数据版本", spec.version), ("数据文件", spec.data.name),
        ("几何修复", "；".join(layer.repairs) or "无"), ("说明", spec.description or "—"),
    ]
    body = "".join(f"<tr><th align='left' valign='top'>{html.escape(k)}</th>"
                   f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table cellspacing='4'>{body}</table>"


class LayerPropertiesDialog(QDialog):
    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"图层属性 — {state.spec.display_title}")
        self.resize(560, 440)
        browser = QTextBrowser()
        browser.setHtml(layer_properties_html(state))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
