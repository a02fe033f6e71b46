"""How the scenario checks report: a problem names file, place, field and value as the user wrote
them; records the loader could not read are *tolerated* (a reference to them is not reported)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wasteopt.errors import Problem

__all__ = ["Locate", "ProblemReport", "Tolerance", "default_locate", "fmt_value"]

#: ``(table, id) -> (file, where)``; ``id == ""`` means the table as a whole.
Locate = Callable[[str, str], tuple[str, str]]
#: table -> ids that exist but could not be parsed; ``None`` = the whole table is unknown.
Tolerance = Mapping[str, frozenset[str] | None]

_CSV_TABLES = ("points", "depots", "stations", "facilities", "vehicle_types", "residues")


def default_locate(table: str, item_id: str) -> tuple[str, str]:
    """Locate a record by table and id alone (no line numbers): for scenarios built in code."""
    if table in _CSV_TABLES:
        return f"{table}.csv", f"(id={item_id})" if item_id else ""
    if table == "streams":
        return "scenario.toml", f"[[streams]] id={item_id}" if item_id else "[[streams]]"
    if table in ("variants", "targets"):
        return "scenario.toml", f"[[{table}]] id={item_id}" if item_id else f"[[{table}]]"
    return "scenario.toml", f"[{table}]"


def fmt_value(v: Any) -> str:
    """A value as the user wrote it: ``-5`` not ``-5.0``, ids joined by ``;``."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, tuple | list):
        return ";".join(fmt_value(x) for x in v)
    return str(v)


class ProblemReport:
    """The problems found so far, located by ``locate``; ``tolerate`` names unreadable records."""

    __slots__ = ("locate", "problems", "tolerate")

    def __init__(self, locate: Locate, tolerate: Tolerance) -> None:
        self.locate = locate
        self.tolerate = tolerate
        self.problems: list[Problem] = []

    def add(
        self,
        table: str,
        item_id: str,
        field: str,
        message: str,
        value: Any = None,
        expected: str = "",
    ) -> None:
        file, where = self.locate(table, item_id)
        text = None if value is None else fmt_value(value)
        self.problems.append(
            Problem(
                file=file, where=where, field=field, message=message, value=text, expected=expected
            )
        )

    def number(
        self,
        table: str,
        item_id: str,
        field: str,
        v: float | None,
        *,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
    ) -> None:
        """Check that ``v`` is a finite number within the bounds (``None`` passes)."""
        if v is None:
            return
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.add(table, item_id, field, "must be a number", v)
        elif not math.isfinite(v):
            self.add(table, item_id, field, "must be a finite number", v)
        elif gt is not None and not v > gt:
            self.add(table, item_id, field, f"must be > {fmt_value(gt)}", v)
        elif ge is not None and not v >= ge:
            self.add(table, item_id, field, f"must be >= {fmt_value(ge)}", v)
        elif le is not None and not v <= le:
            self.add(table, item_id, field, f"must be <= {fmt_value(le)}", v)

    def known(self, table: str, item_id: str, ids: Iterable[str] | set[str]) -> bool:
        """True if ``item_id`` exists in ``table`` or may exist (its row/table was unreadable)."""
        if item_id in ids:
            return True
        if table not in self.tolerate:
            return False
        broken = self.tolerate[table]
        return broken is None or item_id in broken

    def complete(self, *tables: str) -> bool:
        """True when every record of these tables was read, so absence means absence."""
        return not any(t in self.tolerate for t in tables)
