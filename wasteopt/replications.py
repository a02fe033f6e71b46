"""Replication statistics for comparing variants: mean ± t confidence interval, paired differences.

Model
-----
Each variant was run with the same seeds (common random numbers): replication ``i`` of every
variant sees the same random demand and disturbances. For a KPI with replication values
``x_1 … x_n`` of one variant::

    mean = Σ x_i / n,   sd = sqrt(Σ (x_i − mean)² / (n − 1)),
    half_width = t_{(1+level)/2, n−1} × sd / sqrt(n)        (Student t, scipy.stats)

and the difference of variant ``v`` to the base uses the paired values ``d_s = x_v,s − x_base,s``
of the seeds ``s`` both have, with the same formula on ``d``. Pairing removes the variation the
two share, so the difference's interval is usually much narrower than the two means' intervals
suggest. With fewer than two values (pairs) the interval is NaN: it cannot be estimated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["compare_results", "format_comparison", "mean_ci", "t_quantile"]


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (0.5 < p < 1) of Student's t with ``df`` >= 1 degrees of freedom."""
    if not 0.5 < p < 1.0:
        raise ValueError(f"p must lie in (0.5, 1), got {p}")
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, got {df}")
    return float(stats.t.ppf(p, int(df)))


def mean_ci(values: Iterable[float], *, level: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, sd, half_width, n)`` of the finite values; sd and half-width NaN when n < 2."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    sd = float(x.std(ddof=1))
    return mean, sd, t_quantile((1.0 + level) / 2.0, n - 1) * sd / math.sqrt(n), n


def compare_results(
    frames_by_variant: Mapping[str, pd.DataFrame],
    *,
    base: str = "base",
    seed_column: str = "seed",
    kpis: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per (kpi, variant): n, mean, sd, CI; and the paired difference to ``base``.

    ``frames_by_variant[v]`` holds one row per replication of variant ``v`` with a
    ``seed_column`` and numeric KPI columns (``kpis``: default every numeric column the base
    has, except the seed). Differences pair rows by seed, never by position. Columns: ``kpi,
    variant, n, mean, sd, ci_low, ci_high, half_width, n_pairs, diff_mean, diff_ci_low,
    diff_ci_high, diff_half_width, diff_significant`` (the difference's CI excludes 0).
    """
    if base not in frames_by_variant:
        raise ValueError(f"the base variant {base!r} is missing; have {sorted(frames_by_variant)}")
    for name, frame in frames_by_variant.items():
        if seed_column not in frame.columns:
            raise ValueError(f"variant {name!r}: no {seed_column!r} column to pair replications")
        dup = frame[seed_column][frame[seed_column].duplicated()].tolist()
        if dup:
            raise ValueError(f"variant {name!r}: seeds {dup} appear more than once")
    base_frame = frames_by_variant[base]
    if kpis is None:
        kpis = [
            c
            for c in base_frame.columns
            if c != seed_column
            and pd.api.types.is_numeric_dtype(base_frame[c])
            and not pd.api.types.is_bool_dtype(base_frame[c])
        ]
    order = [base, *(v for v in frames_by_variant if v != base)]
    rows = []
    for kpi in kpis:
        base_by_seed = base_frame.set_index(seed_column)[kpi].astype(float)
        for variant in order:
            frame = frames_by_variant[variant]
            if kpi not in frame.columns:
                raise ValueError(f"variant {variant!r} has no KPI column {kpi!r}")
            values = frame.set_index(seed_column)[kpi].astype(float)
            mean, sd, hw, n = mean_ci(values, level=level)
            row = {
                "kpi": kpi,
                "variant": variant,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - hw,
                "ci_high": mean + hw,
                "half_width": hw,
            }
            if variant == base:
                row.update(
                    n_pairs=n,
                    diff_mean=0.0,
                    diff_ci_low=math.nan,
                    diff_ci_high=math.nan,
                    diff_half_width=math.nan,
                    diff_significant=False,
                )
            else:
                diff = (values - base_by_seed).dropna()  # aligned on seed
                d_mean, _, d_hw, n_pairs = mean_ci(diff, level=level)
                row.update(
                    n_pairs=n_pairs,
                    diff_mean=d_mean,
                    diff_ci_low=d_mean - d_hw,
                    diff_ci_high=d_mean + d_hw,
                    diff_half_width=d_hw,
                    diff_significant=bool(
                        np.isfinite(d_hw) and (d_mean - d_hw > 0 or d_mean + d_hw < 0)
                    ),
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _pm(mean: float, hw: float, digits: int) -> str:
    if not math.isfinite(mean):
        return "–"
    if not math.isfinite(hw):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {hw:.{digits}f}"


def format_comparison(table: pd.DataFrame, *, digits: int = 2) -> pd.DataFrame:
    """The :func:`compare_results` table as text: one row per KPI, ``mean ± half-width`` per
    variant and ``Δ v`` columns with the paired difference (``*`` when its CI excludes 0)."""
    variants = list(dict.fromkeys(table["variant"]))
    base = variants[0] if variants else ""
    out: dict[str, dict[str, str]] = {}
    for r in table.to_dict("records"):
        variant = str(r["variant"])
        cells = out.setdefault(str(r["kpi"]), {})
        cells[variant] = _pm(r["mean"], r["half_width"], digits)
        if variant != base:
            mark = " *" if r["diff_significant"] else ""
            cells[f"Δ {variant}"] = _pm(r["diff_mean"], r["diff_half_width"], digits) + mark
    cols = variants + [f"Δ {v}" for v in variants[1:]]
    frame = pd.DataFrame.from_dict(out, orient="index")
    return frame.reindex(columns=cols).rename_axis("kpi")
