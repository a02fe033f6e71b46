"""The city's prepared plant outages (plant_outages.csv): random forced outages of each
waste-to-energy plant, switched on by the ``wte_unplanned`` variant (all illustrative)."""

from __future__ import annotations

from typing import Any

OUTAGE_COLS = [
    "id", "facility_id", "kind", "start", "days", "t_per_day_lost", "share_lost", "lines",
    "rate_per_year", "mean_days", "active", "source",
]  # fmt: skip

_SOURCE = (
    "illustrative: two forced outages of one line a year, a week on average (a WtE line runs "
    "about 8,000 of 8,760 h a year; a boiler tube rupture kept one of two boilers of the "
    "Durham York Energy Centre down seven weeks, oshawaexpress.ca)"
)
# plant -> (lines, share of capacity one line holds): Jiangbei 4 lines (README, M); the other
# plants' line counts are illustrative
WTE_LINES: dict[str, int] = {"FAC-WTE-JB": 4, "FAC-WTE-E": 4, "FAC-WTE-S": 4, "FAC-WTE-GC": 2}


def outage_rows() -> list[dict[str, Any]]:
    """One inactive ``unplanned`` row per WtE plant: one line of ``n`` lost at a time."""
    return [
        {
            "id": f"{fid}-UNPLANNED",
            "facility_id": fid,
            "kind": "unplanned",
            "share_lost": round(1 / n, 4),
            "lines": f"one of {n}",
            "rate_per_year": 2,
            "mean_days": 7,
            "active": "false",
            "source": _SOURCE,
        }
        for fid, n in WTE_LINES.items()
    ]


def variant_toml() -> str:
    """The ``wte_unplanned`` variant switching every row on."""
    parts = [
        "\n# Random forced WtE line outages (plant_outages.csv, illustrative; README.md)\n"
        '[[variants]]\nid = "wte_unplanned"\n'
        'description = "random forced outages of one WtE line: 2 a year per plant, a week on '
        'average"\n'
    ]
    for fid in WTE_LINES:
        parts.append(
            f'\n[[variants.edits]]\ntable = "plant_outages"\nid = "{fid}-UNPLANNED"\n'
            'field = "active"\nvalue = true\n'
        )
    return "".join(parts)
