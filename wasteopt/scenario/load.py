"""Reading a scenario folder (``scenario.toml`` + CSV tables) into a :class:`Scenario`.

The loader parses: it checks file presence, encoding, TOML syntax, column names, cell types
(numbers, whole numbers, ``HH:MM`` times, dates) and duplicate ids within a table, and drops
rows it cannot build. It then runs :func:`wasteopt.scenario.validate.run_checks` (ranges, time
windows, references, coverage, every variant) with a locator that names files and line numbers,
and raises one :class:`ScenarioError` carrying every problem found.

Row positions are **file line numbers** (the header is line 1; this is also the row number a
spreadsheet shows), so ``stations.csv line 8`` is the 7th data row of a file without multi-line
cells. The format is described in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import time
import tomllib
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from wasteopt.clock import parse_hhmm
from wasteopt.errors import Problem, ScenarioError
from wasteopt.scenario.model import (
    FREQUENCIES,
    CollectionPoint,
    Depot,
    Edit,
    GenerationSettings,
    Holiday,
    Missort,
    NetworkSettings,
    Scenario,
    Stream,
    TransferStation,
    TreatmentFacility,
    Variant,
    VehicleType,
)
from wasteopt.scenario.validate import default_locate, run_checks
from wasteopt.scenario.variants import apply_variant

__all__ = ["MAX_SIMILAR_PROBLEMS", "STANDARD_STREAMS", "TABLES", "load_scenario"]

log = logging.getLogger("wasteopt")

#: The four streams of China's household-waste sorting (GB/T 19095-2019 colours approximated).
STANDARD_STREAMS: tuple[Stream, ...] = (
    Stream(
        id="kitchen",
        name_en="Kitchen/food waste",
        name_zh="厨余垃圾",
        color="#2e8b57",
        density_kg_per_m3=650.0,
        share=0.40,
        capture_rate=0.85,
        default_frequency="daily",
    ),
    Stream(
        id="recyclable",
        name_en="Recyclables",
        name_zh="可回收物",
        color="#1f5fbf",
        density_kg_per_m3=90.0,
        share=0.20,
        capture_rate=0.90,
        default_frequency="every_other_day",
    ),
    Stream(
        id="hazardous",
        name_en="Hazardous waste",
        name_zh="有害垃圾",
        color="#c0392b",
        density_kg_per_m3=300.0,
        share=0.005,
        capture_rate=1.0,
        default_frequency="weekly",
    ),
    Stream(
        id="other",
        name_en="Other/residual waste",
        name_zh="其他垃圾",
        color="#6b6b6b",
        density_kg_per_m3=250.0,
        share=0.395,
        capture_rate=1.0,
        default_frequency="daily",
    ),
)

#: CSV tables in the order they are read.
TABLES: tuple[str, ...] = ("depots", "stations", "facilities", "vehicle_types", "points")

#: Identical problems (same file, field and message) beyond this many are summarised.
MAX_SIMILAR_PROBLEMS = 20

_BOM = b"\xef\xbb\xbf"
_REQ = object()  # marks a required cell
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


# -- public ----------------------------------------------------------------------------------


def load_scenario(path: str | os.PathLike[str], *, variant: str | None = None) -> Scenario:
    """Load, check and return the scenario in folder ``path`` (or ``path/scenario.toml``).

    With ``variant`` the named variant is applied (``"base"`` or ``None``: none). Every variant
    is validated whichever is chosen. Raises :class:`ScenarioError` with all problems found.
    """
    t0 = time.perf_counter()
    p = Path(path)
    toml_name = "scenario.toml"
    if p.is_file() and p.suffix == ".toml":
        p, toml_name = p.parent, p.name
    if not p.exists():
        raise ScenarioError([Problem(file=str(path), message="scenario folder not found")])
    if not p.is_dir():
        raise ScenarioError(
            [
                Problem(
                    file=str(path),
                    message="not a folder",
                    expected="a scenario folder holding scenario.toml",
                )
            ]
        )
    loader = _Loader(p, toml_name)
    s = loader.load()
    problems = loader.problems + run_checks(s, loader.locate, loader.tolerance())
    if problems:
        raise ScenarioError(_summarise(problems))
    log.debug(
        "loaded scenario %s (%d points) in %.3f s", s.id, len(s.points), time.perf_counter() - t0
    )
    if variant is None or variant == "base":
        return s
    return apply_variant(s, variant)


# -- conversions -----------------------------------------------------------------------------


def _float(t: str) -> float:
    try:
        return float(t)
    except ValueError:
        raise ValueError("not a number") from None


def _int(t: str) -> int:
    try:
        return int(t)
    except ValueError:
        pass
    try:
        x = float(t)
    except ValueError:
        raise ValueError("not a whole number") from None
    if not x.is_integer():
        raise ValueError("not a whole number")
    return int(x)


def _time(t: str) -> int:
    try:
        return parse_hhmm(t)
    except ValueError as e:
        raise ValueError(f"not a valid time ({e})") from None


def _text(t: str) -> str:
    return t


def _ids(t: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in t.split(";") if x.strip())


_CONV: dict[str, tuple[Callable[[str], Any], str]] = {
    "float": (_float, "a number"),
    "int": (_int, "a whole number"),
    "time": (_time, "HH:MM"),
    "str": (_text, "text"),
    "ids": (_ids, "ids separated by ';'"),
}

# column -> (kind, default); _REQ = required column with a non-empty value.
_Spec = dict[str, tuple[str, Any]]
_POINT_COLUMNS: _Spec = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "lon": ("float", _REQ),
    "lat": ("float", _REQ),
    "district": ("str", _REQ),
    "residents": ("int", None),
    "households": ("int", None),
    "service_time_s": ("int", None),
    "tw_start": ("time", None),
    "tw_end": ("time", None),
    "phase": ("int", None),
}
_DEPOT_COLUMNS: _Spec = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "lon": ("float", _REQ),
    "lat": ("float", _REQ),
    "open": ("time", 0),
    "close": ("time", 86400),
}
_STATION_COLUMNS: _Spec = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "lon": ("float", _REQ),
    "lat": ("float", _REQ),
    "district": ("str", ""),
    "status": ("str", _REQ),
    "streams": ("ids", _REQ),
    "capacity_t_per_day": ("float", _REQ),
    "bays": ("int", 1),
    "unload_time_s": ("int", 600),
    "open": ("time", 0),
    "close": ("time", 86400),
    "fixed_cost_cny_per_year": ("float", 0.0),
    "cost_cny_per_t": ("float", 0.0),
    "opening_cost_cny": ("float", 0.0),
    "closing_cost_cny": ("float", 0.0),
    "compaction_ratio": ("float", 1.0),
    "decision": ("str", "free"),
    "size_group": ("str", ""),
}
_FACILITY_COLUMNS: _Spec = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "lon": ("float", _REQ),
    "lat": ("float", _REQ),
    "kind": ("str", _REQ),
    "streams": ("ids", _REQ),
    "capacity_t_per_day": ("float", _REQ),
    "gate_fee_cny_per_t": ("float", 0.0),
    "open": ("time", 0),
    "close": ("time", 86400),
    "bays": ("int", 1),
    "unload_time_s": ("int", 600),
    "storage_t": ("float", 0.0),
    "fallback": ("str", ""),
}
_VEHICLE_COLUMNS: _Spec = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "stream": ("str", _REQ),
    "role": ("str", "collection"),
    "depot": ("str", _REQ),
    "count": ("int", _REQ),
    "payload_kg": ("float", _REQ),
    "volume_m3": ("float", _REQ),
    "speed_kmh": ("float", 25.0),
    "cost_cny_per_km": ("float", 0.0),
    "cost_cny_per_hour": ("float", 0.0),
    "cost_cny_per_day": ("float", 0.0),
    "co2_kg_per_km": ("float", 0.0),
    "shift_start": ("time", _REQ),
    "shift_end": ("time", _REQ),
    "lunch_earliest": ("time", None),
    "lunch_latest": ("time", None),
    "lunch_duration_min": ("float", None),
    "max_trips": ("int", 3),
    "max_stops": ("int", None),
    "max_shift_load_kg": ("float", None),
}
_SPECS: dict[str, _Spec] = {
    "points": _POINT_COLUMNS,
    "depots": _DEPOT_COLUMNS,
    "stations": _STATION_COLUMNS,
    "facilities": _FACILITY_COLUMNS,
    "vehicle_types": _VEHICLE_COLUMNS,
}

# TOML keys: key -> (kind, default); _REQ = required.
_TOML_TOP = {
    "format_version",
    "scenario",
    "tables",
    "network",
    "defaults",
    "generation",
    "streams",
    "variants",
}
_SCENARIO_KEYS = {
    "id": ("str", _REQ),
    "name": ("str", _REQ),
    "description": ("str", ""),
    "standard_streams": ("bool", True),
}
_NETWORK_KEYS = {"circuity": ("float", 1.3), "matrix_file": ("str", "")}
_DEFAULT_KEYS = {"service_time_s": ("int", 60), "tw_start": ("time", 0), "tw_end": ("time", 86400)}
_GENERATION_KEYS = {
    "start_date": ("date", _REQ),
    "kg_per_person_day": ("float", _REQ),
    "persons_per_household": ("float", 2.6),
    "weekday_factors": ("floats", (1.0,) * 7),
    "month_factors": ("floats", (1.0,) * 12),
    "noise_cv": ("float", 0.15),
    "holidays": ("tables", []),
    "missorting": ("tables", []),
}
_HOLIDAY_KEYS = {
    "name": ("str", _REQ),
    "start": ("date", _REQ),
    "days": ("int", _REQ),
    "factor": ("float", _REQ),
}
_MISSORT_KEYS = {"from": ("str", _REQ), "to": ("str", _REQ), "share": ("float", _REQ)}
_STREAM_KEYS = {
    "id": ("str", _REQ),
    "name_en": ("str", _REQ),
    "name_zh": ("str", ""),
    "color": ("str", "#808080"),
    "density_kg_per_m3": ("float", _REQ),
    "share": ("float", _REQ),
    "capture_rate": ("float", 1.0),
    "default_frequency": ("str", "daily"),
}
_VARIANT_KEYS = {
    "id": ("str", _REQ),
    "description": ("str", ""),
    "close": ("strs", ()),
    "open": ("strs", ()),
    "generation_scale": ("float", 1.0),
    "edits": ("tables", []),
}
_EDIT_KEYS = {
    "table": ("str", _REQ),
    "id": ("str", _REQ),
    "field": ("str", _REQ),
    "value": ("any", _REQ),
}


def _toml_value(value: Any, kind: str) -> Any:
    """Convert a parsed TOML value to ``kind`` or raise ValueError naming what was expected."""
    is_num = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "any":
        return value
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and is_num:
        return float(value)
    if kind == "time":
        if isinstance(value, str):
            return _time(value)
        raise ValueError('expected a time of day as a string "HH:MM"')
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError("expected a valid date YYYY-MM-DD") from None
        raise ValueError("expected a date YYYY-MM-DD")
    if kind == "floats" and isinstance(value, list):
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
            return tuple(float(x) for x in value)
        raise ValueError("expected a list of numbers")
    if kind == "strs" and isinstance(value, list) and all(isinstance(x, str) for x in value):
        return tuple(value)
    if kind == "tables" and isinstance(value, list) and all(isinstance(x, dict) for x in value):
        return value
    if kind == "table" and isinstance(value, dict):
        return value
    names = {
        "str": "text",
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "strs": "a list of ids",
        "tables": "an array of tables",
        "table": "a table",
    }
    raise ValueError(f"expected {names.get(kind, kind)}")


# -- the loader ------------------------------------------------------------------------------


class _Loader:
    """Holds the problems and the line numbers while one folder is read."""

    def __init__(self, folder: Path, toml_name: str) -> None:
        self.folder = folder
        self.toml_name = toml_name
        self.problems: list[Problem] = []
        self.files: dict[str, str] = {t: f"{t}.csv" for t in TABLES}
        self.lines: dict[str, dict[str, int]] = {t: {} for t in TABLES}
        self.broken: dict[str, set[str] | None] = {}
        self.toml_streams: set[str] = set()
        self.toml_ok = True
        self.point_ctx: _PointContext | None = None

    # -- problem bookkeeping -----------------------------------------------------------------
    def add(
        self,
        file: str,
        message: str,
        where: str = "",
        field: str = "",
        value: Any = None,
        expected: str = "",
    ) -> None:
        self.problems.append(
            Problem(
                file=file,
                where=where,
                field=field,
                message=message,
                value=None if value is None else str(value),
                expected=expected,
            )
        )

    def mark_broken(self, table: str, item_id: str | None) -> None:
        """Record that ``table`` has an unreadable record (``None``: the table as a whole)."""
        if item_id is None:
            self.broken[table] = None
        elif table not in self.broken:
            self.broken[table] = {item_id}
        elif self.broken[table] is not None:
            self.broken[table].add(item_id)  # type: ignore[union-attr]

    def tolerance(self) -> dict[str, frozenset[str] | None]:
        return {t: (None if ids is None else frozenset(ids)) for t, ids in self.broken.items()}

    def locate(self, table: str, item_id: str) -> tuple[str, str]:
        if table in self.lines:
            line = self.lines[table].get(item_id) if item_id else None
            if line is not None:
                where = f"line {line} (id={item_id})"
            else:
                where = f"(id={item_id})" if item_id else ""
            return self.files[table], where
        _, where = default_locate(table, item_id)
        if table == "streams" and item_id and item_id not in self.toml_streams:
            where = f"standard stream id={item_id}"
        return self.toml_name, where

    # -- reading -----------------------------------------------------------------------------
    def read_text(self, name: str) -> str | None:
        """The file's text (BOM removed) or None after reporting why it cannot be read."""
        path = self.folder / name
        if not path.is_file():
            self.add(name, "file not found", expected=f"a file in {self.folder}")
            return None
        data = path.read_bytes()
        bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            return data[bom:].decode("utf-8")
        except UnicodeDecodeError as e:
            offset = e.start + bom
            line = data[:offset].count(b"\n") + 1
            self.add(
                name,
                f"not UTF-8 text: byte 0x{data[offset]:02X} at byte offset {offset}",
                where=f"line {line}",
                expected="a file saved as UTF-8 (e.g. not GBK)",
            )
            return None

    def load(self) -> Scenario:
        text = self.read_text(self.toml_name)
        data: dict[str, Any] = {}
        if text is None:
            self.toml_ok = False
        else:
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                self.toml_ok = False
                m = _TOML_LINE.search(str(e))
                self.add(
                    self.toml_name,
                    f"TOML syntax error: {e}",
                    where=f"line {m.group(1)}" if m else "",
                )
        if not self.toml_ok:
            # Without the TOML nothing refers reliably: accept any stream or generation.
            self.mark_broken("streams", None)
            self.mark_broken("generation", None)
        for key in data:
            if key not in _TOML_TOP:
                self.add(
                    self.toml_name,
                    "unknown top-level key",
                    field=key,
                    expected=", ".join(sorted(_TOML_TOP)),
                )
        if "format_version" in data and data["format_version"] != 1:
            self.add(
                self.toml_name,
                "unsupported format version",
                field="format_version",
                value=data["format_version"],
                expected="1",
            )

        head = self.section(data, "scenario", _SCENARIO_KEYS, required=self.toml_ok)
        tables = self.table(data, "tables")
        for t in TABLES:
            if t in tables:
                try:
                    self.files[t] = _toml_value(tables[t], "str")
                except ValueError as e:
                    self.add(self.toml_name, str(e), "[tables]", t, tables[t])
        for key in tables:
            if key not in TABLES:
                self.add(self.toml_name, "unknown key", "[tables]", key, expected=", ".join(TABLES))
        net = self.section(data, "network", _NETWORK_KEYS)
        defaults = self.section(data, "defaults", _DEFAULT_KEYS)
        gen = self.generation(data)
        streams = self.streams(data, head.get("standard_streams", True))
        variants = self.variants(data)
        if net.get("matrix_file") and not (self.folder / net["matrix_file"]).is_file():
            self.add(
                net["matrix_file"],
                "matrix file not found",
                where="",
                expected="the file named by [network] matrix_file",
            )

        depots = self.read_table("depots", self.depot)
        stations = self.read_table("stations", self.station)
        facilities = self.read_table("facilities", self.facility)
        vehicles = self.read_table("vehicle_types", self.vehicle_type)
        self.point_ctx = _PointContext(streams, defaults, self.toml_ok)
        points = self.read_table("points", self.point)

        return Scenario(
            id=head.get("id") or self.folder.name,
            name=head.get("name") or self.folder.name,
            description=head.get("description", ""),
            folder=str(self.folder),
            streams=streams,
            points=tuple(points),
            depots=tuple(depots),
            stations=tuple(stations),
            facilities=tuple(facilities),
            vehicle_types=tuple(vehicles),
            generation=gen,
            network=NetworkSettings(
                circuity=net.get("circuity", 1.3), matrix_file=net.get("matrix_file", "")
            ),
            variants=variants,
        )

    # -- TOML sections -----------------------------------------------------------------------
    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.add(self.toml_name, "must be a table", field=key, value=value, expected=f"[{key}]")
            return {}
        return value

    def keys(
        self,
        raw: dict[str, Any],
        spec: dict[str, tuple[str, Any]],
        where: str,
        *,
        required: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """Convert ``raw`` by ``spec``; returns (values with defaults, all ok)."""
        out: dict[str, Any] = {}
        ok = True
        for key in raw:
            if key not in spec:
                ok = False
                self.add(self.toml_name, "unknown key", where, key, expected=", ".join(spec))
        for key, (kind, default) in spec.items():
            if key not in raw:
                if default is _REQ:
                    ok = False
                    if required:
                        self.add(self.toml_name, "required key is missing", where, key)
                else:
                    out[key] = default
                continue
            try:
                out[key] = _toml_value(raw[key], kind)
            except ValueError as e:
                ok = False
                self.add(self.toml_name, str(e), where, key, _short(raw[key]))
        return out, ok

    def section(
        self,
        data: dict[str, Any],
        name: str,
        spec: dict[str, tuple[str, Any]],
        *,
        required: bool = True,
    ) -> dict[str, Any]:
        raw = self.table(data, name)
        values, _ = self.keys(raw, spec, f"[{name}]", required=required)
        return values

    def generation(self, data: dict[str, Any]) -> GenerationSettings:
        where = "[generation]"
        g, _ = self.keys(
            self.table(data, "generation"), _GENERATION_KEYS, where, required=self.toml_ok
        )
        holidays: list[Holiday] = []
        for k, raw in enumerate(g.get("holidays", [])):
            h, ok = self.keys(raw, _HOLIDAY_KEYS, f"[[generation.holidays]] #{k + 1}")
            if ok:
                holidays.append(
                    Holiday(name=h["name"], start=h["start"], days=h["days"], factor=h["factor"])
                )
        missorting: list[Missort] = []
        for k, raw in enumerate(g.get("missorting", [])):
            m, ok = self.keys(raw, _MISSORT_KEYS, f"[[generation.missorting]] #{k + 1}")
            if ok:
                missorting.append(
                    Missort(from_stream=m["from"], to_stream=m["to"], share=m["share"])
                )
        return GenerationSettings(
            # Placeholders for missing required keys; their absence is already reported.
            start_date=g.get("start_date", dt.date(2000, 1, 1)),
            kg_per_person_day=g.get("kg_per_person_day", 1.0),
            persons_per_household=g.get("persons_per_household", 2.6),
            weekday_factors=g.get("weekday_factors", (1.0,) * 7),
            month_factors=g.get("month_factors", (1.0,) * 12),
            holidays=tuple(holidays),
            noise_cv=g.get("noise_cv", 0.15),
            missorting=tuple(missorting),
        )

    def streams(self, data: dict[str, Any], standard: bool) -> tuple[Stream, ...]:
        merged: dict[str, Stream] = {s.id: s for s in STANDARD_STREAMS} if standard else {}
        raw_list = data.get("streams", [])
        try:
            entries = _toml_value(raw_list, "tables")
        except ValueError as e:
            self.add(self.toml_name, str(e), "", "streams", expected="[[streams]] entries")
            self.mark_broken("streams", None)
            return tuple(merged.values())
        for k, raw in enumerate(entries):
            sid = raw.get("id")
            where = f"[[streams]] id={sid}" if isinstance(sid, str) else f"[[streams]] #{k + 1}"
            if isinstance(sid, str) and sid in self.toml_streams:
                self.add(self.toml_name, "duplicate stream id", where, "id", sid)
                continue
            base = merged.get(sid) if isinstance(sid, str) else None
            if base is not None:
                spec = {key: (kind, None) for key, (kind, _) in _STREAM_KEYS.items()}
                values, ok = self.keys(raw, spec, where)
                fields = {key: v for key, v in values.items() if key in raw and key != "id"}
            else:
                values, ok = self.keys(raw, _STREAM_KEYS, where)
                fields = values
            if isinstance(sid, str):
                self.toml_streams.add(sid)
            if not ok:
                if isinstance(sid, str):
                    self.mark_broken("streams", sid)
                continue
            merged[sid] = replace(base, **fields) if base is not None else Stream(**fields)
        return tuple(merged.values())

    def variants(self, data: dict[str, Any]) -> tuple[Variant, ...]:
        try:
            entries = _toml_value(data.get("variants", []), "tables")
        except ValueError as e:
            self.add(self.toml_name, str(e), "", "variants", expected="[[variants]] entries")
            return ()
        out: list[Variant] = []
        for k, raw in enumerate(entries):
            vid = raw.get("id")
            where = f"[[variants]] id={vid}" if isinstance(vid, str) else f"[[variants]] #{k + 1}"
            v, ok = self.keys(raw, _VARIANT_KEYS, where)
            edits: list[Edit] = []
            for n, e_raw in enumerate(v.get("edits", []), start=1):
                e, e_ok = self.keys(e_raw, _EDIT_KEYS, f"{where} edit {n}")
                ok = ok and e_ok
                if e_ok:
                    edits.append(
                        Edit(table=e["table"], id=e["id"], field=e["field"], value=e["value"])
                    )
            if ok:
                out.append(
                    Variant(
                        id=v["id"],
                        description=v["description"],
                        close=v["close"],
                        open=v["open"],
                        edits=tuple(edits),
                        generation_scale=v["generation_scale"],
                    )
                )
        return tuple(out)

    # -- CSV tables --------------------------------------------------------------------------
    def read_table(self, table: str, build: Callable[[_Row], Any]) -> list[Any]:
        """Parse one CSV table; rows that cannot be built are reported and left out."""
        name = self.files[table]
        spec = _SPECS[table]
        text = self.read_text(name)
        if text is None:
            self.mark_broken(table, None)
            return []
        if not text.strip():
            self.add(name, "file is empty", expected="a header row and at least one data row")
            self.mark_broken(table, None)
            return []
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in next(reader)]
        except csv.Error as e:
            self.add(name, f"not a readable CSV file ({e})", where="line 1")
            self.mark_broken(table, None)
            return []
        idx = self.header(table, name, header, spec)
        if idx is None:
            self.mark_broken(table, None)
            return []
        columns = _Columns(spec, idx)
        out: list[Any] = []
        lines = self.lines[table]
        ncols = len(header)
        n_rows = 0
        prev = reader.line_num
        try:
            for cells in reader:
                line, prev = prev + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                n_rows += 1
                row = _Row(self, name, line, cells, idx, columns)
                rid = row.rid
                if len(cells) > ncols:
                    # Shifted cells would only produce confusing follow-up reports.
                    row.bad(
                        "",
                        f"has {len(cells)} cells but the header has {ncols}",
                        None,
                        "one cell per column; quote cells that contain commas",
                    )
                elif rid in lines:
                    row.bad(
                        "id",
                        f"duplicate id (first at line {lines[rid]})",
                        rid,
                        "ids unique within the table",
                    )
                    self.mark_broken(table, rid)  # the dropped row may have been meant for
                    continue  # another id: do not infer absences from it
                obj = None if row.failed else build(row)
                if rid:
                    lines[rid] = line
                if obj is None:
                    if rid:
                        self.mark_broken(table, rid)
                    continue
                out.append(obj)
        except csv.Error as e:
            self.add(name, f"not a readable CSV file ({e})", where=f"line {reader.line_num}")
            self.mark_broken(table, None)
        if n_rows == 0:
            self.add(name, "table has a header but no data rows", expected="at least one data row")
            self.mark_broken(table, None)
        return out

    def header(
        self, table: str, name: str, header: list[str], spec: _Spec
    ) -> dict[str, int] | None:
        """Column name -> index, or None if the table cannot be read."""
        idx: dict[str, int] = {}
        ok = True
        for k, col in enumerate(header):
            if col in idx:
                self.add(name, "duplicate column", "line 1", col or f"column {k + 1}")
                ok = False
                continue
            idx[col] = k
            if col in spec:
                continue
            if table == "points" and col.startswith(("kg_per_day.", "freq.")):
                continue  # stream names are checked in _PointContext / validate
            self.add(
                name,
                "unknown column",
                "line 1",
                col or f"column {k + 1}",
                expected="one of "
                + ", ".join(spec)
                + (", kg_per_day.<stream>, freq.<stream>" if table == "points" else ""),
            )
        for col, (_, default) in spec.items():
            if default is _REQ and col not in idx:
                self.add(name, "required column is missing", "line 1", col)
                ok = False
        return idx if ok else None

    # -- record builders ---------------------------------------------------------------------
    def depot(self, r: _Row) -> Depot | None:
        v = r.values()
        if r.failed:
            return None
        return Depot(
            id=v["id"],
            name=v["name"],
            lon=v["lon"],
            lat=v["lat"],
            open_s=v["open"],
            close_s=v["close"],
        )

    def station(self, r: _Row) -> TransferStation | None:
        v = r.values()
        if r.failed:
            return None
        return TransferStation(
            id=v["id"],
            name=v["name"],
            lon=v["lon"],
            lat=v["lat"],
            district=v["district"],
            status=v["status"],
            streams=v["streams"],
            capacity_t_per_day=v["capacity_t_per_day"],
            bays=v["bays"],
            unload_time_s=v["unload_time_s"],
            open_s=v["open"],
            close_s=v["close"],
            fixed_cost_cny_per_year=v["fixed_cost_cny_per_year"],
            cost_cny_per_t=v["cost_cny_per_t"],
            opening_cost_cny=v["opening_cost_cny"],
            closing_cost_cny=v["closing_cost_cny"],
            compaction_ratio=v["compaction_ratio"],
            decision=v["decision"],
            size_group=v["size_group"],
        )

    def facility(self, r: _Row) -> TreatmentFacility | None:
        v = r.values()
        if r.failed:
            return None
        return TreatmentFacility(
            id=v["id"],
            name=v["name"],
            kind=v["kind"],
            lon=v["lon"],
            lat=v["lat"],
            streams=v["streams"],
            capacity_t_per_day=v["capacity_t_per_day"],
            gate_fee_cny_per_t=v["gate_fee_cny_per_t"],
            open_s=v["open"],
            close_s=v["close"],
            bays=v["bays"],
            unload_time_s=v["unload_time_s"],
            storage_t=v["storage_t"],
            fallback=v["fallback"],
        )

    def vehicle_type(self, r: _Row) -> VehicleType | None:
        v = r.values()
        if r.failed:
            return None
        lunch_min = v["lunch_duration_min"]
        if lunch_min is None:
            has_lunch = v["lunch_earliest"] is not None or v["lunch_latest"] is not None
            lunch_min = 60.0 if has_lunch else 0.0
        return VehicleType(
            id=v["id"],
            name=v["name"],
            stream=v["stream"],
            role=v["role"],
            depot=v["depot"],
            count=v["count"],
            payload_kg=v["payload_kg"],
            volume_m3=v["volume_m3"],
            speed_kmh=v["speed_kmh"],
            cost_cny_per_km=v["cost_cny_per_km"],
            cost_cny_per_hour=v["cost_cny_per_hour"],
            cost_cny_per_day=v["cost_cny_per_day"],
            co2_kg_per_km=v["co2_kg_per_km"],
            shift_start_s=v["shift_start"],
            shift_end_s=v["shift_end"],
            lunch_earliest_s=v["lunch_earliest"],
            lunch_latest_s=v["lunch_latest"],
            lunch_duration_s=round(lunch_min * 60),
            max_trips=v["max_trips"],
            max_stops=v["max_stops"],
            max_shift_load_kg=v["max_shift_load_kg"],
        )

    def point(self, r: _Row) -> CollectionPoint | None:
        ctx = self.point_ctx
        assert ctx is not None
        v = r.values()
        kg: dict[str, float] = {}
        for sid, i in ctx.kg_columns(r.idx, self, r.file):
            t = r.cell_at(i)
            if t:
                x = r.convert(f"kg_per_day.{sid}", "float", t)
                if x is not None:
                    kg[sid] = x
        freq = dict(ctx.default_freq)
        for sid, i in ctx.freq_columns(r.idx, self, r.file):
            t = r.cell_at(i)
            if t:
                freq[sid] = t
        if r.failed:
            return None
        service = v["service_time_s"]
        return CollectionPoint(
            id=v["id"],
            name=v["name"],
            lon=v["lon"],
            lat=v["lat"],
            district=v["district"],
            residents=v["residents"],
            households=v["households"],
            kg_per_day=kg,
            frequency=freq,
            service_time_s=ctx.service_time_s if service is None else service,
            tw_start_s=ctx.tw_start_s if v["tw_start"] is None else v["tw_start"],
            tw_end_s=ctx.tw_end_s if v["tw_end"] is None else v["tw_end"],
            phase=zlib.crc32(v["id"].encode("utf-8")) if v["phase"] is None else v["phase"],
        )


class _PointContext:
    """Per-table facts for points.csv: defaults and the stream columns (resolved once)."""

    def __init__(
        self, streams: tuple[Stream, ...], defaults: dict[str, Any], toml_ok: bool
    ) -> None:
        self.stream_ids = {s.id for s in streams}
        # A bad stream default is reported once for the stream, not again for every point.
        self.default_freq = {
            s.id: s.default_frequency if s.default_frequency in FREQUENCIES else "daily"
            for s in streams
        }
        self.service_time_s = defaults.get("service_time_s", 60)
        self.tw_start_s = defaults.get("tw_start", 0)
        self.tw_end_s = defaults.get("tw_end", 86400)
        self.check_names = toml_ok
        self._cols: dict[str, list[tuple[str, int]]] | None = None

    def _resolve(self, idx: dict[str, int], loader: _Loader, file: str) -> None:
        cols: dict[str, list[tuple[str, int]]] = {"kg_per_day": [], "freq": []}
        for col, i in idx.items():
            prefix, dot, sid = col.partition(".")
            if not dot or prefix not in cols:
                continue
            if self.check_names and sid not in self.stream_ids:
                loader.add(
                    file,
                    "column names an unknown stream",
                    "line 1",
                    col,
                    sid,
                    "one of " + ", ".join(sorted(self.stream_ids)),
                )
                continue
            cols[prefix].append((sid, i))
        self._cols = cols

    def kg_columns(self, idx: dict[str, int], loader: _Loader, file: str) -> list[tuple[str, int]]:
        if self._cols is None:
            self._resolve(idx, loader, file)
        return self._cols["kg_per_day"]  # type: ignore[index]

    def freq_columns(
        self, idx: dict[str, int], loader: _Loader, file: str
    ) -> list[tuple[str, int]]:
        if self._cols is None:
            self._resolve(idx, loader, file)
        return self._cols["freq"]  # type: ignore[index]


class _Row:
    """One CSV data row: typed access to its cells, reporting failures with file/line/id."""

    __slots__ = ("cells", "columns", "failed", "file", "idx", "line", "loader", "rid")

    def __init__(
        self,
        loader: _Loader,
        file: str,
        line: int,
        cells: list[str],
        idx: dict[str, int],
        columns: _Columns,
    ) -> None:
        self.loader = loader
        self.columns = columns
        self.file = file
        self.line = line
        self.cells = cells
        self.idx = idx
        self.failed = False
        i = idx.get("id")
        self.rid = cells[i].strip() if i is not None and i < len(cells) else ""

    def where(self) -> str:
        return f"line {self.line} (id={self.rid})" if self.rid else f"line {self.line}"

    def bad(self, field: str, message: str, value: str | None, expected: str = "") -> None:
        self.failed = True
        self.loader.add(self.file, message, self.where(), field, value, expected)

    def cell_at(self, i: int) -> str:
        return self.cells[i].strip() if i < len(self.cells) else ""

    def convert(self, col: str, kind: str, text: str) -> Any:
        conv, expected = _CONV[kind]
        try:
            return conv(text)
        except ValueError as e:
            self.bad(col, str(e), text, expected)
            return None

    def values(self) -> dict[str, Any]:
        return self.columns.parse(self)


class _Columns:
    """A table spec bound to one header: the per-cell loop without per-cell method calls."""

    __slots__ = ("absent", "present")

    def __init__(self, spec: _Spec, idx: dict[str, int]) -> None:
        self.absent: dict[str, Any] = {}
        self.present: list[tuple[str, int, Callable[[str], Any], str, Any]] = []
        for col, (kind, default) in spec.items():
            conv, expected = _CONV[kind]
            if col in idx:
                self.present.append((col, idx[col], conv, expected, default))
            else:
                self.absent[col] = default  # required columns were checked with the header

    def parse(self, row: _Row) -> dict[str, Any]:
        out = dict(self.absent)
        cells = row.cells
        n = len(cells)
        for col, i, conv, expected, default in self.present:
            text = cells[i].strip() if i < n else ""
            if not text:
                if default is _REQ:
                    row.bad(col, "required value is empty", None, expected)
                    default = None
                out[col] = default
                continue
            try:
                out[col] = conv(text)
            except ValueError as e:
                row.bad(col, str(e), text, expected)
                out[col] = None
        return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _summarise(problems: list[Problem]) -> list[Problem]:
    """Keep at most MAX_SIMILAR_PROBLEMS of each (file, field, message); count the rest."""
    counts: dict[tuple[str, str, str], int] = {}
    out: list[Problem] = []
    for p in problems:
        key = (p.file, p.field, p.message)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= MAX_SIMILAR_PROBLEMS:
            out.append(p)
    for (file, field, message), n in counts.items():
        if n > MAX_SIMILAR_PROBLEMS:
            out.append(
                Problem(
                    file=file,
                    field=field,
                    message=f"{n - MAX_SIMILAR_PROBLEMS} more problems like '{message}' not listed",
                )
            )
    return out
