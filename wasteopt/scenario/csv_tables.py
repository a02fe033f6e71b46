"""The CSV tables of a scenario folder: column specs, cell conversions and typed rows.

A :class:`Row` converts its cells by the table's spec (numbers, whole numbers, ``HH:MM`` times,
id lists), reporting each failure with file, line, id and field; :mod:`.csv_reader` streams
the files into rows and each row becomes an object through a builder of
:mod:`wasteopt.scenario.rows`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasteopt.clock import parse_hhmm
from wasteopt.scenario.folder import REQUIRED, FolderReader
from wasteopt.scenario.model import FREQUENCIES, Stream
from wasteopt.scenario.text import visible

__all__ = [
    "COLUMN_SPECS",
    "REQUIRED",
    "STREAM_PREFIXES",
    "ColumnSpec",
    "Columns",
    "PointContext",
    "Row",
    "cell_time",
    "stream_values",
]


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


def cell_time(t: str) -> int:
    """An ``HH:MM`` cell as seconds after midnight."""
    try:
        return parse_hhmm(t)
    except ValueError as e:
        raise ValueError(f"not a valid time ({e})") from None


def _text(t: str) -> str:
    return t


def _ids(t: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in t.split(";") if x.strip())


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def _bool(t: str) -> bool:
    try:
        return _TRUE[t.lower()]
    except KeyError:
        raise ValueError("not true or false") from None


def stream_values(t: str, convert: Callable[[str], Any]) -> dict[str, Any]:
    """``"kitchen:1;other:2.5"`` as ``{stream: convert(value)}``; ValueError on a bad pair."""
    out: dict[str, Any] = {}
    for pair in t.split(";"):
        if not pair.strip():
            continue
        sid, colon, value = (x.strip() for x in pair.partition(":"))
        if not colon or not sid or not value:
            raise ValueError(f"{pair.strip()!r} is not stream:value")
        if sid in out:
            raise ValueError(f"stream {sid!r} given twice")
        out[sid] = convert(value)
    return out


def _ratios(t: str) -> dict[str, float]:
    return stream_values(t, _float)


def _counts(t: str) -> dict[str, int]:
    return stream_values(t, _int)


CONVERTERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "float": (_float, "a number"),
    "int": (_int, "a whole number"),
    "time": (cell_time, "HH:MM"),
    "str": (_text, "text"),
    "ids": (_ids, "ids separated by ';'"),
    "bool": (_bool, "true, false, 1 or 0"),
    "ratios": (_ratios, "stream:number pairs separated by ';'"),
    "counts": (_counts, "stream:whole number pairs separated by ';'"),
}

#: Column prefixes of points.csv followed by a stream id (``kg_per_day.kitchen``).
STREAM_PREFIXES: tuple[str, ...] = ("kg_per_day.", "freq.", "tw_start.", "tw_end.")

# column -> (kind, default); REQUIRED = required column with a non-empty value.
ColumnSpec = dict[str, tuple[str, Any]]
POINT_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "lon": ("float", REQUIRED),
    "lat": ("float", REQUIRED),
    "district": ("str", REQUIRED),
    "residents": ("int", None),
    "households": ("int", None),
    "service_time_s": ("int", None),
    "tw_start": ("time", None),
    "tw_end": ("time", None),
    "phase": ("int", None),
    "access": ("str", "main_road"),
    "large_generator": ("bool", False),
    "town": ("str", ""),
    "town_kind": ("str", ""),
    "compliant": ("bool", True),
}
DEPOT_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "lon": ("float", REQUIRED),
    "lat": ("float", REQUIRED),
    "open": ("time", 0),
    "close": ("time", 86400),
}
STATION_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "lon": ("float", REQUIRED),
    "lat": ("float", REQUIRED),
    "district": ("str", ""),
    "status": ("str", REQUIRED),
    "streams": ("ids", REQUIRED),
    "capacity_t_per_day": ("float", REQUIRED),
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
    "compaction": ("ratios", {}),
    "stream_bays": ("counts", {}),
    "containers": ("int", 0),
    "container_t": ("float", 0.0),
    "separates_streams": ("bool", True),
    "meets_standard": ("bool", True),
    "built_year": ("int", None),
    "condition": ("str", "good"),
    "staff": ("int", 0),
}
FACILITY_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "lon": ("float", REQUIRED),
    "lat": ("float", REQUIRED),
    "kind": ("str", REQUIRED),
    "streams": ("ids", REQUIRED),
    "capacity_t_per_day": ("float", REQUIRED),
    "gate_fee_cny_per_t": ("float", 0.0),
    "open": ("time", 0),
    "close": ("time", 86400),
    "bays": ("int", 1),
    "unload_time_s": ("int", 600),
    "storage_t": ("float", 0.0),
    "fallback": ("str", ""),
    "external_t_per_day": ("float", 0.0),
}
VEHICLE_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "name": ("str", REQUIRED),
    "stream": ("str", REQUIRED),
    "role": ("str", "collection"),
    "depot": ("str", REQUIRED),
    "count": ("int", REQUIRED),
    "payload_kg": ("float", REQUIRED),
    "volume_m3": ("float", REQUIRED),
    "speed_kmh": ("float", 25.0),
    "cost_cny_per_km": ("float", 0.0),
    "cost_cny_per_hour": ("float", 0.0),
    "cost_cny_per_day": ("float", 0.0),
    "co2_kg_per_km": ("float", 0.0),
    "shift_start": ("time", REQUIRED),
    "shift_end": ("time", REQUIRED),
    "lunch_earliest": ("time", None),
    "lunch_latest": ("time", None),
    "lunch_duration_min": ("float", None),
    "max_trips": ("int", 3),
    "max_stops": ("int", None),
    "max_shift_load_kg": ("float", None),
    "vehicle_class": ("str", ""),
}
OUTAGE_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "facility_id": ("str", REQUIRED),
    "kind": ("str", REQUIRED),
    "start": ("str", ""),  # an ISO date, parsed by wasteopt.scenario.outages
    "days": ("int", 0),
    "t_per_day_lost": ("float", 0.0),
    "share_lost": ("float", 0.0),
    "lines": ("str", ""),
    "rate_per_year": ("float", 0.0),
    "mean_days": ("float", 0.0),
    "external_kept": ("float", 1.0),
    "active": ("bool", True),
    "source": ("str", ""),
}
#: residues.csv (:class:`wasteopt.scenario.residues.ResidueFlow`).
RESIDUE_COLUMNS: ColumnSpec = {
    "id": ("str", REQUIRED),
    "origin": ("str", REQUIRED),
    "residue": ("str", REQUIRED),
    "basis": ("str", REQUIRED),
    "amount": ("float", REQUIRED),
    "destination": ("str", REQUIRED),
    "dest_lon": ("float", None),
    "dest_lat": ("float", None),
    "km": ("float", None),
    "hazardous": ("bool", False),
    "licensed": ("bool", False),
    "uses_capacity": ("bool", False),
    "line_capacity_t_per_day": ("float", None),
    "cost_cny_per_t": ("float", 0.0),
    "transport_cny_per_t_km": ("float", 0.0),
    "co2_kg_per_t_km": ("float", 0.0),
    "source": ("str", ""),
}
COLUMN_SPECS: dict[str, ColumnSpec] = {
    "points": POINT_COLUMNS,
    "depots": DEPOT_COLUMNS,
    "stations": STATION_COLUMNS,
    "facilities": FACILITY_COLUMNS,
    "vehicle_types": VEHICLE_COLUMNS,
    "plant_outages": OUTAGE_COLUMNS,
    "residues": RESIDUE_COLUMNS,
}


class PointContext:
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

    def _resolve(
        self, idx: dict[str, int], loader: FolderReader, file: str
    ) -> dict[str, list[tuple[str, int]]]:
        cols: dict[str, list[tuple[str, int]]] = {x.rstrip("."): [] for x in STREAM_PREFIXES}
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
        return cols

    def kg_columns(
        self, idx: dict[str, int], loader: FolderReader, file: str
    ) -> list[tuple[str, int]]:
        """The ``kg_per_day.<stream>`` columns (stream, index) of known streams."""
        if self._cols is None:
            self._cols = self._resolve(idx, loader, file)
        return self._cols["kg_per_day"]

    def freq_columns(
        self, idx: dict[str, int], loader: FolderReader, file: str
    ) -> list[tuple[str, int]]:
        """The ``freq.<stream>`` columns (stream, index) of known streams."""
        if self._cols is None:
            self._cols = self._resolve(idx, loader, file)
        return self._cols["freq"]

    def window_columns(
        self, idx: dict[str, int], loader: FolderReader, file: str
    ) -> list[tuple[str, str, int]]:
        """The ``tw_start.<stream>`` / ``tw_end.<stream>`` columns (end, stream, index) of known
        streams; end is ``tw_start`` or ``tw_end``."""
        if self._cols is None:
            self._cols = self._resolve(idx, loader, file)
        return [(end, sid, i) for end in ("tw_start", "tw_end") for sid, i in self._cols[end]]


class Row:
    """One CSV data row: typed access to its cells, reporting failures with file/line/id."""

    __slots__ = ("cells", "columns", "failed", "file", "idx", "line", "loader", "rid")

    def __init__(
        self,
        loader: FolderReader,
        file: str,
        line: int,
        cells: list[str],
        idx: dict[str, int],
        columns: Columns,
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
        return f"line {self.line} (id={visible(self.rid)})" if self.rid else f"line {self.line}"

    def bad(self, field: str, message: str, value: str | None, expected: str = "") -> None:
        self.failed = True
        self.loader.add(self.file, message, self.where(), field, value, expected)

    def cell_at(self, i: int) -> str:
        return self.cells[i].strip() if i < len(self.cells) else ""

    def convert(self, col: str, kind: str, text: str) -> Any:
        conv, expected = CONVERTERS[kind]
        try:
            return conv(text)
        except ValueError as e:
            self.bad(col, str(e), text, expected)
            return None

    def values(self) -> dict[str, Any]:
        return self.columns.parse(self)


class Columns:
    """A table spec bound to one header: the per-cell loop without per-cell method calls."""

    __slots__ = ("absent", "present")

    def __init__(self, spec: ColumnSpec, idx: dict[str, int]) -> None:
        self.absent: dict[str, Any] = {}
        self.present: list[tuple[str, int, Callable[[str], Any], str, Any]] = []
        for col, (kind, default) in spec.items():
            conv, expected = CONVERTERS[kind]
            if col in idx:
                self.present.append((col, idx[col], conv, expected, default))
            else:
                self.absent[col] = default  # required columns were checked with the header

    def parse(self, row: Row) -> dict[str, Any]:
        out = dict(self.absent)
        cells = row.cells
        n = len(cells)
        for col, i, conv, expected, default in self.present:
            text = cells[i].strip() if i < n else ""
            if not text:
                if default is REQUIRED:
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
