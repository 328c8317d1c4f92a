"""What every parcel reader returns, the error it raises, and text decoding shared by readers."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd


class ParcelImportError(ValueError):
    """A parcel file that cannot be imported; the message is Chinese and names file and place."""


@dataclass(frozen=True)
class Skipped:
    """One element of a file that did not become a parcel: where it is and why (Chinese)."""

    place: str  # e.g. "第 3 个地标（乙地块）" or "第 12 行"
    reason: str


@dataclass
class ImportResult:
    """Parcels in EPSG:4549 (conformed) plus Chinese notes and an account of the file.

    The account: ``seen`` elements (features, placemarks, entities, parcels of a TXT) of which
    ``imported`` became parcels and each of ``skipped`` was left out with its reason, so that
    ``seen == imported + len(skipped)`` always holds.
    """

    parcels: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    source: Path | None = None
    seen: int | None = None
    skipped: list[Skipped] = field(default_factory=list)
    what: str = "要素"

    def __post_init__(self) -> None:
        if self.seen is None:
            self.seen = len(self.parcels) + len(self.skipped)

    @property
    def imported(self) -> int:
        """How many parcels the file gave (elements seen minus those skipped)."""
        return len(self.parcels)

    def account(self) -> str:
        """'共 5 个地标，导入 4 个地块，跳过 1 个' (Chinese, one line)."""
        text = f"共 {self.seen} 个{self.what}，导入 {self.imported} 个地块"
        return text + (f"，跳过 {len(self.skipped)} 个" if self.skipped else "")

    def account_notes(self) -> list[str]:
        """Notes for a check report: the account and each skipped element (if any), then the notes."""
        name = self.source.name if self.source else "文件"
        skipped = [f"{name}：{self.account()}"] + [f"{name}：跳过{s.place}：{s.reason}" for s in self.skipped]
        return (skipped if self.skipped else []) + list(self.notes)

    def report(self, extra_notes=()) -> str:
        """A Chinese report for the user: the account, every skipped element, then the notes
        (and ``extra_notes``, e.g. ids renamed when the parcels joined a project).
        """
        head = f"{self.source.name if self.source else '文件'}：{self.account()}"
        lines = [f"· 跳过{' ' if s.place[:1].isascii() else ''}{s.place}：{s.reason}" for s in self.skipped] + [f"· {n}" for n in (*self.notes, *extra_notes)]
        if not lines:
            return head + "，未发现需要修正的问题。"
        return head + "。\n" + "\n".join(lines)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, path: Path, notes: list[str], encoding: str | None = None) -> str:
    """Decode a text file: UTF-16/32 with a BOM, UTF-8 (with or without BOM), else GBK/GB18030.

    ``encoding`` (the user's choice) overrides the detection. Never returns mojibake: bytes
    that fit no encoding raise ``ParcelImportError`` naming the line.
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParcelImportError(f"{path.name}：无法按您指定的编码“{encoding}”读取（{exc}）") from exc
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as exc:
                raise ParcelImportError(f"{path.name}：文件以 {name.upper()} 标记开头，但内容不是有效的 "
                                        f"{name.upper()}") from exc
            notes.append(f"{path.name}：文件编码为 {name.upper()}（带 BOM），已按 {name.upper()} 读取")
            return text
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
    """The file's bytes, or ``ParcelImportError`` naming it (missing, unreadable)."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ParcelImportError(f"找不到文件 {path}") from exc
    except IsADirectoryError as exc:
        raise ParcelImportError(f"{path.name} 是文件夹，不是地块文件") from exc
    except OSError as exc:
        raise ParcelImportError(f"无法读取 {path.name}：{exc.strerror}") from exc
