"""Plots that explain a variant: its cost waterfall and the sensitivity tornado.

Both take the tables of :mod:`wasteopt.pipeline.explain` and
:mod:`wasteopt.pipeline.sensitivity` (plain DataFrames, so this layer needs no planning code)
and return a :class:`matplotlib.figure.Figure` built under
:func:`wasteopt.reporting.fonts.matplotlib_cjk`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from wasteopt.reporting.fonts import matplotlib_cjk

__all__ = ["plot_cost_waterfall", "plot_tornado"]

_UP, _DOWN, _TOTAL = "#c0392b", "#2e8b57", "#2b5c8a"


def plot_cost_waterfall(waterfall: pd.DataFrame, variant: str, *, title: str = "") -> Figure:
    """The variant's annual cost built up step by step (M CNY/yr): each step of
    ``waterfall`` (:func:`wasteopt.pipeline.explain.cost_waterfall`) a floating bar on top
    of the previous ones, then the total."""
    rows = waterfall[waterfall["variant"] == variant]
    steps = rows[rows["term"] != "total"]
    values = steps["cny_per_year"].to_numpy(dtype=float) / 1e6
    starts = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    total = float(values.sum())
    labels = [*steps["term"].astype(str), "total"]
    with matplotlib_cjk():
        fig = Figure(figsize=(7.5, 3.6), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(labels))
        colours = [_UP if v >= 0 else _DOWN for v in values] + [_TOTAL]
        ax.bar(x, [*values, total], bottom=[*starts, 0.0], color=colours, edgecolor="black")
        for i, v in enumerate([*values, total]):
            top = (starts[i] + max(v, 0.0)) if i < len(values) else total
            ax.text(i, top, f"{v:,.2f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, labels, rotation=25, ha="right", fontsize=8)
        ax.set_ylabel("M CNY / year")
        ax.set_title(title or f"{variant}: annual cost by step")
    return fig


def plot_tornado(table: pd.DataFrame, variant: str, *, title: str = "") -> Figure:
    """Cost difference variant − base (M CNY/yr) when each input is at its low and high
    value (:func:`wasteopt.pipeline.sensitivity.sensitivity`), widest swing on top; the
    vertical line is the nominal difference, a red label marks an input that flips the
    ranking of the variants."""
    rows = table[(table["variant"] == variant) & table["evaluated"].astype(bool)]
    rows = rows.sort_values("swing_cny_per_year", ascending=True)
    with matplotlib_cjk():
        fig = Figure(figsize=(7.5, 0.5 * max(len(rows), 2) + 1.4), layout="constrained")
        ax = fig.subplots()
        own = table[table["variant"] == variant]["delta_nominal_cny_per_year"]
        nominal = float(own.iloc[0]) / 1e6 if len(own) else 0.0
        y = np.arange(len(rows))
        low = rows["delta_low_cny_per_year"].to_numpy(dtype=float) / 1e6
        high = rows["delta_high_cny_per_year"].to_numpy(dtype=float) / 1e6
        ax.barh(y, low - nominal, left=nominal, color="#8fb3d9", label="input −")
        ax.barh(y, high - nominal, left=nominal, color="#e39b5b", label="input +")
        ax.axvline(nominal, color="black", linewidth=1)
        ax.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, list(rows["label"].astype(str)), fontsize=8)
        for tick, flips in zip(ax.get_yticklabels(), rows["flips_ranking"], strict=True):
            if bool(flips):
                tick.set_color(_UP)
        ax.set_xlabel(f"{variant} − base, M CNY / year (< 0: {variant} cheaper)")
        ax.legend(fontsize=7, loc="lower right")
        ax.set_title(title or f"{variant}: sensitivity (red: flips the ranking)")
    return fig
