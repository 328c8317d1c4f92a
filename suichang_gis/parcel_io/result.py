"""What every parcel reader returns, the error it raises, and text decoding shared by readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd


class ParcelImportError(ValueError):
    """A parcel file that cannot be imported; the message is Chinese and names file and place."""


@dataclass
class ImportResult:
    """Parcels in EPSG:4549 (conformed) plus Chinese notes on what was fixed or is doubtful."""

    parcels: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    source: Path | None = None

    def report(self) -> str:
        """A short Chinese report for the user: count, then one line per note."""
        head = f"{self.source.name if self.source else '文件'}：导入 {len(self.parcels)} 个地块"
        if not self.notes:
            return head + "，未发现需要修正的问题。"
        return head + "。\n" + "\n".join(f"· {n}" for n in self.notes)


def decode_text(data: bytes, path: Path, notes: list[str]) -> str:
    """Decode a text file that is UTF-8 (with or without BOM) or GBK/GB18030, never mojibake."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ParcelImportError(f"{path.name}：无法识别文件编码（既不是 UTF-8 也不是 GBK），"
                                f"第 {line} 行有无效字节") from exc
    notes.append(f"{path.name}：文件编码为 GBK（GB18030），已按 GBK 读取")
    return text


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ParcelImportError(f"找不到文件 {path}") from exc
    except OSError as exc:
        raise ParcelImportError(f"无法读取 {path.name}：{exc.strerror}") from exc
