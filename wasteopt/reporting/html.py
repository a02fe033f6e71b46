"""A self-contained HTML report: a decision page, KPI tables, figures and notes in one UTF-8 file.

Nothing is fetched when it is opened: CSS is inline, figures are inline SVG (text as outlines)
or base64 PNG, there is no script, and a Content-Security-Policy forbids any network request
(``default-src 'none'``), so the file reads the same offline, mailed or archived. Fonts are the
reader's own (a CJK-capable system font list); the figures need none. A print stylesheet keeps
tables and figures from splitting across pages. The decision page
(:mod:`wasteopt.reporting.decision_html`) comes first, before the table of contents; a table is
a DataFrame (shown as it is) or a :class:`~wasteopt.reporting.tables.TableView` (labelled,
formatted, KPI cells marked).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from wasteopt.files import write_text
from wasteopt.reporting.fonts import matplotlib_cjk
from wasteopt.reporting.tables import TableView, table_html

__all__ = ["render_html_report", "write_html_report"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
  "PingFang SC", "Helvetica Neue", Arial, sans-serif; margin: 0 auto; max-width: 1200px;
  padding: 1.5rem 2rem 3rem; color: #1d2330; line-height: 1.45; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 2px solid #dde6f0;
  padding-bottom: .2rem; }
.meta { color: #5a6275; font-size: .9rem; margin: 0 0 1rem; }
nav ul { columns: 2; font-size: .9rem; padding-left: 1.2rem; }
.notes p, p.table-note { margin: .3rem 0; }
.table-wrap { overflow-x: auto; margin-bottom: 1rem; }
table.kpi { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
table.kpi td { white-space: nowrap; }
table.kpi th, table.kpi td { border: 1px solid #c9d3e0; padding: .25rem .55rem; }
table.kpi thead th { background: #dde6f0; text-align: left; position: sticky; top: 0; }
table.kpi td.num { text-align: right; }
table.kpi td.def { white-space: normal; min-width: 14rem; color: #3c4456; }
table.kpi td.lbl, table.kpi td.txt { white-space: normal; }
table.kpi td.lbl { min-width: 5rem; }
table.kpi.glossary { width: 100%; }
table.kpi tbody tr:nth-child(even) { background: #f6f8fb; }
table.kpi td.better { background: #e3f4e6; }
table.kpi td.worse { background: #fbe5e1; }
section.decision { border: 2px solid #1f3b73; border-radius: 6px; padding: .4rem 1.2rem 1rem;
  margin: 0 0 1.5rem; }
section.decision h2 { margin-top: 1.2rem; }
section.decision h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
section.decision table.kpi { font-size: .8rem; }
section.decision table.kpi th, section.decision table.kpi td { padding: .2rem .4rem; }
section.decision table.kpi td.def { min-width: 9rem; }
.verdict { font-size: 1.05rem; margin: .3rem 0; }
ul.warnings { background: #fff6e0; border-left: 4px solid #d48a00; padding: .5rem 1rem .5rem 2rem;
  margin: .4rem 0; }
ul.warnings li { margin: .25rem 0; }
p.small { font-size: .85rem; color: #5a6275; }
figure { margin: 0 0 1.5rem; }
figure svg, figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: #5a6275; margin-top: .3rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, .table-wrap { break-inside: avoid; }
  table.kpi { font-size: 8pt; }
  table.kpi thead th { position: static; }
  .table-wrap { overflow: visible; }
  section.decision { break-after: page; border: none; padding: 0; }
  section.decision table.kpi { font-size: 8pt; }
}
"""


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^0-9A-Za-z_-]+", "-", text).strip("-").lower() or "section"
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def _table(frame: pd.DataFrame, float_digits: int) -> str:
    cols = [str(c) for c in frame.columns]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in cols)
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for value, is_num in zip(row, numeric, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                text = ""
            elif isinstance(value, float):
                text = f"{value:,.{float_digits}f}"
            elif is_num and isinstance(value, int):
                text = f"{value:,}"
            else:
                text = str(value)
            cls = ' class="num"' if is_num else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="table-wrap"><table class="kpi">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _svg_of(fig: Figure) -> str:
    buf = io.StringIO()
    with matplotlib_cjk():
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    # Inline SVG: drop the XML prolog and DOCTYPE, keep the <svg> element.
    return text[text.index("<svg") :]


def _png_of(fig: Figure, dpi: int) -> bytes:
    buf = io.BytesIO()
    with matplotlib_cjk():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _figure_html(name: str, fig: object, figure_format: str, dpi: int) -> str:
    alt = html.escape(name, quote=True)
    if isinstance(fig, str | Path):
        path = Path(fig)
        data = path.read_bytes()
        if path.suffix.lower() == ".svg":
            text = data.decode("utf-8")
            inner = text[text.index("<svg") :]
        elif path.suffix.lower() == ".png":
            inner = (
                f'<img alt="{alt}" src="data:image/png;base64,'
                f'{base64.b64encode(data).decode("ascii")}">'
            )
        else:
            raise ValueError(f"figure {name!r}: {path} is not a .svg or .png file")
    elif figure_format == "svg":
        inner = _svg_of(fig)  # type: ignore[arg-type]
    elif figure_format == "png":
        png = base64.b64encode(_png_of(fig, dpi)).decode("ascii")  # type: ignore[arg-type]
        inner = f'<img alt="{alt}" src="data:image/png;base64,{png}">'
    else:
        raise ValueError(f"figure_format must be 'svg' or 'png', got {figure_format!r}")
    return (
        f'<figure role="img" aria-label="{alt}">{inner}<figcaption>{html.escape(name)}'
        "</figcaption></figure>"
    )


def render_html_report(
    *,
    title: str,
    kpi_tables: Mapping[str, pd.DataFrame | TableView],
    figures: Mapping[str, Figure | str | Path],
    notes: str | Sequence[str] = (),
    subtitle: str = "",
    figure_format: str = "svg",
    dpi: int = 110,
    float_digits: int = 2,
    table_notes: Mapping[str, Sequence[str]] | None = None,
    lead: str = "",
) -> str:
    """The report as one HTML string (see module docstring). ``kpi_tables`` and ``figures``
    are shown in the given order under their names; a figure is a matplotlib Figure (embedded
    as inline SVG, or base64 PNG with ``figure_format="png"``) or the path of an ``.svg`` or
    ``.png`` file. ``notes`` are plain-text paragraphs (escaped, never interpreted as HTML);
    ``table_notes`` maps a table's name to paragraphs shown under its heading, above it;
    ``lead`` is the decision page's HTML (made by
    :func:`~wasteopt.reporting.decision_html.decision_html`, every text in it escaped there),
    shown before the table of contents."""
    paragraphs = [notes] if isinstance(notes, str) else list(notes)
    table_notes = dict(table_notes or {})
    unknown = sorted(set(table_notes) - set(kpi_tables))
    if unknown:
        raise ValueError(f"table_notes name no table: {', '.join(map(repr, unknown))}")
    taken: set[str] = set()
    toc: list[str] = []
    sections: list[str] = []
    if paragraphs:
        sid = _slug("notes", taken)
        toc.append(f'<li><a href="#{sid}">说明 Notes</a></li>')
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        sections.append(f'<section class="notes" id="{sid}"><h2>说明 Notes</h2>{body}</section>')
    for name, frame in kpi_tables.items():
        sid = _slug(f"table-{name}", taken)
        toc.append(f'<li><a href="#{sid}">{html.escape(name)}</a></li>')
        above = "".join(
            f'<p class="table-note">{html.escape(p)}</p>' for p in table_notes.get(name, ())
        )
        drawn = table_html(frame) if isinstance(frame, TableView) else _table(frame, float_digits)
        sections.append(f'<section id="{sid}"><h2>{html.escape(name)}</h2>{above}{drawn}</section>')
    for name, fig in figures.items():
        sid = _slug(f"figure-{name}", taken)
        toc.append(f'<li><a href="#{sid}">{html.escape(name)}</a></li>')
        sections.append(
            f'<section id="{sid}"><h2>{html.escape(name)}</h2>'
            f"{_figure_html(name, fig, figure_format, dpi)}</section>"
        )
    meta = f'<p class="meta">{html.escape(subtitle)}</p>' if subtitle else ""
    nav = f"<nav><ul>{''.join(toc)}</ul></nav>" if len(toc) > 1 else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>{meta}</header>\n{lead}\n{nav}\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def write_html_report(
    path: str | Path,
    *,
    title: str,
    kpi_tables: Mapping[str, pd.DataFrame | TableView],
    figures: Mapping[str, Figure | str | Path],
    notes: str | Sequence[str] = (),
    subtitle: str = "",
    figure_format: str = "svg",
    dpi: int = 110,
    table_notes: Mapping[str, Sequence[str]] | None = None,
    lead: str = "",
) -> Path:
    """Write :func:`render_html_report` to ``path`` atomically (UTF-8); returns the path."""
    text = render_html_report(
        title=title,
        kpi_tables=kpi_tables,
        figures=figures,
        notes=notes,
        subtitle=subtitle,
        figure_format=figure_format,
        dpi=dpi,
        table_notes=table_notes,
        lead=lead,
    )
    return write_text(path, text)
