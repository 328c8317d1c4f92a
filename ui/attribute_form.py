"""The attribute form of one parcel: every parcel field, validated as it is typed.

Numbers are checked against the ranges of ``suichang_gis.parcel`` (the same check the core
applies); empty means unknown. 行业 is chosen from a searchable GB/T 4754-2017 list (type a code
or part of a name); 工业项目类别 shows the definition of the chosen class from the rule set.
``last_values`` (the values of the last parcel the user filled in) are offered through
沿用上次的值. ``values()`` returns only the fields that changed, for one undoable edit.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from suichang_gis.field_labels import PARCEL_LABELS
from suichang_gis.industry import find_industry, load_industries
from suichang_gis.parcel import INDUSTRIAL_CATEGORIES, PARCEL_FIELDS, validate_parcel_values
from suichang_gis.units import format_area

INVALID_STYLE = "border: 1px solid #d62728; background: #fff0f0;"
NOT_OFFERED = ("parcel_id", "name", "industry_name")  # a parcel's identity is never copied over


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


def offered_values(row) -> dict:
    """The filled parcel fields of ``row`` that 沿用上次的值 may offer (plain JSON values)."""
    values = {}
    for f in PARCEL_FIELDS:
        value = row.get(f.name)
        if f.name in NOT_OFFERED or not _text(value):
            continue
        values[f.name] = float(value) if f.kind == "number" else str(value)
    return values


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

    def __init__(self, row, parent: QWidget | None = None, definitions: dict[str, str] | None = None,
                 last_values: dict | None = None):
        super().__init__(parent)
        self.row = row
        self.definitions = definitions or {}
        self.last_values = {k: v for k, v in (last_values or {}).items()
                            if k not in NOT_OFFERED and _text(v)}
        self.setWindowTitle(f"地块属性：{_text(row.get('parcel_id'))} {_text(row.get('name'))}".strip())
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        area = row.geometry.area if getattr(row, "geometry", None) is not None else None
        if area is not None:
            form.addRow("面积", QLabel(format_area(area) + "（平面面积，EPSG:4549）"))
        for f in PARCEL_FIELDS:
            if f.name == "industry_name":
                continue  # follows the code
            label = PARCEL_LABELS[f.name]
            if f.name == "industry_code":
                widget = IndustryBox(self)
                widget.set_code(_text(row.get(f.name)) or None)
                widget.currentTextChanged.connect(self._validate)
                label = "行业（GB/T 4754-2017）"
            elif f.name == "industrial_category":
                widget = QComboBox(self)
                widget.addItems(["", *INDUSTRIAL_CATEGORIES])
                for i, category in enumerate(INDUSTRIAL_CATEGORIES, start=1):
                    if category in self.definitions:
                        widget.setItemData(i, self.definitions[category], Qt.ItemDataRole.ToolTipRole)
                widget.setCurrentText(_text(row.get(f.name)))
                widget.currentTextChanged.connect(self._validate)
                widget.currentTextChanged.connect(self._show_definition)
            else:
                widget = QLineEdit(_text(row.get(f.name)), self)
                if f.kind == "number":
                    widget.setPlaceholderText("未知" if f.maximum is None else f"{f.minimum:g}～{f.maximum:g}，未知留空")
                    widget.setAlignment(Qt.AlignmentFlag.AlignRight)
                widget.textChanged.connect(self._validate)
            widget.setObjectName(f.name)
            self.editors[f.name] = widget
            form.addRow(label, widget)
            if f.name == "industrial_category":
                self.category_help = QLabel(self)
                self.category_help.setWordWrap(True)
                self.category_help.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.category_help.setStyleSheet("color: #555;")
                self.category_help.setToolTip("\n".join(f"{k}：{v}" for k, v in self.definitions.items()))
                # Room for a wrapped definition from the start: a label that grows later overlaps the next row.
                self.category_help.setMinimumHeight(self.category_help.fontMetrics().lineSpacing() * 2 + 4)
                form.addRow("", self.category_help)
                self._show_definition(widget.currentText())
        self.problems_label = QLabel()
        self.problems_label.setStyleSheet("color: #d62728;")
        self.problems_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.fill_last_button = QPushButton("沿用上次的值")
        self.fill_last_button.setToolTip("把上一个地块填写的值填入本表中空着的项：\n" + "\n".join(
            f"{PARCEL_LABELS.get(k, k)}：{_text(v)}" for k, v in self.last_values.items()))
        self.fill_last_button.setEnabled(bool(self.last_values))
        self.fill_last_button.clicked.connect(self.fill_last_values)
        self.buttons.addButton(self.fill_last_button, QDialogButtonBox.ButtonRole.ResetRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        self._validate()

    def _show_definition(self, category: str) -> None:
        text = self.definitions.get(category, "")
        self.category_help.setText(text if text else "一类、二类、三类的含义见下拉项的提示" if self.definitions else "")
        width = self.category_help.width()
        if self.category_help.isVisible():  # laid out: make sure every wrapped line of this definition shows
            needed = self.category_help.heightForWidth(width)
            if needed > self.category_help.minimumHeight():
                self.category_help.setMinimumHeight(needed)

    def fill_last_values(self) -> None:
        """Put the last parcel's values into the fields that are still empty."""
        raw = self._raw()
        for name, value in self.last_values.items():
            widget = self.editors.get(name)
            if widget is None or raw.get(name):
                continue
            if isinstance(widget, IndustryBox):
                widget.set_code(_text(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(_text(value))
            else:
                widget.setText(_text(value))

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
