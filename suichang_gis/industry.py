"""The 国民经济行业分类 (GB/T 4754-2017) codes a parcel's 行业 is chosen from.

The table lives in ``resources/industries_gbt4754_2017.toml`` (a subset: see its header).
Codes carry the section letter (``C33``, ``C336``), as the 准入清单 rules match them by prefix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Industry:
    """One class of GB/T 4754-2017 国民经济行业分类: code, Chinese name and level (门类/大类/中类)."""

    code: str
    name: str
    level: str  # 门类 | 大类 | 中类

    @property
    def label(self) -> str:
        """Code and name as shown in lists, e.g. "C33 金属制品业"."""
        return f"{self.code} {self.name}"


@lru_cache(maxsize=1)
def load_industries() -> tuple[Industry, ...]:
    """Every class of GB/T 4754-2017 from ``resources/industries_gbt4754_2017.toml`` (cached)."""
    from resources import RESOURCES_DIR

    with open(RESOURCES_DIR / "industries_gbt4754_2017.toml", "rb") as handle:
        table = tomllib.load(handle)
    return tuple(Industry(str(e["code"]), e["name"], e["level"]) for e in table["industry"])


def find_industry(code: str) -> Industry | None:
    """The entry for ``code`` (case and blanks ignored); a bare number gets its section letter."""
    wanted = str(code).strip().upper()
    by_code = {i.code: i for i in load_industries()}
    if wanted in by_code:
        return by_code[wanted]
    return next((i for i in load_industries() if i.code[1:] == wanted and i.level != "门类"), None)


def search_industries(text: str) -> list[Industry]:
    """Entries whose code starts with, or whose name contains, ``text``."""
    text = text.strip().upper()
    return [i for i in load_industries() if not text or i.code.startswith(text) or i.code[1:].startswith(text)
            or text in i.name]
