"""The CJK font shipped by the mplfonts package, registered with matplotlib (Qt does its own)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file shipped by ``mplfonts`` (Chinese without system fonts)."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
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
