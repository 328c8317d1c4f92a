"""The main window. Minimal until the map canvas lands: lists the catalog's layers by group."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QTreeWidget, QTreeWidgetItem

from suichang_gis.catalog import load_catalog


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("遂昌 GIS 规划工作台")
        tree = QTreeWidget()
        tree.setHeaderLabels(["图层", "精度", "来源"])
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in load_catalog():
            group = groups.get(spec.group) or QTreeWidgetItem(tree, [spec.group])
            groups[spec.group] = group
            QTreeWidgetItem(group, [spec.display_title, spec.provenance.accuracy, spec.provenance.source])
        tree.expandAll()
        self.setCentralWidget(tree)
        self.statusBar().showMessage("坐标系：CGCS2000 / 3度带 CM120E（EPSG:4549）")
