"""Report header settings (报告编号 pattern, 核查单位, 制表人/核查人/审核人, seal) from a small TOML
the land bureau edits (``resources/report_settings.toml`` by default), and the report number.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..check.model import BEIJING, CheckResult

# The software never signs for the bureau: a unit naming the tool is refused.
_SOFTWARE_NAMES = ("遂昌 GIS", "遂昌GIS", "suichang-gis", "suichang_gis", "规划工作台")


@dataclass(frozen=True)
class ReportSettings:
    """What the report header and signature block say; empty strings print as blank lines."""

    number_pattern: str = "HC-{time:%Y%m%d-%H%M%S}"
    unit: str = ""  # 核查单位
    preparer: str = ""  # 制表人
    checker: str = ""  # 核查人
    reviewer: str = ""  # 审核人
    seal: bool = True  # leave space for the seal

    def signatures(self) -> list[tuple[str, str]]:
        """(label, name) of the signature lines, in the order a filed report shows them."""
        return [("制表人", self.preparer), ("核查人", self.checker), ("审核人", self.reviewer)]


def default_settings_path() -> Path:
    """The shipped ``resources/report_settings.toml``."""
    from resources import RESOURCES_DIR

    return RESOURCES_DIR / "report_settings.toml"


def load_report_settings(path: Path | None = None) -> ReportSettings:
    """Read the [report] table of ``path`` (default: the shipped file).

    Raises ``ValueError`` with a Chinese message naming the file (and line for TOML errors).
    """
    path = Path(path) if path else default_settings_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"报告设置文件 {path} 无法读取：{exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ValueError(f"报告设置文件 {path.name} {'第 ' + m.group(1) + ' 行' if m else ''}格式错误（TOML）：{exc}") \
            from exc
    table = raw.get("report", {})
    known = set(ReportSettings.__dataclass_fields__)
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"报告设置文件 {path.name}：[report] 中有未知的键 {'、'.join(unknown)}")
    settings = ReportSettings(**{k: (bool(v) if k == "seal" else str(v).strip()) for k, v in table.items()})
    if any(name.lower() in settings.unit.lower() for name in _SOFTWARE_NAMES):
        raise ValueError(f"报告设置文件 {path.name}：核查单位应为出具报告的单位，不能是软件名称“{settings.unit}”")
    report_number(settings, "2026-01-01T00:00:00+08:00")  # a bad pattern fails here, naming the file
    return settings


def report_number(settings: ReportSettings, generated: str, history: list[str] = ()) -> str:
    """The 报告编号 of a run at ``generated`` (ISO time) given the numbers already in the history.

    ``{seq}`` is one more than the runs in ``history``; a number already there gets "-2", "-3" ….
    Raises ``ValueError`` (Chinese) for a pattern that cannot be formatted.
    """
    time = datetime.fromisoformat(generated).astimezone(BEIJING)
    try:
        number = settings.number_pattern.format(time=time, seq=len(history) + 1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"报告编号格式“{settings.number_pattern}”无效：只能使用 {{time}} 与 {{seq}}（{exc}）") from exc
    taken, unique, k = set(history), number, 1
    while unique in taken:
        k += 1
        unique = f"{number}-{k}"
    return unique


def history_numbers(history) -> list[str]:
    """The report numbers kept in a project's check history (``Project.check_history``: the
    ``summary`` JSON of each run carries its ``report_number``).
    """
    import json

    if history is None or "summary" not in getattr(history, "columns", ()):
        return []
    numbers = []
    for summary in history["summary"]:
        try:
            number = json.loads(summary).get("report_number") if isinstance(summary, str) else None
        except (ValueError, AttributeError):
            number = None
        if number:
            numbers.append(str(number))
    return numbers


def assign_report_number(result: CheckResult, settings: ReportSettings, history: list[str] = ()) -> str:
    """Give ``result`` its 报告编号 unless it has one; return it."""
    if not result.report_number:
        result.report_number = report_number(settings, result.generated, list(history))
    return result.report_number
