"""What the PDF tests read back from a written PDF without a PDF library: the font sizes its
content streams set."""

from __future__ import annotations

import re
import zlib


def font_sizes(raw: bytes) -> set[float]:
    """Every font size set (``Tf``) in the PDF's content streams."""
    sizes: set[float] = set()
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            data = zlib.decompress(m.group(1))
        except zlib.error:
            continue  # not a Flate stream (a font program, an image)
        sizes |= {float(s) for s in re.findall(rb"/F\d+\s+([\d.]+)\s+Tf", data)}
    return sizes
