"""Tests for wasteopt.network: great-circle distances, travel matrices, user matrix import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wasteopt.network as network
from wasteopt.errors import InputError
from wasteopt.network import (
    EARTH_RADIUS_M,
    TravelMatrix,
    build_matrix,
    haversine_m,
    read_matrix_csv,
)
from wasteopt.scenario.model import (
    CollectionPoint,
    Depot,
    GenerationSettings,
    NetworkSettings,
    Scenario,
    Stream,
)

ROOT = Path(__file__).resolve().parent.parent

# -- fixtures ---------------------------------------------------------------------------------


def _scenario(network: NetworkSettings | None = None, folder: str = ".") -> Scenario:
    points = tuple(
        CollectionPoint(
            id=f"P{i}",
            name=f"p{i}",
            lon=116.30 + 0.01 * i,
            lat=39.90 + 0.005 * i,
            district="d",
            residents=100,
            households=None,
            kg_per_day={},
            frequency={},
            service_time_s=60,
            tw_start_s=0,
            tw_end_s=86400,
        )
        for i in range(3)
    )
    depot = Depot(id="D1", name="depot", lon=116.25, lat=39.95, open_s=0, close_s=86400)
    return Scenario(
        id="tiny",
        name="tiny",
        description="",
        folder=folder,
        streams=(
            Stream(
                id="other",
                name_en="o",
                name_zh="其他",
                color="#6b6b6b",
                density_kg_per_m3=250,
                share=1.0,
            ),
        ),
        points=points,
        depots=(depot,),
        stations=(),
        facilities=(),
        vehicle_types=(),
        generation=GenerationSettings(start_date=dt.date(2025, 1, 1), kg_per_person_day=1.0),
        network=network or NetworkSettings(),
    )


def _write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _full_csv(ids, dist, dur=None) -> list[str]:
    head = "from_id,to_id,distance_m" + (",duration_s" if dur is not None else "")
    lines = [head]
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if i != j:
                row = f"{a},{b},{dist[i][j]}"
                lines.append(row + (f",{dur[i][j]}" if dur is not None else ""))
    return lines


lons = st.floats(-180, 180, allow_nan=False)
lats = st.floats(-89.9, 89.9, allow_nan=False)

# -- haversine --------------------------------------------------------------------------------


def test_haversine_one_degree_latitude():
    """One degree of latitude is R·π/180 ≈ 111,195 m on the documented sphere."""
    d = haversine_m(116.0, 39.0, 116.0, 40.0)
    assert d == pytest.approx(111_195.08, abs=0.01)
    assert d == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)


def test_haversine_quarter_equator_and_broadcast():
    """A quarter of the equator is R·π/2, and arrays broadcast against scalars."""
    d = haversine_m(0.0, 0.0, np.array([0.0, 90.0, 180.0]), 0.0)
    expected = EARTH_RADIUS_M * np.array([0.0, math.pi / 2, math.pi])
    np.testing.assert_allclose(d, expected, rtol=1e-12, atol=1e-6)
    assert haversine_m(np.zeros((2, 1)), 0.0, np.zeros((1, 3)), 1.0).shape == (2, 3)


@settings(max_examples=200, deadline=None)
@given(lons, lats, lons, lats, lons, lats)
def test_haversine_is_a_metric(lo1, la1, lo2, la2, lo3, la3):
    """Great-circle distance is symmetric, non-negative and obeys the triangle inequality."""
    ab = float(haversine_m(lo1, la1, lo2, la2))
    bc = float(haversine_m(lo2, la2, lo3, la3))
    ac = float(haversine_m(lo1, la1, lo3, la3))
    assert ab >= 0.0
    assert ab == pytest.approx(float(haversine_m(lo2, la2, lo1, la1)), abs=1e-6)
    assert ac <= ab + bc + 1e-6


# -- matrices from coordinates ----------------------------------------------------------------


def test_from_coordinates_symmetric_zero_diagonal_and_rounded():
    """The coordinate matrix is int32, symmetric, zero on the diagonal, round(haversine×c)."""
    rng = np.random.default_rng(3)
    n = 60
    lon, lat = rng.uniform(116.2, 116.6, n), rng.uniform(39.8, 40.1, n)
    m = TravelMatrix.from_coordinates([f"S{i}" for i in range(n)], lon, lat, circuity=1.25)
    d = m.distance_m
    assert d.dtype == np.int32 and d.shape == (n, n)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0)
    ref = np.rint(1.25 * haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]))
    np.fill_diagonal(ref, 0)
    # Chord and haversine forms agree to nanometres, so only an exact .5 tie could differ.
    assert np.abs(d - ref).max() <= 1
    assert np.mean(d == ref) > 0.99
    assert m.duration_s is None


def test_from_coordinates_block_boundaries(monkeypatch):
    """Small tiles (and threads) give the same full matrix as one tile."""
    rng = np.random.default_rng(5)
    n = 37
    lon, lat = rng.uniform(0, 1, n), rng.uniform(50, 51, n)
    ids = [str(i) for i in range(n)]
    whole = TravelMatrix.from_coordinates(ids, lon, lat).distance_m
    monkeypatch.setattr(network, "_TILE_ROWS", 5)
    monkeypatch.setattr(network, "_BLOCK_ELEMENTS", 35)  # 5 × 7 tiles, ragged edges, threads
    tiled = TravelMatrix.from_coordinates(ids, lon, lat)
    assert np.array_equal(tiled.distance_m, whole)
    ref = np.rint(1.3 * haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]))
    np.fill_diagonal(ref, 0)
    assert np.abs(tiled.distance_m - ref).max() <= 1


def test_arrays_are_read_only():
    """Distance and duration arrays cannot be written through the matrix."""
    m = TravelMatrix.from_coordinates(["a", "b"], [116.3, 116.4], [39.9, 39.9])
    with pytest.raises(ValueError):
        m.distance_m[0, 1] = 5
    dur = m.durations_s(30.0)
    with pytest.raises(ValueError):
        dur[0, 1] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.ids = ("x", "y")


def test_durations_from_speed_round_up():
    """Durations are ceil(distance / speed) in seconds, exact for whole quotients."""
    m = TravelMatrix(
        ids=("a", "b", "c"), distance_m=np.array([[0, 1000, 1001], [999, 0, 7], [25, 1, 0]])
    )
    dur = m.durations_s(25.0)  # 25 km/h = 6.944… m/s: 1000 m take exactly 144 s
    assert dur.dtype == np.int32
    expected = np.array([[0, 144, 145], [144, 0, 2], [4, 1, 0]])
    assert np.array_equal(dur, expected)
    with pytest.raises(ValueError):
        m.durations_s(0.0)


def test_user_durations_win_over_speed():
    """A matrix with user durations returns them whatever the speed."""
    dist = np.array([[0, 100], [120, 0]])
    dur = np.array([[0, 30], [40, 0]])
    m = TravelMatrix(ids=("a", "b"), distance_m=dist, duration_s=dur)
    assert np.array_equal(m.durations_s(10.0), dur)
    assert np.array_equal(m.durations_s(90.0), dur)


def test_index_and_indices():
    """index/indices map ids to rows and name unknown ids."""
    m = TravelMatrix(ids=("a", "b", "c"), distance_m=np.zeros((3, 3)))
    assert m.index("c") == 2
    assert m.indices(["c", "a"]).tolist() == [2, 0]
    with pytest.raises(KeyError, match="zz"):
        m.indices(["a", "zz"])
    with pytest.raises(KeyError):
        m.index("q")
    with pytest.raises(ValueError, match="duplicate"):
        TravelMatrix(ids=("a", "a"), distance_m=np.zeros((2, 2)))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_sub_matrix_consistent(data):
    """sub(ids) keeps every pairwise distance and duration of the chosen ids, in their order."""
    n = data.draw(st.integers(2, 9))
    rng = np.random.default_rng(n)
    dist = rng.integers(0, 10_000, (n, n))
    dur = rng.integers(0, 1_000, (n, n))
    ids = tuple(f"S{i}" for i in range(n))
    m = TravelMatrix(ids=ids, distance_m=dist, duration_s=dur)
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=n, unique=True))
    sub = m.sub(chosen)
    assert sub.ids == tuple(chosen)
    for a in chosen:
        for b in chosen:
            assert sub.distance_m[sub.index(a), sub.index(b)] == dist[m.index(a), m.index(b)]
            assert sub.duration_s[sub.index(a), sub.index(b)] == dur[m.index(a), m.index(b)]
    assert not sub.distance_m.flags.writeable


# -- user matrix CSV --------------------------------------------------------------------------


def test_read_matrix_csv_asymmetric(tmp_path):
    """An asymmetric complete matrix is read as given, with durations and a zero diagonal."""
    ids = ["A", "B", "C"]
    dist = [[0, 100, 250], [130, 0, 90], [240, 95.6, 0]]
    dur = [[0, 10, 25], [13, 0, 9], [24, 10, 0]]
    m = read_matrix_csv(_write(tmp_path / "m.csv", _full_csv(ids, dist, dur)), ids)
    assert m.ids == tuple(ids)
    assert m.distance_m.tolist() == [[0, 100, 250], [130, 0, 90], [240, 96, 0]]
    assert m.duration_s.tolist() == dur
    assert m.distance_m[0, 1] != m.distance_m[1, 0]


def test_read_matrix_csv_row_order_and_ids_order(tmp_path):
    """Rows may come in any order (ids may be padded); the matrix follows the ids argument."""
    lines = ["from_id,to_id,distance_m", "B,A,2", "A ,B,1"]  # spaces around ids are ignored
    m = read_matrix_csv(_write(tmp_path / "m.csv", lines), ["B", "A"])
    assert m.distance_m.tolist() == [[0, 2], [1, 0]]
    assert m.duration_s is None


def test_read_matrix_csv_reports_everything_at_once(tmp_path):
    """Missing pairs by id, unknown ids, duplicates, negatives and text values in one error."""
    lines = [
        "from_id,to_id,distance_m,duration_s",
        "A,B,100,10",  # line 2
        "",  # line 3: blank lines are skipped but counted
        "A,B,100,10",  # line 4: duplicate
        "B,A,-5,10",  # line 5: negative
        "A,C,abc,10",  # line 6: non-numeric
        "C,A,7,",  # line 7: empty duration
        "A,X,1,1",  # line 8: unknown id
    ]
    with pytest.raises(InputError) as err:
        read_matrix_csv(_write(tmp_path / "m.csv", lines), ["A", "B", "C"])
    probs = err.value.problems
    text = str(err.value)
    assert any(p.where == "line 4" and "more than once" in p.message for p in probs)
    assert any(p.where == "line 5" and p.field == "distance_m" and p.value == "-5" for p in probs)
    assert any(p.where == "line 6" and p.field == "distance_m" and p.value == "abc" for p in probs)
    assert any(p.where == "line 7" and p.field == "duration_s" for p in probs)
    assert any(p.where == "line 8" and p.field == "to_id" and p.value == "X" for p in probs)
    missing = {p.where for p in probs if p.message == "missing pair"}
    assert missing == {"pair B → C", "pair C → B"}
    assert "2 of 6 ordered pairs are missing" in text
    assert "m.csv" in text


def test_read_matrix_csv_caps_missing_pair_list(tmp_path):
    """Many missing pairs: the first 20 are named and the total is counted."""
    ids = [f"S{i}" for i in range(8)]
    with pytest.raises(InputError) as err:
        read_matrix_csv(_write(tmp_path / "m.csv", ["from_id,to_id,distance_m", "S0,S1,5"]), ids)
    named = [p for p in err.value.problems if p.message == "missing pair"]
    assert len(named) == 20
    assert "55 of 56 ordered pairs are missing in total" in str(err.value)


def test_read_matrix_csv_missing_column_and_self_distance(tmp_path):
    """A missing column is named; a non-zero distance from a site to itself is rejected."""
    with pytest.raises(InputError, match="distance_m: missing column"):
        read_matrix_csv(_write(tmp_path / "a.csv", ["from_id,to_id", "A,B"]), ["A", "B"])
    lines = ["from_id,to_id,distance_m", "A,B,1", "B,A,1", "A,A,3"]
    with pytest.raises(InputError) as err:
        read_matrix_csv(_write(tmp_path / "b.csv", lines), ["A", "B"])
    assert [p.where for p in err.value.problems] == ["line 4"]


# -- build_matrix -----------------------------------------------------------------------------


def test_build_matrix_from_coordinates_uses_circuity():
    """build_matrix covers every site (depots first) and scales with the scenario circuity."""
    base = build_matrix(_scenario(NetworkSettings(circuity=1.0)))
    more = build_matrix(_scenario(NetworkSettings(circuity=1.5)))
    assert base.ids == ("D1", "P0", "P1", "P2")
    ratio = more.distance_m[base.distance_m > 0] / base.distance_m[base.distance_m > 0]
    np.testing.assert_allclose(ratio, 1.5, atol=1e-3)
    part = build_matrix(_scenario(NetworkSettings(circuity=1.5)), ["P2", "D1"])
    assert np.array_equal(part.distance_m, more.sub(["P2", "D1"]).distance_m)
    with pytest.raises(KeyError):
        build_matrix(_scenario(), ["nope"])


def test_build_matrix_from_file_relative_to_folder(tmp_path):
    """A scenario matrix_file is read relative to the scenario folder (or the given folder)."""
    ids = ["D1", "P0", "P1", "P2"]
    dist = [[0 if i == j else 100 * i + j for j in range(4)] for i in range(4)]
    _write(tmp_path / "matrix.csv", _full_csv(ids, dist))
    sc = _scenario(NetworkSettings(matrix_file="matrix.csv"), folder=str(tmp_path))
    m = build_matrix(sc)
    assert m.distance_m.tolist() == dist
    sub = build_matrix(
        dataclasses.replace(sc, folder="/nonexistent"), ["P1", "D1"], folder=str(tmp_path)
    )
    assert sub.distance_m.tolist() == [[0, 200], [2, 0]]


def test_build_matrix_names_matrix_file_relative(tmp_path):
    """Problems in a scenario's matrix file are reported under its scenario-relative name."""
    _write(tmp_path / "matrix.csv", ["from_id,to_id,distance_m", "D1,P0,5"])
    sc = _scenario(NetworkSettings(matrix_file="matrix.csv"), folder=str(tmp_path))
    with pytest.raises(InputError) as err:
        build_matrix(sc)
    assert {p.file for p in err.value.problems} == {"matrix.csv"}
    assert "11 of 12 ordered pairs are missing" in str(err.value)


def test_pickle_keeps_matrix_read_only():
    """A pickled matrix (sent to a worker process) comes back equal and still read-only."""
    m = TravelMatrix(
        ids=("a", "b"), distance_m=np.array([[0, 7], [9, 0]]), duration_s=np.array([[0, 1], [2, 0]])
    )
    back = pickle.loads(pickle.dumps(m))
    assert back.ids == m.ids and back.index("b") == 1
    assert np.array_equal(back.distance_m, m.distance_m)
    assert np.array_equal(back.duration_s, m.duration_s)
    assert not back.distance_m.flags.writeable and not back.duration_s.flags.writeable


def test_constructor_rounds_floats_and_rejects_bad_values():
    """Float matrices are rounded to whole metres; negative, NaN or mis-shaped ones are refused."""
    m = TravelMatrix(ids=("a", "b"), distance_m=np.array([[0.0, 1.7], [2.2, 0.0]]))
    assert m.distance_m.tolist() == [[0, 2], [2, 0]] and m.distance_m.dtype == np.int32
    for bad in (np.array([[0, -1], [1, 0]]), np.array([[0, np.nan], [1, 0]]), np.zeros((2, 3))):
        with pytest.raises(ValueError):
            TravelMatrix(ids=("a", "b"), distance_m=bad)


def test_jintan_legs_go_around_the_lake(jintan_dir):
    """长荡湖 is a barrier of Jintan: DEPOT-EAST → P-ZQ-036 (22.4 km straight over the lake in
    issue 16) is priced along its path round the north shore, and the lazy table agrees."""
    from wasteopt.barriers import EARTH_RADIUS_M as R
    from wasteopt.barriers import half_vectors
    from wasteopt.scenario import load_scenario

    s = load_scenario(jintan_dir)
    straight = dataclasses.replace(s, network=NetworkSettings(circuity=s.network.circuity))
    ids = ["DEPOT-EAST", "P-ZQ-036", "P-LG-M1"]
    m, plain = build_matrix(s, ids), build_matrix(straight, ids)
    assert plain.block(ids[:1], ids[1:2])[0, 0] == 22394
    path = network.scenario_barriers(s).path(
        *(((x.lon, x.lat)) for x in (s.depot(ids[0]), s.point(ids[1])))
    )
    h = half_vectors([p[0] for p in path], [p[1] for p in path])
    half_arcs = np.arcsin(np.sqrt(((h[:, 1:] - h[:, :-1]) ** 2).sum(axis=0)))
    expected = 2 * R * s.network.circuity * half_arcs.sum()
    assert m.block(ids[:1], ids[1:2])[0, 0] == pytest.approx(expected, abs=1)
    assert m.block(ids[:1], ids[1:2])[0, 0] > 24000
    assert m.block(ids[:1], ids[2:])[0, 0] == plain.block(ids[:1], ids[2:])[0, 0]  # clear leg
    lazy = build_matrix(s, ids, lazy=True)
    assert np.array_equal(lazy.block(ids, ids), m.block(ids, ids))


def test_fit_circuity_on_tiny_roads_round_the_river_beats_straight_lines():
    """On tiny_roads with tiny_river's river, the circuity of the far legs (between all 12
    sites) is fitted on the 66 legs from every other site and tried on the other 66; the ways
    round the river come closer to the roads on those held-out legs than straight lines do,
    and each road profile gets a speed per kind of leg."""
    from wasteopt.network import fit_circuity
    from wasteopt.scenario import load_scenario

    roads = load_scenario(ROOT / "scenarios" / "tiny_roads")
    river = load_scenario(ROOT / "scenarios" / "tiny_river")
    both = dataclasses.replace(
        roads,
        network=dataclasses.replace(
            roads.network, barriers=river.network.barriers, crossings=river.network.crossings
        ),
    )
    cal = fit_circuity(both, sample=12, near=3)
    fits = {(f.legs, f.geometry): f for f in cal.circuity}
    assert list(fits) == [
        ("near", "barriers"),
        ("near", "straight"),
        ("far", "barriers"),
        ("far", "straight"),
    ]
    assert (fits["far", "barriers"].fit_legs, fits["far", "barriers"].held_out_legs) == (66, 66)
    assert (fits["near", "straight"].fit_legs, fits["near", "straight"].held_out_legs) == (18, 18)
    assert fits["far", "barriers"].held_out_error < 0.8 * fits["far", "straight"].held_out_error
    assert 1.0 < fits["far", "barriers"].circuity < fits["far", "straight"].circuity < 1.3
    profiles = {v.id for v in roads.vehicle_types}
    for kind in ("near", "far"):
        named = [t for f in cal.speeds if f.legs == kind for t in f.vehicle_types]
        assert sorted(named) == sorted(profiles)  # every vehicle type in one profile's row
    assert all(0 < f.fitted_kmh <= f.declared_kmh * 1.01 for f in cal.speeds)


def test_fit_circuity_recovers_a_uniform_factor_and_draws_its_sample():
    """Where every road leg is exactly 1.25 × its straight line and every vehicle drives it at
    its own speed, the fit gives 1.25 and the declared speeds with no error; a sample of 6 of
    the 12 sites gives 15 fit and 15 held-out far legs, the same for the same seed."""
    from wasteopt import network as net
    from wasteopt.scenario import load_scenario
    from wasteopt.travel_table import RoadTable

    roads = load_scenario(ROOT / "scenarios" / "tiny_roads")
    real_build = net.build_matrix

    class Exact(RoadTable):  # the roads' metres and seconds replaced by 1.25 × straight lines
        def block(self, rows, cols):
            plain = dataclasses.replace(roads, network=NetworkSettings(circuity=1.25))
            m = real_build(plain, ids_of[0]).block(
                [ids_of[0][r] for r in rows], [ids_of[0][c] for c in cols]
            )
            if self.profile is None or not self.seconds:
                return m
            return np.ceil(m / (self.profile.speed_kmh / 3.6)).astype(np.int32)

        def for_profile(self, profile, *, seconds=True):
            twin = RoadTable.for_profile(self, profile, seconds=seconds)
            twin.__class__ = Exact
            return twin

    ids_of: list[list[str]] = []

    def fake(scenario, ids=None, **kw):
        got = real_build(scenario, ids, **kw)
        if scenario.network.roads is None:
            return got
        ids_of[:] = [list(ids)]
        table = got.distance_m
        table.__class__ = Exact
        return got

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(net, "build_matrix", fake)
        cal = net.fit_circuity(roads, sample=6, seed=3)
        again = net.fit_circuity(roads, sample=6, seed=3)
    far = next(f for f in cal.circuity if f.legs == "far")
    assert far.circuity == pytest.approx(1.25, rel=1e-3)
    assert far.held_out_error < 1e-3 and (far.fit_legs, far.held_out_legs) == (15, 15)
    for f in cal.speeds:
        assert f.fitted_kmh == pytest.approx(f.declared_kmh, rel=0.02)
    assert again == cal
