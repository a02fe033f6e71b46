"""Scenario data: the frozen model, loading a scenario folder, validation and variants."""

from wasteopt.scenario.load import STANDARD_STREAMS, load_scenario
from wasteopt.scenario.model import (
    FACILITY_KINDS,
    FREQUENCIES,
    STATION_DECISIONS,
    STATION_STATUSES,
    CollectionPoint,
    Depot,
    Edit,
    Frequency,
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
from wasteopt.scenario.validate import generated_streams, validate_scenario
from wasteopt.scenario.variants import apply_variant

__all__ = [
    "FACILITY_KINDS",
    "FREQUENCIES",
    "STANDARD_STREAMS",
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
    "apply_variant",
    "generated_streams",
    "load_scenario",
    "validate_scenario",
]
