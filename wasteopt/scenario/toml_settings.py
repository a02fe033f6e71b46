"""The settings file ``scenario.toml``: its keys, their types and defaults, and its sections
(scenario, tables, network, defaults, generation, streams, variants) as model objects.

Streams: the four standard streams (:data:`STANDARD_STREAMS`) unless ``standard_streams =
false``; a ``[[streams]]`` entry with a standard id overrides the keys it sets.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import replace
from typing import Any

from wasteopt.clock import format_hhmm
from wasteopt.scenario.csv_tables import cell_time
from wasteopt.scenario.folder import (
    MAX_TOML_BYTES,
    OPTIONAL_TABLES,
    REQUIRED,
    TABLES,
    FolderReader,
    short_text,
)
from wasteopt.scenario.model import (
    Edit,
    GenerationSettings,
    Holiday,
    Missort,
    Stream,
    Variant,
)
from wasteopt.scenario.targets import Target
from wasteopt.scenario.text import TEXT_EXPECTED, bad_char_message

__all__ = [
    "DEFAULT_KEYS",
    "NETWORK_KEYS",
    "PLANNING_KEYS",
    "PLANNING_TABLE",
    "SCENARIO_KEYS",
    "STANDARD_STREAMS",
    "SettingsReader",
    "toml_value",
]

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


_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")

# TOML keys: key -> (kind, default); REQUIRED = required.
TOML_TOP = {
    "format_version",
    "scenario",
    "tables",
    "network",
    "defaults",
    "generation",
    "streams",
    "variants",
    "planning",
    "targets",
    "horizon",
}
SCENARIO_KEYS = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "description": ("str", ""),
    "standard_streams": ("bool", True),
}
NETWORK_KEYS = {
    "circuity": ("float", 1.3),
    "matrix_file": ("str", ""),
    "crs": ("str", "wgs84"),
    "barriers": ("str", ""),
    "barriers_crs": ("str", ""),  # default: crs
    "roads": ("str", ""),
    "roads_crs": ("str", ""),  # default: crs
    "snap_speed_kmh": ("float", 10.0),
    "snap_warn_m": ("float", 250.0),
}
PLANNING_KEYS = {
    "mode": ("str", "status_quo"),
    "max_haul_km": ("float", None),
    "shortfall_penalty_cny_per_t": ("float", 1000.0),
    "require_standard": ("bool", False),
    "wage_cny_per_person_year": ("float", 0.0),
    "refuse_unsorted": ("bool", False),
    "fill_margin": ("float", 1.0),
}
DEFAULT_KEYS = {"service_time_s": ("int", 60), "tw_start": ("time", 0), "tw_end": ("time", 86400)}
GENERATION_KEYS = {
    "start_date": ("date", REQUIRED),
    "kg_per_person_day": ("float", REQUIRED),
    "persons_per_household": ("float", 2.6),
    "weekday_factors": ("floats", (1.0,) * 7),
    "month_factors": ("floats", (1.0,) * 12),
    "noise_cv": ("float", 0.15),
    "holidays": ("tables", []),
    "missorting": ("tables", []),
}
HOLIDAY_KEYS = {
    "name": ("str", REQUIRED),
    "start": ("date", REQUIRED),
    "days": ("int", REQUIRED),
    "factor": ("float", REQUIRED),
}
MISSORT_KEYS = {"from": ("str", REQUIRED), "to": ("str", REQUIRED), "share": ("float", REQUIRED)}
STREAM_KEYS = {
    "id": ("str", REQUIRED),
    "name_en": ("str", REQUIRED),
    "name_zh": ("str", ""),
    "color": ("str", "#808080"),
    "density_kg_per_m3": ("float", REQUIRED),
    "share": ("float", REQUIRED),
    "capture_rate": ("float", 1.0),
    "default_frequency": ("str", "daily"),
}
VARIANT_KEYS = {
    "id": ("str", REQUIRED),
    "description": ("str", ""),
    "close": ("strs", ()),
    "open": ("strs", ()),
    "generation_scale": ("float", 1.0),
    "edits": ("tables", []),
}
TARGET_KEYS = {
    "id": ("str", ""),  # default: the metric (and kind), see targets()
    "metric": ("str", REQUIRED),
    "value": ("float", REQUIRED),
    "direction": ("str", ">="),
    "source": ("str", REQUIRED),
    "streams": ("strs", ()),
    "total_streams": ("strs", ()),
    "kind": ("str", ""),
    "levels": ("strs", ()),
}
#: ``≥`` and ``≤`` as people write them, for the directions ``>=`` and ``<=``.
_DIRECTION_SIGNS = {"≥": ">=", "≤": "<="}
#: The edit table of ``[planning]`` (one record, so its edits need no ``id``).
PLANNING_TABLE = "planning"
EDIT_KEYS = {
    "table": ("str", REQUIRED),
    "id": ("str", ""),  # required except for the planning table (checked in variants())
    "field": ("str", REQUIRED),
    "value": ("any", REQUIRED),
}


def toml_value(value: Any, kind: str) -> Any:
    """Convert a parsed TOML value to ``kind`` or raise ValueError naming what was expected.
    Text with a character :mod:`wasteopt.scenario.text` refuses is refused here."""
    is_num = isinstance(value, int | float) and not isinstance(value, bool)
    for text in value if isinstance(value, list) else (value,):
        why = bad_char_message(text) if isinstance(text, str) else None
        if why is not None:
            raise ValueError(f"{why}; expected {TEXT_EXPECTED}")
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
            return cell_time(value)
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


class SettingsReader(FolderReader):
    """Reads ``scenario.toml`` (the problem bookkeeping is the base class's)."""

    def parse_toml(self) -> dict[str, Any]:
        """The parsed ``scenario.toml`` (empty when unreadable), its top-level keys checked.
        Without it nothing refers reliably: any stream or generation is then accepted."""
        text = self.read_text(self.toml_name, MAX_TOML_BYTES)
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
            self.mark_broken("streams", None)
            self.mark_broken("generation", None)
        for key in data:
            if key not in TOML_TOP:
                self.add(
                    self.toml_name,
                    "unknown top-level key",
                    field=key,
                    expected=", ".join(sorted(TOML_TOP)),
                )
        if "format_version" in data and data["format_version"] != 1:
            self.add(
                self.toml_name,
                "unsupported format version",
                field="format_version",
                value=data["format_version"],
                expected="1",
            )
        return data

    def table_files(self, data: dict[str, Any]) -> None:
        """The CSV file names of ``[tables]`` (default ``<table>.csv``)."""
        tables = self.table(data, "tables")
        known = (*TABLES, *OPTIONAL_TABLES)
        for t in known:
            if t in tables:
                try:
                    self.files[t] = toml_value(tables[t], "str")
                    self.lines.setdefault(t, {})
                except ValueError as e:
                    self.add(self.toml_name, str(e), "[tables]", t, tables[t])
        for key in tables:
            if key not in known:
                self.add(self.toml_name, "unknown key", "[tables]", key, expected=", ".join(known))

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
                if default is REQUIRED:
                    ok = False
                    if required:
                        self.add(self.toml_name, "required key is missing", where, key)
                else:
                    out[key] = default
                continue
            try:
                out[key] = toml_value(raw[key], kind)
            except ValueError as e:
                ok = False
                self.add(self.toml_name, str(e), where, key, short_text(raw[key]))
                continue
            if default is REQUIRED and kind == "str" and not out[key].strip():
                ok = False
                self.add(self.toml_name, "required value is empty", where, key, raw[key], "text")
                del out[key]  # as if missing: no placeholder reaches the checks
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

    def point_defaults(self, data: dict[str, Any]) -> dict[str, Any]:
        """``[defaults]``, range-checked here once: a bad default is reported for the section,
        not again for every point that inherits it (those get the built-in default)."""
        d = self.section(data, "defaults", DEFAULT_KEYS)
        service, start, end = d.get("service_time_s"), d.get("tw_start"), d.get("tw_end")
        if service is not None and not service > 0:
            self.add(self.toml_name, "must be > 0", "[defaults]", "service_time_s", service)
            del d["service_time_s"]
        if start is not None and end is not None and end < start:
            self.add(
                self.toml_name,
                f"ends before it starts (tw_start {format_hhmm(start)})",
                "[defaults]",
                "tw_end",
                format_hhmm(end),
                f"a time after {format_hhmm(start)}",
            )
            del d["tw_start"], d["tw_end"]
        return d

    def generation(self, data: dict[str, Any]) -> GenerationSettings:
        where = "[generation]"
        g, _ = self.keys(
            self.table(data, "generation"), GENERATION_KEYS, where, required=self.toml_ok
        )
        holidays: list[Holiday] = []
        for k, raw in enumerate(g.get("holidays", [])):
            h, ok = self.keys(raw, HOLIDAY_KEYS, f"[[generation.holidays]] #{k + 1}")
            if ok:
                holidays.append(
                    Holiday(name=h["name"], start=h["start"], days=h["days"], factor=h["factor"])
                )
        missorting: list[Missort] = []
        for k, raw in enumerate(g.get("missorting", [])):
            m, ok = self.keys(raw, MISSORT_KEYS, f"[[generation.missorting]] #{k + 1}")
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
            entries = toml_value(raw_list, "tables")
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
                spec = {key: (kind, None) for key, (kind, _) in STREAM_KEYS.items()}
                values, ok = self.keys(raw, spec, where)
                fields = {key: v for key, v in values.items() if key in raw and key != "id"}
            else:
                values, ok = self.keys(raw, STREAM_KEYS, where)
                fields = values
            if isinstance(sid, str):
                self.toml_streams.add(sid)
            if not ok:
                if isinstance(sid, str):
                    self.mark_broken("streams", sid)
                continue
            merged[sid] = replace(base, **fields) if base is not None else Stream(**fields)
        return tuple(merged.values())

    def entries(self, data: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
        """The ``[[name]]`` tables of the file, each with where a message should point
        (``[[name]] id=…``, or its position when it has no string id); none, with a problem
        recorded, when ``name`` is not an array of tables."""
        try:
            tables = toml_value(data.get(name, []), "tables")
        except ValueError as e:
            self.add(self.toml_name, str(e), "", name, expected=f"[[{name}]] entries")
            return []
        out = []
        for k, raw in enumerate(tables):
            rid = raw.get("id")
            out.append(
                (f"[[{name}]] id={rid}" if isinstance(rid, str) else f"[[{name}]] #{k + 1}", raw)
            )
        return out

    def variants(self, data: dict[str, Any]) -> tuple[Variant, ...]:
        out: list[Variant] = []
        for where, raw in self.entries(data, "variants"):
            v, ok = self.keys(raw, VARIANT_KEYS, where)
            edits: list[Edit] = []
            for n, e_raw in enumerate(v.get("edits", []), start=1):
                ed, e_ok = self.keys(e_raw, EDIT_KEYS, f"{where} edit {n}")
                if "id" not in e_raw and ed.get("table") != PLANNING_TABLE:
                    e_ok = False
                    self.add(self.toml_name, "required key is missing", f"{where} edit {n}", "id")
                ok = ok and e_ok
                if e_ok:
                    edits.append(
                        Edit(table=ed["table"], id=ed["id"], field=ed["field"], value=ed["value"])
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

    def targets(self, data: dict[str, Any]) -> tuple[Target, ...]:
        """The ``[[targets]]`` entries; an entry without ``id`` is named by its metric (and
        ``kind``). Ranges, metrics and references are the validator's job."""
        out: list[Target] = []
        for where, raw in self.entries(data, "targets"):
            v, ok = self.keys(raw, TARGET_KEYS, where)
            if not ok:
                continue
            metric, kind = v["metric"], v["kind"]
            out.append(
                Target(
                    id=v["id"] or (f"{metric}.{kind}" if kind else metric),
                    metric=metric,
                    value=v["value"],
                    source=v["source"],
                    direction=_DIRECTION_SIGNS.get(v["direction"], v["direction"]),
                    streams=v["streams"],
                    total_streams=v["total_streams"],
                    kind=kind,
                    levels=v["levels"],
                )
            )
        return tuple(out)
