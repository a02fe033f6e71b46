"""Finding a font that has Chinese glyphs, for PDF route sheets and matplotlib figures.

Station and point names are Chinese; a Latin-only font would print them as empty boxes. A font
is accepted only if its character map covers :data:`CJK_PROBE` (common characters of waste
names). Search order:

1. the file named by the environment variable ``WASTEOPT_CJK_FONT`` (``path`` or ``path:index``
   for a face of a TrueType collection);
2. known install paths of Debian's font packages, TrueType outlines first (``fonts-wqy-microhei``,
   ``fonts-wqy-zenhei``, then ``fonts-noto-cjk``, ``fonts-arphic-*``);
3. ``fc-match :lang=zh-cn`` (fontconfig), checked the same way.

TrueType (``glyf``) outlines are preferred because both fpdf2 and matplotlib embed them as
subsets. If nothing is found, :class:`CjkFontMissing` says what to install.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont  # a dependency of matplotlib and fpdf2
from matplotlib import font_manager

from wasteopt.errors import WasteoptError

__all__ = [
    "CJK_PROBE",
    "CjkFont",
    "CjkFontMissing",
    "find_cjk_font",
    "matplotlib_cjk",
    "missing_glyphs",
]

log = logging.getLogger("wasteopt")

CJK_PROBE = "垃圾站厨余其他可回收物有害转运车场点西东中心"
"""Characters every accepted font must have (a Latin-only or Japanese-kana-only font fails)."""

ENV_VAR = "WASTEOPT_CJK_FONT"

# (path, face index): Debian package file locations, TrueType outlines first.
KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)

INSTALL_HINT = (
    "install a Chinese font, e.g. `apt-get install fonts-wqy-microhei` (Debian/Ubuntu), "
    f"or set {ENV_VAR}=/path/to/font.ttf[:face-index]"
)


class CjkFontMissing(WasteoptError):
    """No installed font covers Chinese characters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CjkFont:
    """An installed font file (``index``: face in a ``.ttc`` collection) with Chinese glyphs.
    ``family`` is the name matplotlib knows it by; ``truetype`` is true for ``glyf`` outlines."""

    path: Path
    index: int
    family: str
    truetype: bool


def _cmap(path: Path, index: int) -> tuple[set[int], bool, str]:
    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        family = font["name"].getBestFamilyName() or path.stem
        return set(cmap), "glyf" in font, family


def missing_glyphs(font: CjkFont, text: str) -> list[str]:
    """The distinct non-space characters of ``text`` that ``font`` has no glyph for."""
    codes, _, _ = _cmap(font.path, font.index)
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in codes})


def _candidates() -> Iterator[tuple[Path, int, str]]:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path, sep, face = env.rpartition(":")
        if not (sep and face.isdigit()):
            path, face = env, "0"
        yield Path(path), int(face), f"${ENV_VAR}"
    for path, idx in KNOWN_FONTS:
        yield Path(path), idx, "known path"
    yield from _fc_match()


def _fc_match() -> Iterable[tuple[Path, int, str]]:
    exe = shutil.which("fc-match")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "-s", "-f", "%{file}|%{index}\n", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines()[:20]:  # the best matches come first; the tail is Latin fonts
        file, _, idx = line.partition("|")
        if file:
            found.append((Path(file), int(idx) if idx.isdigit() else 0, "fc-match"))
    return found


@functools.cache
def find_cjk_font() -> CjkFont:
    """The first installed font that covers :data:`CJK_PROBE` (see module docstring for the
    search order), TrueType outlines preferred. Raises :class:`CjkFontMissing` otherwise."""
    tried: list[str] = []
    fallback: CjkFont | None = None
    for path, idx, how in _candidates():
        if not path.is_file():
            if how != "known path":
                tried.append(f"{path} ({how}): no such file")
            continue
        try:
            codes, truetype, family = _cmap(path, idx)
        except Exception as exc:  # a broken or unsupported font file: try the next one
            tried.append(f"{path} ({how}): unreadable ({exc})")
            continue
        lacking = [ch for ch in CJK_PROBE if ord(ch) not in codes]
        if lacking:
            tried.append(f"{path} ({how}): lacks {''.join(lacking[:8])}")
            continue
        font = CjkFont(path=path, index=idx, family=family, truetype=truetype)
        if truetype:
            log.debug("CJK font: %s (face %d, %s, via %s)", path, idx, family, how)
            return font
        fallback = fallback or font
    if fallback is not None:
        return fallback
    detail = "; ".join(tried) if tried else "no candidate font files exist"
    raise CjkFontMissing(f"no font with Chinese glyphs found ({detail}); {INSTALL_HINT}")


@functools.cache
def _register_matplotlib(path: str, index: int) -> str:
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


@contextlib.contextmanager
def matplotlib_cjk() -> Iterator[str]:
    """Within the block, matplotlib text uses the CJK font (DejaVu Sans as fallback for glyphs
    it lacks) and SVG text is written as paths, so files need no installed font. Yields the
    family name. Text objects keep the font they were created with, so create figures inside."""
    font = find_cjk_font()
    family = _register_matplotlib(str(font.path), font.index)
    with matplotlib.rc_context(
        {
            # Concrete names, not the generic "sans-serif": a generic family is resolved when
            # the figure is drawn, which may be after this block has ended.
            "font.family": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,  # CJK fonts often lack U+2212
            "svg.fonttype": "path",
            "pdf.fonttype": 42,
        }
    ):
        yield family
