"""Compare two output folders of `wasteopt run` file by file, ignoring what measures time.

Usage: python scripts/compare_runs.py BEFORE AFTER

Tables (CSV, Parquet) are compared cell by cell after dropping columns that hold wall-clock
measurements (names containing runtime, seconds_wall, elapsed, timing, events_per_s); JSON files
after dropping such keys and the manifest's timings, versions and code hashes. Other files
(PNG, SVG, PDF, XLSX, HTML) embed creation dates or renderer output: they are listed as
compared by size only. Exit 0 when every table and JSON file is equal, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

TIME_WORDS = ("runtime", "elapsed", "timing", "wall", "events_per_s", "solve_s", "seconds")
META_KEYS = ("versions", "python", "platform", "created", "commit", "code_version", "command")


def _timeless(name: str) -> bool:
    low = name.lower()
    return not any(w in low for w in TIME_WORDS)


def _clean(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _clean(v)
            for k, v in data.items()
            if _timeless(str(k)) and not any(m in str(k).lower() for m in META_KEYS)
        }
    if isinstance(data, list):
        return [_clean(v) for v in data]
    return data


def _table(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return frame[[c for c in frame.columns if _timeless(str(c))]]


def compare(before: Path, after: Path) -> int:
    names = sorted(
        {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
        | {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    )
    bad = 0
    equal = 0
    other = 0
    for rel in names:
        a, b = before / rel, after / rel
        if not a.exists() or not b.exists():
            print(f"ONLY IN {'after' if not a.exists() else 'before'}: {rel}")
            bad += 1
            continue
        if rel.suffix in (".csv", ".parquet"):
            ta, tb = _table(a), _table(b)
            if list(ta.columns) != list(tb.columns) or not ta.equals(tb):
                diff = "columns differ"
                if list(ta.columns) == list(tb.columns) and ta.shape == tb.shape:
                    mask = ~((ta == tb) | (ta.isna() & tb.isna()))
                    cols = [c for c in ta.columns if mask[c].any()]
                    diff = f"{int(mask.values.sum())} cells differ in {cols[:6]}"
                elif ta.shape != tb.shape:
                    diff = f"shape {ta.shape} vs {tb.shape}"
                print(f"DIFFERS: {rel}: {diff}")
                bad += 1
            else:
                equal += 1
        elif rel.suffix == ".json":
            ja = _clean(json.loads(a.read_text(encoding="utf-8")))
            jb = _clean(json.loads(b.read_text(encoding="utf-8")))
            if ja != jb:
                print(f"DIFFERS: {rel}")
                bad += 1
            else:
                equal += 1
        else:
            other += 1
    print(f"{equal} tables/JSON files equal, {bad} differ or missing, {other} other files")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
