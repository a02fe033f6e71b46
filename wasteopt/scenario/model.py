"""The scenario: frozen, keyword-only records of everything a district plan starts from.

Cross-references are string ids (a vehicle type names its ``stream`` and ``depot`` by id), never
list positions, so tables can be filtered, split into territories and merged back. Units are in
the field names. Times of day are ``int`` seconds after midnight (see :mod:`wasteopt.clock`).

Mappings held by these records (``kg_per_day``, ``frequency``, the per-stream windows) are
plain dicts so that scenarios
pickle to worker processes; treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from wasteopt.roads import RoadGraph
from wasteopt.scenario.geography import Barrier, Crossing
from wasteopt.scenario.horizon import PlanningHorizon
from wasteopt.scenario.residues import ResidueFlow
from wasteopt.scenario.targets import Target, TownKind

__all__ = [
    "ACCESS_CLASSES",
    "ACCESS_RULES",
    "COLLECTION_CLASSES",
    "CONDITIONS",
    "FACILITY_KINDS",
    "FREQUENCIES",
    "HAUL_CLASSES",
    "KITCHEN",
    "OUTAGE_KINDS",
    "STATION_DECISIONS",
    "STATION_STATUSES",
    "VEHICLE_CLASSES",
    "CollectionPoint",
    "Depot",
    "Edit",
    "Frequency",
    "GenerationSettings",
    "Holiday",
    "Missort",
    "NetworkSettings",
    "PlanningSettings",
    "PlantOutage",
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
VehicleClass = Literal[
    "", "e_tricycle", "small_compactor", "van", "compactor", "hook_lift", "semi_trailer"
]
AccessClass = Literal["lane", "residential", "main_road"]
Condition = Literal["good", "fair", "poor"]
PlanMode = Literal["free", "status_quo"]

KITCHEN = "kitchen"
"""The kitchen-waste stream id: not compacted at a station without a kitchen-waste press."""
VEHICLE_CLASSES: tuple[str, ...] = (
    "e_tricycle",  # 电动三轮车 / 人力保洁车: 0.3–1 t, enters any lane
    "small_compactor",  # 小型压缩车 / 桶装车: 2–5 t, residential roads
    "van",  # 厢式车 (recyclables, hazardous): ≤ 4.5 t GVW, residential roads
    "compactor",  # 后装/侧装压缩车: ~8 t payload, main roads only
    "hook_lift",  # 勾臂/拉臂箱车: containers station → plant (tier 2)
    "semi_trailer",  # 半挂转运车: station → plant (tier 2)
)
COLLECTION_CLASSES: tuple[str, ...] = ("e_tricycle", "small_compactor", "van", "compactor")
HAUL_CLASSES: tuple[str, ...] = ("hook_lift", "semi_trailer")
ACCESS_CLASSES: tuple[str, ...] = ("lane", "residential", "main_road")
ACCESS_RULES: dict[str, frozenset[str]] = {
    # narrow lanes of old town quarters and villages (≤ ~3 m): only tricycles get in
    "lane": frozenset({"e_tricycle"}),
    # estate roads and town streets: small vehicles, no 8 t compactor (turning, weight, height)
    "residential": frozenset({"e_tricycle", "small_compactor", "van"}),
    # main roads: every collection class
    "main_road": frozenset(COLLECTION_CLASSES),
}
"""Which collection vehicle classes may serve a point of each access class. Haul classes serve
no collection point (they run station → plant only)."""
CONDITIONS: tuple[str, ...] = ("good", "fair", "poor")
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
    ``phase`` shifts non-daily collections so that not every weekly point is due on the same day.
    ``access`` is the road class at the point (which vehicle classes can reach it, see
    :data:`ACCESS_RULES`); a ``large_generator`` (market, canteen, big estate) may be served
    directly by a plant-bound vehicle instead of through a station catchment. The time window
    ``tw_start_s``–``tw_end_s`` holds for every stream unless ``tw_start_by_stream`` /
    ``tw_end_by_stream`` (stream → seconds, from the ``tw_start.<stream>`` / ``tw_end.<stream>``
    columns) override one end for a stream (:meth:`window`): a restaurant's kitchen waste at
    night, its residual waste by day. ``town`` is its street or town (街道/镇; empty: the
    ``district`` names it), ``town_kind`` ``street`` or ``town`` (empty: not given);
    ``compliant`` says whether it meets the sorting standard (达标), which the 不分类不收运 rule
    (:meth:`Scenario.refuses`) and the targets (:mod:`wasteopt.scenario.targets`) use."""

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
    access: AccessClass = "main_road"
    large_generator: bool = False
    tw_start_by_stream: dict[str, int] = field(default_factory=dict)
    tw_end_by_stream: dict[str, int] = field(default_factory=dict)
    town: str = ""
    town_kind: TownKind = ""
    compliant: bool = True

    @property
    def town_name(self) -> str:
        """The street or town of the point: ``town``, else ``district``."""
        return self.town or self.district

    def window(self, stream: str) -> tuple[int, int]:
        """The time window ``(start_s, end_s)`` of ``stream`` here: the stream's own ends where
        given, the point's otherwise."""
        return (
            self.tw_start_by_stream.get(stream, self.tw_start_s),
            self.tw_end_by_stream.get(stream, self.tw_end_s),
        )

    def stream_windows(self) -> dict[str, tuple[int, int]]:
        """The window of every stream with an own start or end (:meth:`window`)."""
        return {s: self.window(s) for s in {**self.tw_start_by_stream, **self.tw_end_by_stream}}

    def can_be_served_by(self, vehicle_class: str) -> bool:
        """True when a collection vehicle of ``vehicle_class`` can reach this point."""
        return vehicle_class in ACCESS_RULES[self.access]


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
    several open means "build exactly one of these" (the planner picks).

    Two tiers: small collection vehicles unload here, the station compacts each stream into
    its own containers, haul vehicles take full containers to plants. ``compaction_ratio``
    applies to every stream the station accepts except kitchen waste, which is compacted only
    with a press: ``compaction`` (stream → ratio) overrides per stream
    (:meth:`compaction_for`). ``stream_bays`` (stream → tipping bays) keeps streams on their
    own bays (default: ``bays`` shared). ``containers`` is the pool of haul containers of
    ``container_t`` each (0: not modelled, hauls by trailer load). Non-cost attributes drive
    real closures: ``separates_streams`` (can run sorted streams without mixing),
    ``meets_standard`` (current environmental standard: enclosed, deodorised, leachate
    collected), ``built_year`` and ``condition``. ``staff`` people are paid the scenario's
    ``planning.wage_cny_per_person_year`` on top of ``fixed_cost_cny_per_year``."""

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
    compaction: dict[str, float] = field(default_factory=dict)
    stream_bays: dict[str, int] = field(default_factory=dict)
    containers: int = 0
    container_t: float = 0.0
    separates_streams: bool = True
    meets_standard: bool = True
    built_year: int | None = None
    condition: Condition = "good"
    staff: int = 0

    def compaction_for(self, stream: str) -> float:
        """Compaction of ``stream`` here: the per-stream entry, else 1 for kitchen waste (no
        press), else ``compaction_ratio``."""
        if stream in self.compaction:
            return self.compaction[stream]
        return 1.0 if stream == KITCHEN else self.compaction_ratio

    def bays_for(self, stream: str) -> int:
        """Tipping bays usable by ``stream`` (its own, or all shared bays)."""
        return self.stream_bays.get(stream, self.bays)

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
    facility (by id) that takes the overflow, or is empty. ``external_t_per_day`` is the
    load other districts bring to a shared plant every day: it uses capacity before this
    scenario's waste does."""

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
    external_t_per_day: float = 0.0

    @property
    def available_t_per_day(self) -> float:
        """Capacity left for this scenario's waste after the external load."""
        return max(0.0, self.capacity_t_per_day - self.external_t_per_day)


OutageKind = Literal["planned", "retrofit", "unplanned"]
OUTAGE_KINDS: tuple[str, ...] = ("planned", "retrofit", "unplanned")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlantOutage:
    """Capacity a treatment facility loses (a row of ``plant_outages.csv``): ``planned`` and
    ``retrofit`` rows from ``start`` for ``days`` days; an ``unplanned`` row starts outages at
    random, ``rate_per_year`` on average, each lasting ``mean_days`` on average (geometric).
    The loss is ``t_per_day_lost`` or ``share_lost`` × capacity (exactly one is > 0), and the
    plant takes ``external_kept`` of its external load meanwhile; ``lines`` is text. An
    inactive row is a prepared outage a variant switches on. Rules: ``simulation.availability``."""

    id: str
    facility_id: str
    kind: OutageKind
    start: dt.date | None = None
    days: int = 0
    t_per_day_lost: float = 0.0
    share_lost: float = 0.0
    lines: str = ""
    rate_per_year: float = 0.0
    mean_days: float = 0.0
    external_kept: float = 1.0
    active: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleType:
    """A vehicle type: exactly one stream (no mixed collection). ``role`` is ``collection``
    (point to station/plant) or ``haul`` (transfer trailer station to plant; ``depot`` may then be
    a station id). ``max_stops`` and ``max_shift_load_kg`` are per shift over all trips; ``None``
    means unlimited. ``vehicle_class`` decides which points it can reach (:data:`ACCESS_RULES`);
    empty means the role's usual class (:attr:`effective_class`)."""

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
    vehicle_class: VehicleClass = ""

    @property
    def effective_class(self) -> str:
        """``vehicle_class``, or ``compactor`` (collection) / ``hook_lift`` (haul) when empty."""
        if self.vehicle_class:
            return self.vehicle_class
        return "compactor" if self.role == "collection" else "hook_lift"


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
    """How travel distances are obtained: great-circle × ``circuity`` (around ``barriers``,
        over ``crossings``), or a user ``matrix_file``. ``crs``: the coordinate system the tables
        were written in, ``barriers_crs`` that of ``barriers_file`` (both converted to WGS-84 on
        load, :mod:`wasteopt.coordinates`; a scenario in memory is always WGS-84). ``roads``: the
    road graph of ``roads_file`` (:mod:`wasteopt.scenario.roads`); with it, distances and times
    are fastest paths on the roads, points joined to their nearest road at ``snap_speed_kmh``
    (a warning names points farther than ``snap_warn_m``), and ``circuity`` does not apply."""

    circuity: float = 1.3
    matrix_file: str = ""
    crs: str = "wgs84"
    barriers_file: str = ""
    barriers_crs: str = "wgs84"
    barriers: tuple[Barrier, ...] = ()
    crossings: tuple[Crossing, ...] = ()
    roads_file: str = ""
    roads_crs: str = "wgs84"
    roads: RoadGraph | None = None
    snap_speed_kmh: float = 10.0
    snap_warn_m: float = 250.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningSettings:
    """How the facility plan prices and limits the chain (``[planning]`` in scenario.toml).

    ``mode``: ``status_quo`` (existing stations kept, candidates not built unless a variant
    says so: the scenario as specified) or ``free`` (the optimiser may close and build any
    station: a cost-only lower bound that ignores why stations really close). Both ``plan``
    and ``run`` use it unless told otherwise. ``max_haul_km``: no collection leg (point →
    station or plant) longer than this. ``shortfall_penalty_cny_per_t``: price of each tonne a
    station or plant cannot take (a named slack shown in every output). ``require_standard``:
    every station left open must meet the environmental standard and keep streams separate
    (the cost of this policy is reported against the plan without it).
    ``wage_cny_per_person_year``: yearly cost of one station worker (``TransferStation.staff``).
    ``refuse_unsorted``: the 不分类不收运 rule: points not ``compliant`` are not collected
    (:meth:`Scenario.refuses`), a deliberate choice reported apart from any shortfall.
    ``fill_margin``: the share (0 < m ≤ 1) of each collection vehicle's payload and body
    volume that routing plans on the expected kg, so a day heavier than expected still fits
    (1.0: plan to the full payload, as plain CVRP benchmarks do).
    """

    mode: PlanMode = "status_quo"
    max_haul_km: float | None = None
    shortfall_penalty_cny_per_t: float = 1000.0
    require_standard: bool = False
    wage_cny_per_person_year: float = 0.0
    refuse_unsorted: bool = False
    fill_margin: float = 1.0


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
    ``variant`` is the id of the applied variant, ``"base"`` for the base scenario; ``targets``
    are the city's goals (``[[targets]]``, :mod:`wasteopt.scenario.targets`)."""

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
    planning: PlanningSettings = field(default_factory=PlanningSettings)
    variants: tuple[Variant, ...] = ()
    targets: tuple[Target, ...] = ()
    horizon: PlanningHorizon | None = None  # [horizon], years.csv, builds.csv (multi-year plan)
    plant_outages: tuple[PlantOutage, ...] = ()
    residues: tuple[ResidueFlow, ...] = ()  # residues.csv: side flows beyond the gate
    variant: str = "base"
    # id → record per kind, built on first lookup (a city has 20,000 points; scans were O(N²)).
    _lookup: dict[str, dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    # -- lookups ---------------------------------------------------------------------------
    @property
    def stream_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.streams)

    def stream(self, stream_id: str) -> Stream:
        return self._find("streams", stream_id, "stream")

    def point(self, point_id: str) -> CollectionPoint:
        return self._find("points", point_id, "collection point")

    def depot(self, depot_id: str) -> Depot:
        return self._find("depots", depot_id, "depot")

    def station(self, station_id: str) -> TransferStation:
        return self._find("stations", station_id, "transfer station")

    def facility(self, facility_id: str) -> TreatmentFacility:
        return self._find("facilities", facility_id, "treatment facility")

    def vehicle_type(self, type_id: str) -> VehicleType:
        return self._find("vehicle_types", type_id, "vehicle type")

    def get_variant(self, variant_id: str) -> Variant:
        return self._find("variants", variant_id, "variant")

    def _find(self, kind: str, item_id: str, what: str) -> Any:
        """The record of ``getattr(self, kind)`` with ``item_id`` (the first one, as a scan
        would find it); KeyError naming ``what`` otherwise."""
        index = self._lookup.get(kind)
        if index is None:
            index = {}
            for item in getattr(self, kind):
                index.setdefault(item.id, item)
            self._lookup[kind] = index
        try:
            return index[item_id]
        except KeyError:
            raise KeyError(f"no {what} with id {item_id!r}") from None

    def refuses(self, point: CollectionPoint) -> bool:
        """True when the 不分类不收运 rule refuses ``point``: ``planning.refuse_unsorted`` is on
        and the point is not ``compliant``. A refused point is never due for any stream
        (:func:`wasteopt.generation.collection_schedule`)."""
        return self.planning.refuse_unsorted and not point.compliant

    def open_stations(self) -> tuple[TransferStation, ...]:
        return tuple(s for s in self.stations if s.is_open)

    def sites(self) -> tuple[tuple[str, float, float], ...]:
        """Every located site as ``(id, lon, lat)``: depots, stations, facilities, then points."""
        out: list[tuple[str, float, float]] = []
        for group in (self.depots, self.stations, self.facilities, self.points):
            out.extend((s.id, s.lon, s.lat) for s in group)
        return tuple(out)
