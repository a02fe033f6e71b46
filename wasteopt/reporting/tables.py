"""Tables as a reader sees them: labelled headers, formatted cells, and the KPI table.

A :class:`TableView` is what the HTML report draws: header texts (``中文 English (unit)``
from the KPI registry, :func:`wasteopt.reporting.kpis.heading`), cells already formatted
(:func:`wasteopt.reporting.labels.format_cell`), which cells are numbers, and for a KPI cell
the ``data-kpi`` / ``data-variant`` it shows, so a test can find every place a KPI appears and
compare it with ``kpi.csv``. :func:`reader_view` turns an output table into one;
:func:`kpi_view` draws ``kpi.csv`` as one row per KPI with its unit and definition.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from wasteopt.reporting.kpis import KPI_BY_ID, KPIS, heading
from wasteopt.reporting.labels import COLUMNS, Format, format_cell, unit_text

__all__ = ["Cell", "TableView", "kpi_cell", "kpi_view", "reader_view", "table_html"]

log = logging.getLogger("wasteopt")


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One formatted cell: ``numeric`` cells align right; ``kpi``/``variant`` mark the KPI
    value it shows (``data-kpi``, ``data-variant``); ``css`` a class such as ``better``."""

    text: str
    numeric: bool = False
    kpi: str = ""
    variant: str = ""
    css: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TableView:
    """A table ready to draw: ``headers`` (with ``titles`` as their tooltips) and rows of
    :class:`Cell`."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    titles: tuple[str, ...] = ()
    css: str = "kpi"


def kpi_cell(kpi_id: str, value: object, variant: str = "", *, css: str = "") -> Cell:
    """The cell of one KPI value, formatted by the registry and marked with its id."""
    k = KPI_BY_ID[kpi_id]
    numeric = k.fmt not in ("text", "bool")
    return Cell(text=k.format(value), numeric=numeric, kpi=kpi_id, variant=variant, css=css)


def table_html(view: TableView) -> str:
    """The ``<table>`` of ``view`` in its scrolling wrapper; every text is escaped."""
    titles = list(view.titles) + [""] * (len(view.headers) - len(view.titles))
    head = "".join(
        f'<th scope="col"{_attr("title", t)}>{html.escape(h)}</th>'
        for h, t in zip(view.headers, titles, strict=True)
    )
    body = "".join("<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in view.rows)
    return (
        f'<div class="table-wrap"><table class="{html.escape(view.css, quote=True)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _attr(name: str, value: str) -> str:
    return f' {name}="{html.escape(value, quote=True)}"' if value else ""


def _cell_html(c: Cell) -> str:
    classes = " ".join(x for x in ("num" if c.numeric else "", c.css) if x)
    attrs = _attr("class", classes) + _attr("data-kpi", c.kpi) + _attr("data-variant", c.variant)
    return f"<td{attrs}{_attr('title', c.title)}>{html.escape(c.text)}</td>"


def _column_format(column: str, values: pd.Series) -> Format:
    if column in KPI_BY_ID:
        return KPI_BY_ID[column].fmt
    if column in COLUMNS:
        return COLUMNS[column].fmt
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "num2" if numeric else "text"


def _heading(column: str) -> str:
    """The registry's header; an unregistered column keeps its id (and is logged), so a
    column someone adds never stops a run; the report tests name it."""
    try:
        return heading(column)
    except KeyError:
        log.warning("report column %r has no label in wasteopt.reporting.kpis/labels", column)
        return column


def reader_view(
    frame: pd.DataFrame,
    *,
    drop: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
) -> TableView:
    """``frame`` with labelled headers and formatted cells; ``drop``: columns left out;
    ``names``: words for ids in text cells (stream and site names). A column the registry
    does not know keeps its id as header (:func:`_heading`)."""
    names = dict(names or {})
    cols = [c for c in frame.columns if c not in set(drop)]
    fmts = [_column_format(str(c), frame[c]) for c in cols]
    rows = []
    for record in frame[cols].itertuples(index=False, name=None):
        cells = []
        for value, fmt in zip(record, fmts, strict=True):
            if fmt == "text" and isinstance(value, str) and value in names:
                value = names[value]
            words = fmt in ("text", "bool")  # words may wrap; numbers stay on one line
            cells.append(
                Cell(text=format_cell(value, fmt), numeric=not words, css="txt" if words else "")
            )
        rows.append(tuple(cells))
    return TableView(headers=tuple(_heading(str(c)) for c in cols), rows=tuple(rows))


def kpi_view(kpi: pd.DataFrame, *, variants: Sequence[str] | None = None) -> TableView:
    """``kpi.csv`` (one row per variant) as one row per KPI, in registry order: label, unit,
    the value of each variant (marked with ``data-kpi``/``data-variant``) and the definition.
    A column the registry does not know comes last under its id, marked as unregistered
    (and logged), so a KPI someone adds never stops a run; the report tests name it."""
    by_variant = kpi.set_index("variant")
    names = list(variants) if variants is not None else [str(v) for v in by_variant.index]
    rows = []
    for k in KPIS:
        if k.id not in by_variant.columns:
            continue
        words = "" if k.fmt not in ("text", "bool") else "txt"  # may wrap, numbers never
        cells = [Cell(text=k.label, css="lbl"), Cell(text=unit_text(k.unit))]
        cells += [kpi_cell(k.id, by_variant.at[v, k.id], v, css=words) for v in names]
        cells.append(Cell(text=k.definition, css="def"))
        rows.append(tuple(cells))
    for col in [str(c) for c in by_variant.columns if c not in KPI_BY_ID]:
        log.warning("kpi column %r has no entry in wasteopt.reporting.kpis", col)
        fmt = _column_format(col, by_variant[col])
        cells = [Cell(text=col, css="lbl"), Cell(text="")]
        cells += [Cell(text=format_cell(by_variant.at[v, col], fmt)) for v in names]
        cells.append(Cell(text="(not in the KPI registry)", css="def"))
        rows.append(tuple(cells))
    headers = ("指标 KPI", "单位 Unit", *names, "定义 Definition")
    return TableView(headers=headers, rows=tuple(rows), css="kpi glossary")
