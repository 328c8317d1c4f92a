"""The attribute form of one parcel: every parcel field, validated as it is typed.

Numbers are checked against the ranges of ``suichang_gis.parcel`` (the same check the core
applies); empty means unknown. 行业 is chosen from a searchable GB/T 4754-2017 list (type a code
or part of a name). ``values()`` returns only the fields that changed, for one undoable edit.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QCompleter, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from suichang_gis.industry import find_industry, load_industries
from suichang_gis.parcel import INDUSTRIAL_CATEGORIES, PARCEL_FIELDS, validate_parcel_values
from suichang_gis.units import format_area

INVALID_STYLE = "border: 1px solid #d62728; background: #fff0f0;"


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


class IndustryBox(QComboBox):
    """Editable combo over the 行业 table; typing filters by code or any part of the name."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItem("", None)
        for industry in load_industries():
            indent = {"门类": "", "大类": "  ", "中类": "    "}[industry.level]
            self.addItem(f"{indent}{industry.label}", industry.code)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.lineEdit().setPlaceholderText("输入代码或名称搜索，例如 C33 或 金属")

    def set_code(self, code: str | None) -> None:
        index = self.findData(code.strip().upper()) if code else 0
        if index < 0 and code:  # a code not in the table stays as typed
            self.setEditText(code)
        else:
            self.setCurrentIndex(max(index, 0))

    def code(self) -> str | None:
        """The chosen code; typed text is looked up; None when empty."""
        text = self.currentText().strip()
        if not text:
            return None
        data = self.currentData()
        if data and self.itemText(self.currentIndex()).strip() == text:
            return data
        first = text.split()[0]
        found = find_industry(first)
        return found.code if found else first


class AttributeForm(QDialog):
    """Edit one parcel's attributes; OK is enabled only while every value is valid."""

    def __init__(self, row, parent: QWidget | None = None):
        super().__init__(parent)
        self.row = row
        self.setWindowTitle(f"地块属性：{_text(row.get('parcel_id'))} {_text(row.get('name'))}".strip())
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        area = row.geometry.area if getattr(row, "geometry", None) is not None else None
        if area is not None:
            form.addRow("面积", QLabel(format_area(area) + "（平面面积，EPSG:4549）"))
        for f in PARCEL_FIELDS:
            if f.name == "industry_name":
                continue  # follows the code
            label = f"{f.label}（{f.unit}）" if f.unit else f.label
            if f.name == "industry_code":
                widget = IndustryBox(self)
                widget.set_code(_text(row.get(f.name)) or None)
                widget.currentTextChanged.connect(self._validate)
                label = "行业（GB/T 4754-2017）"
            elif f.name == "industrial_category":
                widget = QComboBox(self)
                widget.addItems(["", *INDUSTRIAL_CATEGORIES])
                widget.setCurrentText(_text(row.get(f.name)))
                widget.currentTextChanged.connect(self._validate)
            else:
                widget = QLineEdit(_text(row.get(f.name)), self)
                if f.kind == "number":
                    widget.setPlaceholderText("未知" if f.maximum is None else f"{f.minimum:g}～{f.maximum:g}，未知留空")
                    widget.setAlignment(Qt.AlignmentFlag.AlignRight)
                widget.textChanged.connect(self._validate)
            widget.setObjectName(f.name)
            self.editors[f.name] = widget
            form.addRow(label, widget)
        self.problems_label = QLabel()
        self.problems_label.setStyleSheet("color: #d62728;")
        self.problems_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        self._validate()

    def _raw(self) -> dict[str, str | None]:
        raw = {}
        for name, widget in self.editors.items():
            if isinstance(widget, IndustryBox):
                raw[name] = widget.code()
            elif isinstance(widget, QComboBox):
                raw[name] = widget.currentText()
            else:
                raw[name] = widget.text()
        return raw

    def problems(self) -> dict[str, str]:
        return validate_parcel_values(self._raw())

    def _validate(self) -> None:
        problems = self.problems()
        for name, widget in self.editors.items():
            widget.setStyleSheet(INVALID_STYLE if name in problems else "")
        self.problems_label.setText("\n".join(problems.values()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)

    def values(self) -> dict:
        """Changed fields only, numbers as float, empty as None; 行业名称 follows 行业代码."""
        changed = {}
        kinds = {f.name: f.kind for f in PARCEL_FIELDS}
        for name, text in self._raw().items():
            text = (text or "").strip()
            if kinds[name] == "number":
                value = float(text.replace(",", "")) if text else math.nan
                old = self.row.get(name)
                same = (math.isnan(value) and (old is None or (isinstance(old, float) and math.isnan(old)))) or value == old
            else:
                value = text or None
                same = value == (_text(self.row.get(name)) or None)
            if not same:
                changed[name] = value
        if "industry_code" in changed:
            found = find_industry(changed["industry_code"]) if changed["industry_code"] else None
            changed["industry_name"] = found.name if found else None
        return changed
