"""The CJK font shipped by the mplfonts package, registered with matplotlib (Qt does its own)."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file shipped by ``mplfonts`` (Chinese without system fonts).

    Found without importing ``mplfonts``, whose ``__init__`` imports matplotlib and pandas
    (0.3–0.45 s at the window's start).
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("缺少中文字体包 mplfonts：请重新安装本软件的依赖")
    path = Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise FileNotFoundError(f"缺少中文字体文件 {path.name}：请重新安装 mplfonts")
    return path


@lru_cache(maxsize=1)
def register_matplotlib_font() -> str:
    """Add the CJK font to matplotlib and make it the default sans-serif; return its family."""
    from matplotlib import font_manager, rcParams

    font_manager.fontManager.addfont(str(cjk_font_path()))
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [CJK_FAMILY, *rcParams["font.sans-serif"]]
    rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212 glyph
    return CJK_FAMILY
