"""The scenario: frozen, keyword-only records of everything a district plan starts from.

Cross-references are string ids (a vehicle type names its ``stream`` and ``depot`` by id), never
list positions, so tables can be filtered, split into territories and merged back. Units are in
the field names. Times of day are ``int`` seconds after midnight (see :mod:`wasteopt.clock`).

Mappings held by these records (``kg_per_day``, ``frequency``) are plain dicts so that scenarios
pickle to worker processes; treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

__all__ = [
    "FACILITY_KINDS",
    "FREQUENCIES",
    "STATION_DECISIONS",
    "STATION_STATUSES",
    "CollectionPoint",
    "Depot",
    "Edit",
    "Frequency",
    "GenerationSettings",
    "Holiday",
    "Missort",
    "NetworkSettings",
    "Scenario",
    "Stream",
    "TransferStation",
    "TreatmentFacility",
    "Variant",
    "VehicleType",
]

StationStatus = Literal["existing", "candidate"]
StationDecision = Literal["free", "open", "close"]
FacilityKind = Literal[
    "waste_to_energy", "kitchen_waste_plant", "landfill", "sorting_centre", "hazardous_facility"
]
VehicleRole = Literal["collection", "haul"]

STATION_STATUSES: tuple[str, ...] = ("existing", "candidate")
STATION_DECISIONS: tuple[str, ...] = ("free", "open", "close")
FACILITY_KINDS: tuple[str, ...] = (
    "waste_to_energy",
    "kitchen_waste_plant",
    "landfill",
    "sorting_centre",
    "hazardous_facility",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """How often a stream is collected at a point: ``visits_per_day`` visits every ``period_days``.

    ``twice_daily`` = (2, 1); ``daily`` = (1, 1); ``every_other_day`` = (1, 2); ``twice_weekly`` =
    (1, 3) (every third or fourth day is approximated by every 3 days); ``weekly`` = (1, 7);
    ``biweekly`` = (1, 14); ``monthly`` = (1, 28); ``none`` = not collected (0, 1).
    """

    code: str
    visits_per_day: int
    period_days: int

    def is_due(self, day: int, phase: int) -> bool:
        """True when a point with this ``phase`` (0 <= phase < period) is collected on ``day``."""
        return self.visits_per_day > 0 and (day + phase) % self.period_days == 0


FREQUENCIES: dict[str, Frequency] = {
    f.code: f
    for f in (
        Frequency(code="twice_daily", visits_per_day=2, period_days=1),
        Frequency(code="daily", visits_per_day=1, period_days=1),
        Frequency(code="every_other_day", visits_per_day=1, period_days=2),
        Frequency(code="twice_weekly", visits_per_day=1, period_days=3),
        Frequency(code="weekly", visits_per_day=1, period_days=7),
        Frequency(code="biweekly", visits_per_day=1, period_days=14),
        Frequency(code="monthly", visits_per_day=1, period_days=28),
        Frequency(code="none", visits_per_day=0, period_days=1),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Stream:
    """A sorted-waste stream. ``share`` is its part of per-capita generation (shares sum to 1);
    ``capture_rate`` is the part of that which residents put in the right bin (the rest is
    handled by :class:`Missort` rules)."""

    id: str
    name_en: str
    name_zh: str
    color: str
    density_kg_per_m3: float
    share: float
    capture_rate: float = 1.0
    default_frequency: str = "daily"


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionPoint:
    """A place where sorted bins are emptied. Generation comes from ``residents`` (or
    ``households`` × persons per household) unless ``kg_per_day`` gives an explicit rate for a
    stream. ``frequency`` maps stream id → frequency code for every stream collected here.
    ``phase`` shifts non-daily collections so that not every weekly point is due on the same day."""

    id: str
    name: str
    lon: float
    lat: float
    district: str
    residents: int | None
    households: int | None
    kg_per_day: dict[str, float]
    frequency: dict[str, str]
    service_time_s: int
    tw_start_s: int
    tw_end_s: int
    phase: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Depot:
    """A vehicle garage."""

    id: str
    name: str
    lon: float
    lat: float
    open_s: int
    close_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferStation:
    """A transfer station. ``status`` is what exists today; ``decision`` is a forced planning
    decision (``free`` lets the planner choose; a variant sets ``open`` or ``close``).
    ``closing_cost_cny`` is a one-off cost of retiring it (negative = salvage/saving).
    Stations sharing a non-empty ``size_group`` are alternatives (sizes of one site, or rival
    sites): at most one of them is open; forcing one open closes the others, and forcing
    several open means "build exactly one of these" (the planner picks)."""

    id: str
    name: str
    lon: float
    lat: float
    district: str
    status: StationStatus
    streams: tuple[str, ...]
    capacity_t_per_day: float
    bays: int
    unload_time_s: int
    open_s: int
    close_s: int
    fixed_cost_cny_per_year: float
    cost_cny_per_t: float
    opening_cost_cny: float
    closing_cost_cny: float
    compaction_ratio: float
    decision: StationDecision = "free"
    size_group: str = ""

    @property
    def is_open(self) -> bool:
        """Open in the scenario as given: existing and not closed, or forced open."""
        if self.decision == "close":
            return False
        return self.status == "existing" or self.decision == "open"


@dataclass(frozen=True, slots=True, kw_only=True)
class TreatmentFacility:
    """A treatment or disposal facility (plant, landfill, sorting centre). ``storage_t`` is the
    backlog it can hold when arrivals exceed ``capacity_t_per_day``; ``fallback`` names the
    facility (by id) that takes the overflow, or is empty."""

    id: str
    name: str
    kind: FacilityKind
    lon: float
    lat: float
    streams: tuple[str, ...]
    capacity_t_per_day: float
    gate_fee_cny_per_t: float
    open_s: int
    close_s: int
    bays: int
    unload_time_s: int
    storage_t: float = 0.0
    fallback: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleType:
    """A vehicle type: exactly one stream (no mixed collection). ``role`` is ``collection``
    (point to station/plant) or ``haul`` (transfer trailer station to plant; ``depot`` may then be
    a station id). ``max_stops`` and ``max_shift_load_kg`` are per shift over all trips; ``None``
    means unlimited."""

    id: str
    name: str
    stream: str
    role: VehicleRole
    depot: str
    count: int
    payload_kg: float
    volume_m3: float
    speed_kmh: float
    cost_cny_per_km: float
    cost_cny_per_hour: float
    cost_cny_per_day: float
    co2_kg_per_km: float
    shift_start_s: int
    shift_end_s: int
    lunch_earliest_s: int | None
    lunch_latest_s: int | None
    lunch_duration_s: int
    max_trips: int
    max_stops: int | None = None
    max_shift_load_kg: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Holiday:
    """A generation peak: ``factor`` multiplies generation for ``days`` days from ``start``."""

    name: str
    start: dt.date
    days: int
    factor: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Missort:
    """``share`` of what should go to ``from_stream`` ends up in ``to_stream``."""

    from_stream: str
    to_stream: str
    share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationSettings:
    """Parameters of the daily generation model (see :mod:`wasteopt.generation`)."""

    start_date: dt.date
    kg_per_person_day: float
    persons_per_household: float = 2.6
    weekday_factors: tuple[float, ...] = (1.0,) * 7
    month_factors: tuple[float, ...] = (1.0,) * 12
    holidays: tuple[Holiday, ...] = ()
    noise_cv: float = 0.15
    missorting: tuple[Missort, ...] = ()
    scale: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """How travel distances are obtained: great-circle × ``circuity``, or a user ``matrix_file``."""

    circuity: float = 1.3
    matrix_file: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """Set ``field`` of the row with ``id`` in ``table`` to ``value`` (a variant's edit)."""

    table: str
    id: str
    field: str
    value: object


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A named edit of the base scenario: stations to close and to open, field edits, and a
    multiplier on generation."""

    id: str
    description: str = ""
    close: tuple[str, ...] = ()
    open: tuple[str, ...] = ()
    edits: tuple[Edit, ...] = ()
    generation_scale: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A whole district scenario. ``folder`` is where it was loaded from (for messages only);
    ``variant`` is the id of the applied variant, ``"base"`` for the base scenario."""

    id: str
    name: str
    description: str
    folder: str
    streams: tuple[Stream, ...]
    points: tuple[CollectionPoint, ...]
    depots: tuple[Depot, ...]
    stations: tuple[TransferStation, ...]
    facilities: tuple[TreatmentFacility, ...]
    vehicle_types: tuple[VehicleType, ...]
    generation: GenerationSettings
    network: NetworkSettings = field(default_factory=NetworkSettings)
    variants: tuple[Variant, ...] = ()
    variant: str = "base"

    # -- lookups ---------------------------------------------------------------------------
    @property
    def stream_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.streams)

    def stream(self, stream_id: str) -> Stream:
        return _by_id(self.streams, stream_id, "stream")

    def point(self, point_id: str) -> CollectionPoint:
        return _by_id(self.points, point_id, "collection point")

    def depot(self, depot_id: str) -> Depot:
        return _by_id(self.depots, depot_id, "depot")

    def station(self, station_id: str) -> TransferStation:
        return _by_id(self.stations, station_id, "transfer station")

    def facility(self, facility_id: str) -> TreatmentFacility:
        return _by_id(self.facilities, facility_id, "treatment facility")

    def vehicle_type(self, type_id: str) -> VehicleType:
        return _by_id(self.vehicle_types, type_id, "vehicle type")

    def get_variant(self, variant_id: str) -> Variant:
        return _by_id(self.variants, variant_id, "variant")

    def open_stations(self) -> tuple[TransferStation, ...]:
        return tuple(s for s in self.stations if s.is_open)

    def sites(self) -> tuple[tuple[str, float, float], ...]:
        """Every located site as ``(id, lon, lat)``: depots, stations, facilities, then points."""
        out: list[tuple[str, float, float]] = []
        for group in (self.depots, self.stations, self.facilities, self.points):
            out.extend((s.id, s.lon, s.lat) for s in group)
        return tuple(out)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_Record = TypeVar("_Record", bound=_HasId)


def _by_id(items: Iterable[_Record], item_id: str, what: str) -> _Record:
    """The record of ``items`` with ``item_id``; KeyError naming ``what`` otherwise."""
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} with id {item_id!r}")
