"""The JSON contract of the check (``CheckResult.to_dict()``), written as UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

from ..check.model import CheckResult


def write_json(result: CheckResult, out: Path) -> None:
    text = json.dumps(result.to_dict(), ensure_ascii=False, indent=1)
    tmp = Path(out).with_suffix(out.suffix + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(out)  # never leave a half-written report behind
