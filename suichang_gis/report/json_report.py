"""The JSON contract of the check (``CheckResult.to_dict()``), written as UTF-8 with orjson.

A result of 10,000 parcels is some 150 MB of JSON: orjson writes it in a fraction of the time
the standard library takes, parcel by parcel so the whole text is never held at once.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from ..check.model import CheckResult

# Results a person reads are indented; large ones are compact.
INDENT_UP_TO_PARCELS = 50
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def _dumps(value, indent: bool = False) -> bytes:
    return orjson.dumps(value, default=str, option=_OPTIONS | (orjson.OPT_INDENT_2 if indent else 0))


def write_json(result: CheckResult, out: Path) -> None:
    """Write the JSON contract; large results are streamed parcel by parcel."""
    out = Path(out)
    tmp = out.with_suffix(out.suffix + ".tmp")
    if len(result.parcels) <= INDENT_UP_TO_PARCELS:
        tmp.write_bytes(_dumps(result.to_dict(), indent=True) + b"\n")
    else:
        head = _dumps({**result.to_dict(include_parcels=False), "parcels": None})
        assert head.endswith(b"null}")
        with tmp.open("wb") as f:
            f.write(head[:-len(b"null}")] + b"[\n")
            for k, parcel in enumerate(result.parcels):
                f.write((b"," if k else b"") + _dumps(parcel.to_dict()) + b"\n")
            f.write(b"]}\n")
    tmp.replace(out)  # never leave a half-written report behind


def read_findings(path: Path):
    """(parcel id, finding dict) for every finding of a JSON report written by ``write_json``."""
    data = orjson.loads(Path(path).read_bytes())
    for parcel in data["parcels"]:
        for finding in parcel["findings"]:
            yield parcel["id"], finding
