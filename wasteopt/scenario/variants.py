"""Applying a named variant to a scenario: a pure function returning a new Scenario.

A variant forces stations closed (``decision="close"``) or open (``decision="open"``), sets
fields of single records (``edits``) and multiplies generation by ``generation_scale``. Edit
values are coerced to the type of the field they set; a field may be named as in the model
(``tw_start_s``, seconds) or as the CSV column (``tw_start``, ``HH:MM``;
``lunch_duration_min``, minutes); points also accept ``kg_per_day.<stream>``,
``freq.<stream>``, ``tw_start.<stream>`` and ``tw_end.<stream>``. Range checks on the result
are the validator's job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import types
import typing
from collections.abc import Callable
from typing import Any

from wasteopt.clock import parse_hhmm
from wasteopt.errors import Problem, ScenarioError
from wasteopt.scenario.csv_tables import stream_values
from wasteopt.scenario.model import (
    CollectionPoint,
    Depot,
    Edit,
    PlanningSettings,
    PlantOutage,
    Scenario,
    Stream,
    TransferStation,
    TreatmentFacility,
    VehicleType,
)

__all__ = ["EDITABLE_TABLES", "PLANNING_TABLE", "apply_variant", "apply_variant_tolerant"]

#: Table name in ``[[variants.edits]]`` -> record class.
EDITABLE_TABLES: dict[str, type] = {
    "streams": Stream,
    "points": CollectionPoint,
    "depots": Depot,
    "stations": TransferStation,
    "facilities": TreatmentFacility,
    "vehicle_types": VehicleType,
    "plant_outages": PlantOutage,
}

#: The ``[planning]`` settings as an edit table: one record, so an edit's ``id`` is ignored.
PLANNING_TABLE = "planning"

#: CSV column (HH:MM) -> model field (seconds).
_TIME_COLUMNS = {
    "tw_start": "tw_start_s",
    "tw_end": "tw_end_s",
    "open": "open_s",
    "close": "close_s",
    "shift_start": "shift_start_s",
    "shift_end": "shift_end_s",
    "lunch_earliest": "lunch_earliest_s",
    "lunch_latest": "lunch_latest_s",
}
#: Fields an edit may not set: ids (references would dangle), resolved-at-load values.
_FIXED = {
    "id",
    "kg_per_day",
    "frequency",
    "default_frequency",
    "tw_start_by_stream",
    "tw_end_by_stream",
}


def apply_variant(s: Scenario, variant_id: str) -> Scenario:
    """Return ``s`` with variant ``variant_id`` applied and ``variant`` set to its id.

    ``s`` is not modified. Raises :class:`ScenarioError` listing every problem (unknown variant,
    unknown station to close/open, unknown edit table/id/field, value of the wrong type).
    """
    return apply_variant_tolerant(s, variant_id, lambda table, item_id: False)


def apply_variant_tolerant(
    s: Scenario, variant_id: str, may_exist: Callable[[str, str], bool]
) -> Scenario:
    """:func:`apply_variant`, but targets for which ``may_exist(table, id)`` is true are skipped
    silently (the loader passes the ids of rows it could not parse, already reported)."""
    try:
        v = s.get_variant(variant_id)
    except KeyError:
        known = ", ".join(x.id for x in s.variants) or "none defined"
        raise ScenarioError(
            [
                Problem(
                    file="scenario.toml",
                    where="[[variants]]",
                    message=f"unknown variant {variant_id!r}",
                    expected=f"one of: {known}",
                )
            ]
        ) from None
    where = f"[[variants]] id={v.id}"
    problems: list[Problem] = []
    # Table names equal Scenario attribute names.
    tables: dict[str, list[Any]] = {name: list(getattr(s, name)) for name in EDITABLE_TABLES}
    index = {name: {x.id: k for k, x in enumerate(rows)} for name, rows in tables.items()}

    stations = tables["stations"]
    both = set(v.close) & set(v.open)
    for sid in sorted(both):
        problems.append(
            Problem(
                file="scenario.toml",
                where=where,
                field="open",
                message="station is both closed and opened",
                value=sid,
            )
        )
    for field, decision, targets in (("close", "close", v.close), ("open", "open", v.open)):
        for sid in targets:
            k = index["stations"].get(sid)
            if k is None and may_exist("stations", sid):
                continue
            if k is None:
                problems.append(
                    Problem(
                        file="scenario.toml",
                        where=where,
                        field=field,
                        message="unknown transfer station",
                        value=sid,
                        expected="a station id",
                    )
                )
            elif sid not in both:
                stations[k] = dataclasses.replace(stations[k], decision=decision)

    planning = s.planning
    for n, edit in enumerate(v.edits, start=1):
        if edit.table == PLANNING_TABLE:
            planning, found = _edit_planning(planning, edit, f"{where} edit {n}")
            problems.extend(found)
            continue
        if edit.id not in index.get(edit.table, {}) and may_exist(edit.table, edit.id):
            continue
        problems.extend(_apply_edit(tables, index, edit, f"{where} edit {n}"))

    if problems:
        raise ScenarioError(problems)
    gen = dataclasses.replace(s.generation, scale=s.generation.scale * v.generation_scale)
    if planning is not s.planning:
        changed_planning: dict[str, Any] = {"planning": planning}
    else:
        changed_planning = {}
    # Untouched tables keep their tuple, so callers can tell what a variant changed.
    changed: dict[str, Any] = {
        name: tuple(rows)
        for name, rows in tables.items()
        if any(a is not b for a, b in zip(rows, getattr(s, name), strict=True))
    }
    return dataclasses.replace(s, generation=gen, variant=v.id, **changed, **changed_planning)


def _edit_planning(
    planning: PlanningSettings, edit: Edit, where: str
) -> tuple[PlanningSettings, list[Problem]]:
    """``planning`` with one field set by ``edit`` (its ``id`` is ignored), or the problem."""
    hints = _hints(PlanningSettings)
    if edit.field not in hints:
        return planning, [
            Problem(
                file="scenario.toml",
                where=where,
                field="field",
                message="not an editable field of planning",
                value=edit.field,
                expected=", ".join(sorted(hints)),
            )
        ]
    try:
        value = _coerce(edit.value, hints[edit.field])
    except (TypeError, ValueError) as e:
        return planning, [
            Problem(
                file="scenario.toml",
                where=where,
                field=edit.field,
                message=f"cannot set this field: {e}",
                value=_show(edit.value),
            )
        ]
    return dataclasses.replace(planning, **{edit.field: value}), []


def _apply_edit(
    tables: dict[str, list[Any]], index: dict[str, dict[str, int]], edit: Edit, where: str
) -> list[Problem]:
    def problem(field: str, message: str, value: Any, expected: str = "") -> list[Problem]:
        return [
            Problem(
                file="scenario.toml",
                where=where,
                field=field,
                message=message,
                value=None if value is None else str(value),
                expected=expected,
            )
        ]

    cls = EDITABLE_TABLES.get(edit.table)
    if cls is None:
        names = ", ".join([*EDITABLE_TABLES, PLANNING_TABLE])
        return problem("table", "unknown table", edit.table, names)
    k = index[edit.table].get(edit.id)
    if k is None:
        return problem("id", f"no record with this id in {edit.table}", edit.id)
    rows = tables[edit.table]
    record = rows[k]
    name, value = edit.field, edit.value
    try:
        if cls is CollectionPoint and name.startswith(("tw_start.", "tw_end.")):
            prefix, _, sid = name.partition(".")
            attr = f"{prefix}_by_stream"
            windows = dict(getattr(record, attr))
            if value == "":
                windows.pop(sid, None)  # back to the point's window
            else:
                windows[sid] = _time(value)
            rows[k] = dataclasses.replace(record, **{attr: windows})
            return []
        if cls is CollectionPoint and name.startswith(("kg_per_day.", "freq.")):
            prefix, _, sid = name.partition(".")
            attr = "kg_per_day" if prefix == "kg_per_day" else "frequency"
            mapping = dict(getattr(record, attr))
            if prefix == "kg_per_day":
                if value == "":
                    mapping.pop(sid, None)
                else:
                    mapping[sid] = _coerce(value, float)
            else:
                mapping[sid] = _coerce(value, str)
            rows[k] = dataclasses.replace(record, **{attr: mapping})
            return []
        hints = _hints(cls)
        if name in _TIME_COLUMNS and _TIME_COLUMNS[name] in hints:
            target = _TIME_COLUMNS[name]
            coerced = None if value == "" and _optional(hints[target]) else _time(value)
        elif name == "lunch_duration_min" and cls is VehicleType:
            target, coerced = "lunch_duration_s", round(_coerce(value, float) * 60)
        elif name in hints and name not in _FIXED:
            target, coerced = name, _coerce(value, hints[name])
        else:
            editable = sorted(set(hints) - _FIXED)
            return problem(
                "field", f"not an editable field of {edit.table}", name, ", ".join(editable)
            )
    except (TypeError, ValueError) as e:
        return problem(name, f"cannot set this field: {e}", _show(value))
    rows[k] = dataclasses.replace(record, **{target: coerced})
    return []


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(tp: Any) -> bool:
    return type(None) in typing.get_args(tp)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _time(value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError("expected a time of day as 'HH:MM'")
    return parse_hhmm(value)


def _coerce(value: Any, tp: Any) -> Any:
    """Coerce a TOML value to the annotated type ``tp`` or raise ValueError/TypeError."""
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ValueError("expected one of " + ", ".join(map(str, allowed)))
        return value
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value == "" or value is None:
            if len(args) < len(typing.get_args(tp)):
                return None
            raise ValueError("a value is required")
        return _coerce(value, args[0])
    if origin is tuple:
        if isinstance(value, str):
            return tuple(x.strip() for x in value.split(";") if x.strip())
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return tuple(value)
        raise TypeError("expected a list of ids or 'a;b;c'")
    if tp is bool:
        return _bool(value)
    if tp is dt.date:  # a TOML date, or its text
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if origin is dict:
        return _stream_values(value, typing.get_args(tp)[1])
    if isinstance(value, bool):
        raise TypeError("true/false is not a valid value here")
    if tp is float:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise ValueError("expected a number") from None
        raise TypeError("expected a number")
    if tp is int:
        if isinstance(value, int):
            return value
        try:
            x = float(value) if isinstance(value, str | float) else math.nan
        except ValueError:
            x = math.nan
        if not (math.isfinite(x) and x == int(x)):
            raise ValueError("expected a whole number")
        return int(x)
    if tp is str:
        if isinstance(value, str | int | float):
            return str(value)
        raise TypeError("expected text")
    raise TypeError(f"fields of type {tp} cannot be edited")


def _bool(value: Any) -> bool:
    """true/false, or the CSV spellings ``"true"``, ``"false"``, ``"1"``, ``"0"``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("expected true or false")


def _stream_values(value: Any, tp: Any) -> dict[str, Any]:
    """A stream -> number mapping from a TOML table or ``"kitchen:1;other:2.5"``."""
    if isinstance(value, str):
        value = stream_values(value, str)
    if not isinstance(value, dict):
        raise TypeError("expected a table {stream = value} or 'stream:value;stream:value'")
    return {str(k): _coerce(x, tp) for k, x in value.items()}
