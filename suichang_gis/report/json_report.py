"""The JSON contract of the check (``CheckResult.to_dict()``), written as UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

from ..check.model import CheckResult

# Indented JSON goes through Python's slow encoder: only for results a person reads.
INDENT_UP_TO_PARCELS = 50


def write_json(result: CheckResult, out: Path) -> None:
    """Write the JSON contract; large results are streamed parcel by parcel."""
    out = Path(out)
    tmp = out.with_suffix(out.suffix + ".tmp")
    if len(result.parcels) <= INDENT_UP_TO_PARCELS:
        tmp.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        head = json.dumps({**result.to_dict(include_parcels=False), "parcels": None}, ensure_ascii=False)
        assert head.endswith("null}")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(head[:-len("null}")] + "[\n")
            for k, parcel in enumerate(result.parcels):
                f.write(("," if k else "") + json.dumps(parcel.to_dict(), ensure_ascii=False, separators=(",", ":"))
                        + "\n")
            f.write("]}\n")
    tmp.replace(out)  # never leave a half-written report behind
