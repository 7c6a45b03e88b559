"""Monte Carlo: equivalence with the one-sample engine, determinism, known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qdb.uncertainty as U
from qdb.assess import assess
from qdb.io.load import load_dataset, parse_catalog, parse_inventory
from qdb.models import Matchup
from qdb.models.estimate import Estimate
from qdb.targets import parse_target, set_estimate
from qdb.uncertainty import (
    SamplingError,
    UncertainInput,
    evaluate_balances,
    monte_carlo,
    sample_inputs,
    uncertain_inputs,
)

MC_DATA = Path(__file__).parent / "data" / "mc"

SOURCES = """
sources:
  t: {title: T, publisher: P, date: 2024-01-01, url: https://example.org}
"""


@pytest.fixture(scope="module")
def mc() -> Matchup:
    """Read-only: the fixture with every kind of ranged input and every law."""
    return load_dataset(MC_DATA).dataset.matchup()


@pytest.fixture(scope="module")
def bundled() -> Matchup:
    """Read-only: the bundled data (no exact numbers are assumed)."""
    return load_dataset(None).dataset.matchup()


def make(catalog: str, blue_systems: str, red_systems: str, extra_blue: str = "") -> Matchup:
    """A matchup from YAML snippets (tiny inline fixtures)."""
    cat = parse_catalog(SOURCES + catalog)

    def inv(side: str, systems: str, extra: str) -> str:
        return f"side: {side}\nname: {side}\nas_of: 2024-01-01\n{SOURCES}{extra}systems:\n{systems}"

    blue = parse_inventory(inv("ukraine", blue_systems, extra_blue), catalog=cat)
    red = parse_inventory(inv("russia", red_systems, ""), catalog=cat)
    return Matchup(cat, blue, red)


def engine_balances(
    m: Matchup, inputs: list[UncertainInput], row: np.ndarray
) -> list[float | None]:
    """Feed one sample back through set_estimate and the one-sample engine."""
    for x, v in zip(inputs, row, strict=True):
        m = set_estimate(m, parse_target(x.target), Estimate.point(float(v)))
    return [r.balance for r in assess(m, with_critical=False).contests]


def assert_equivalent(m: Matchup, n: int = 100, seed: int = 0) -> None:
    inputs, X = sample_inputs(m, n, seed)
    B = evaluate_balances(m, X)
    for i in range(n):
        for c, b in enumerate(engine_balances(m, inputs, X[i])):
            if b is None:
                assert np.isnan(B[i, c])
            else:
                np.testing.assert_allclose(B[i, c], b, rtol=1e-12, atol=0)


# -- equivalence with the one-sample engine ----------------------------------


def test_fixture_ranges_every_kind_of_input(mc: Matchup) -> None:
    names = {x.target for x in uncertain_inputs(mc)}
    for expected in [
        "ukraine:t64.quantity",
        "ukraine:t64.readiness",
        "ukraine:leo.quality",
        "ukraine:patriot.stock",
        "russia:geran2.per_day",
        "ukraine:training.ground",
        "ukraine:enablers.isr",
        "ukraine:patriot.per_day",
        "ukraine:munitions.shell.stock",
        "russia:munitions.shell.per_day",
        "russia:raids.nightly.geran2",
        "catalog:classes.sam_lr.engages.cruise.pk",
        "catalog:classes.sam_sr.engages.shahed.shots",
        "catalog:classes.sam_lr.coverage",
        "catalog:classes.sam_lr.shots_per_raid",
        "catalog:classes.artillery.fires.rate",
        "catalog:contests.fires.threat.artillery",
        "catalog:contests.armour.counters.atgm",
        "catalog:contests.air.exponent",
        "catalog:contests.air_defence.acceptable_leakage",
    ]:
        assert expected in names


def test_vectorised_equals_engine_first_hundred(mc: Matchup) -> None:
    assert_equivalent(mc, 100, seed=0)


def test_vectorised_equals_engine_other_seed(mc: Matchup) -> None:
    assert_equivalent(mc, 30, seed=12345)


def test_vectorised_equals_engine_bundled(bundled: Matchup) -> None:
    assert_equivalent(bundled, 100, seed=0)


def test_point_values_reproduce_assess(mc: Matchup) -> None:
    inputs = uncertain_inputs(mc)
    B = evaluate_balances(mc, np.array([[x.estimate for x in inputs]]))
    for c, r in enumerate(assess(mc, with_critical=False).contests):
        if r.balance is None:
            assert np.isnan(B[0, c])
        else:
            assert B[0, c] == pytest.approx(r.balance, rel=1e-12)


def test_monte_carlo_summary_matches_its_samples(mc: Matchup) -> None:
    n = 3000
    res = monte_carlo(mc, n, seed=5)
    _, X = sample_inputs(mc, n, 5)
    B = evaluate_balances(mc, X)
    thr = mc.catalog.thresholds.matched
    ok = np.isnan(B) | (thr <= B)
    crit = [c.critical for c in mc.catalog.contests]
    assert res.p_certified == pytest.approx(ok[:, crit].all(axis=1).mean(), abs=1e-12)
    for c, con in enumerate(mc.catalog.contests):
        u = res.contest_uncertainty(con.id)
        assert u["p_matched_or_offset"] == pytest.approx(ok[:, c].mean(), abs=1e-12)
        col = B[:, c][~np.isnan(B[:, c])]
        if col.size == 0:
            assert u["balance_p05"] is u["balance_p50"] is u["balance_p95"] is None
        else:
            want = np.percentile(col, [5, 50, 95])
            got = [u["balance_p05"], u["balance_p50"], u["balance_p95"]]
            np.testing.assert_allclose(got, want, rtol=1e-11)


# -- determinism ---------------------------------------------------------------


def test_same_seed_same_bytes_whatever_the_chunking(mc: Matchup) -> None:
    runs = [monte_carlo(mc, 70_000, seed=3, chunk_size=cs) for cs in (1000, 7777, 100_000)]
    dumped = {
        json.dumps([r.uncertainty, r.p_offset, r.p_certified], sort_keys=True) for r in runs
    }
    assert len(dumped) == 1


def test_draws_of_a_sample_do_not_depend_on_the_sample_count(mc: Matchup) -> None:
    _, small = sample_inputs(mc, 100, seed=9)
    _, large = sample_inputs(mc, 70_000, seed=9)
    np.testing.assert_array_equal(small, large[:100])
    assert not np.array_equal(large[:10], large[65_536 : 65_536 + 10])


def test_different_seeds_differ(mc: Matchup) -> None:
    a, b = monte_carlo(mc, 2000, seed=0), monte_carlo(mc, 2000, seed=1)
    assert a.uncertainty != b.uncertainty


def test_common_random_numbers_across_inputs(mc: Matchup) -> None:
    """An input's draws do not change when another input stops being ranged."""
    inputs, X = sample_inputs(mc, 50, seed=2)
    m2 = set_estimate(mc, parse_target("ukraine:t64.quantity"), Estimate.point(800))
    inputs2, X2 = sample_inputs(m2, 50, seed=2)
    col = {x.target: j for j, x in enumerate(inputs)}
    for j, x in enumerate(inputs2):
        np.testing.assert_array_equal(X2[:, j], X[:, col[x.target]])


def test_progress_counts_every_sample(mc: Matchup) -> None:
    seen: list[int] = []
    monte_carlo(mc, 25_000, seed=0, chunk_size=4096, progress=seen.append)
    assert sum(seen) == 25_000 and len(seen) == math.ceil(25_000 / 4096)


@pytest.mark.parametrize(("samples", "seed"), [(0, 0), (-5, 0), (10, -1), (True, 0)])
def test_bad_samples_or_seed(mc: Matchup, samples: int, seed: int) -> None:
    with pytest.raises(SamplingError, match=r"^--(samples|seed) must be"):
        monte_carlo(mc, samples, seed)


# -- known answers (tolerances from the sample size) --------------------------

LINEAR = """
classes:
  gun: {domain: fires, branch: ground, unit: gun, unit_cost_musd: 1}
  jet: {domain: air, branch: air, unit: jet, unit_cost_musd: 1}
contests:
  - {id: fires, title: Fires, domain: fires, law: linear, critical: true, threat: {gun: 1}, counters: {gun: 1}, rationale: r}
  - {id: air, title: Air, domain: air, law: linear, critical: true, threat: {jet: 1}, counters: {jet: 1}, rationale: r}
"""


def tri_cdf(x: float, a: float, c: float, b: float) -> float:
    if x <= a:
        return 0.0
    if x >= b:
        return 1.0
    if x <= c:
        return (x - a) ** 2 / ((b - a) * (c - a))
    return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))


def tri_pdf(x: float, a: float, c: float, b: float) -> float:
    return 2 * (x - a) / ((b - a) * (c - a)) if x <= c else 2 * (b - x) / ((b - a) * (b - c))


def tri_ppf(u: float, a: float, c: float, b: float) -> float:
    return float(UncertainInput("x", a, c, b).ppf(u))


def binomial_tol(p: float, n: int, z: float = 5.0) -> float:
    return z * math.sqrt(max(p * (1 - p), 1e-12) / n)


def test_known_probability_and_percentiles_linear_law() -> None:
    # blue 100 guns vs red guns ~ Tri(80, 100, 160): balance = 100 / N_red
    m = make(
        LINEAR,
        "  - {id: g, name: G, class: gun, quantity: 100, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 50, source: t}\n",
        "  - {id: g, name: G, class: gun, quantity: {low: 80, estimate: 100, high: 160}, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: {low: 40, estimate: 50, high: 70}, source: t}\n",
    )
    n = 40_000
    res = monte_carlo(m, n, seed=11)
    a, c, b = 80, 100, 160
    p_fires = tri_cdf(100 / 0.9, a, c, b)  # balance >= 0.9  <=>  N_red <= 111.1
    got = res.contest_uncertainty("fires")
    assert abs(got["p_matched_or_offset"] - p_fires) < binomial_tol(p_fires, n)
    for pct, key in ((5, "balance_p05"), (50, "balance_p50"), (95, "balance_p95")):
        x = tri_ppf(1 - pct / 100, a, c, b)  # balance is decreasing in N_red
        # standard error of a sample quantile, mapped through balance = 100 / x
        se = math.sqrt(pct / 100 * (1 - pct / 100) / n) / tri_pdf(x, a, c, b) * 100 / x**2
        assert abs(got[key] - 100 / x) < 5 * se
    p_air = tri_cdf(50 / 0.9, 40, 50, 70)
    assert abs(res.contest_uncertainty("air")["p_matched_or_offset"] - p_air) < binomial_tol(
        p_air, n
    )
    # two independent critical contests: certified when both hold
    assert abs(res.p_certified - p_fires * p_air) < binomial_tol(p_fires * p_air, n)


def test_known_probability_iamd() -> None:
    # one unlimited layer: 100 rounds a raid, coverage 1, Pk 0.95; one raid of T ~ Tri(50, 100, 150)
    # drones (a one-day campaign): leakage = 0.05 if T <= 100 else 1 - 95 / T;
    # holds iff leakage <= 0.1 ** 0.9
    cat = """
campaign_days: 1
classes:
  drone: {domain: strike, branch: air, unit: drone, unit_cost_musd: 0.05}
  gun: {domain: air_defence, branch: air_defence, unit: gun, unit_cost_musd: 1, shots_per_raid: 1,
        coverage: 1, engages: [{threat: drone, pk: 0.95}]}
iamd: {layers: [gun]}
contests:
  - {id: ad, title: AD, domain: air_defence, law: iamd, critical: true, threats: [drone],
     acceptable_leakage: 0.1, rationale: r}
"""
    cat_m = parse_catalog(SOURCES + cat)
    blue = parse_inventory(
        f"side: ukraine\nname: u\nas_of: 2024-01-01\n{SOURCES}systems:\n"
        "  - {id: g, name: G, class: gun, quantity: 100, source: t}\n",
        catalog=cat_m,
    )
    red = parse_inventory(
        f"side: russia\nname: r\nas_of: 2024-01-01\n{SOURCES}systems:\n"
        "  - {id: d, name: D, class: drone, quantity: 1000000, source: t}\n"
        "raids:\n  - {id: night, every_days: 1, size: {d: {low: 50, estimate: 100, high: 150}}}\n",
        catalog=cat_m,
    )
    m = Matchup(cat_m, blue, red)
    n = 40_000
    res = monte_carlo(m, n, seed=4)
    t_star = 95 / (1 - 0.1**0.9)
    p = tri_cdf(t_star, 50, 100, 150)
    got = res.contest_uncertainty("ad")
    assert abs(got["p_matched_or_offset"] - p) < binomial_tol(p, n)
    assert res.p_certified == got["p_matched_or_offset"]
    # below the capacity (more than 25 % of samples) the leakage is exactly 0.05
    assert got["balance_p95"] == pytest.approx(math.log(0.05) / math.log(0.1), rel=1e-11)


def test_uncontested_contest_holds_and_has_no_percentiles(mc: Matchup) -> None:
    u = monte_carlo(mc, 1000).contest_uncertainty("naval")
    assert u == {
        "p_matched_or_offset": 1.0,
        "balance_p05": None,
        "balance_p50": None,
        "balance_p95": None,
    }


def test_sometimes_uncontested_percentiles_over_contested_samples() -> None:
    m = make(
        LINEAR,
        "  - {id: g, name: G, class: gun, quantity: 100, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 50, source: t}\n",
        "  - {id: g, name: G, class: gun, quantity: 100, readiness: {low: 0, estimate: 0, high: 1}, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 50, source: t}\n",
    )
    n = 2000
    _, X = sample_inputs(m, n, 0)
    B = evaluate_balances(m, X)
    # readiness ~ Tri(0, 0, 1) is never exactly 0 here; make some samples uncontested
    X[::3, 0] = 0.0
    B = evaluate_balances(m, X)
    assert np.isnan(B[::3, 0]).all() and not np.isnan(B[1::3, 0]).any()
    res = monte_carlo(m, n)
    u = res.contest_uncertainty("fires")
    assert u["balance_p05"] is not None and u["balance_p05"] <= u["balance_p50"] <= u["balance_p95"]


# -- correlations ----------------------------------------------------------------

CORR = """
classes:
  gun: {domain: fires, branch: ground, unit: gun, unit_cost_musd: 1}
contests:
  - {id: fires, title: Fires, domain: fires, law: linear, threat: {gun: 1}, counters: {gun: 1}, rationale: r}
correlations:
"""
CORR_SYSTEMS = "".join(
    f"  - {{id: {s}, name: {s}, class: gun, quantity: {{low: 10, estimate: 20, high: 40}}, source: t}}\n"
    for s in ("a", "b", "c")
)


def corr(*rows: tuple[str, str, float]) -> str:
    return "".join(f"  - {{between: ['{x}', '{y}'], rho: {r}, rationale: r}}\n" for x, y, r in rows)


def test_declared_rank_correlation_is_reproduced() -> None:
    m = make(
        CORR
        + corr(
            ("red:a.quantity", "russia:b.quantity", 0.7),
            ("russia:a.quantity", "ukraine:a.quantity", -0.4),
        ),
        CORR_SYSTEMS,
        CORR_SYSTEMS,
    )
    n = 20_000
    inputs, X = sample_inputs(m, n, seed=1)
    col = {x.target: j for j, x in enumerate(inputs)}
    ranks = np.argsort(np.argsort(X, axis=0), axis=0)
    rs = np.corrcoef(ranks, rowvar=False)
    se = 1 / math.sqrt(n)  # standard error of a rank correlation, at most
    assert abs(rs[col["russia:a.quantity"], col["russia:b.quantity"]] - 0.7) < 5 * se
    assert abs(rs[col["russia:a.quantity"], col["ukraine:a.quantity"]] + 0.4) < 5 * se
    assert abs(rs[col["russia:c.quantity"], col["russia:a.quantity"]]) < 5 * se
    # marginals stay triangular: mean (a + c + b) / 3
    for j in range(X.shape[1]):
        assert abs(X[:, j].mean() - 70 / 3) < 5 * math.sqrt(
            ((10**2 + 20**2 + 40**2 - 200 - 400 - 800) / 18) / n
        )
    assert_equivalent(m, 20, seed=1)


def test_inconsistent_correlations_are_an_error() -> None:
    m = make(
        CORR
        + corr(
            ("russia:a.quantity", "russia:b.quantity", 0.9),
            ("russia:b.quantity", "russia:c.quantity", 0.9),
            ("russia:a.quantity", "russia:c.quantity", -0.9),
        ),
        CORR_SYSTEMS,
        CORR_SYSTEMS,
    )
    with pytest.raises(SamplingError) as exc:
        monte_carlo(m, 10)
    msg = str(exc.value)
    assert msg.startswith("catalog correlations are inconsistent")
    assert "between russia:a.quantity and russia:c.quantity (rho -0.9)" in msg
    assert "positive semi-definite" in msg


def test_unusable_correlations_are_ignored_with_a_warning() -> None:
    m = make(
        CORR
        + corr(
            ("russia:zz.quantity", "russia:b.quantity", 0.5),
            ("russia:a.readiness", "russia:b.quantity", 0.5),
            ("belarus:a.quantity", "russia:b.quantity", 0.5),
        ),
        CORR_SYSTEMS,
        CORR_SYSTEMS,
    )
    res = monte_carlo(m, 10)
    assert res.warnings == [
        "correlation between russia:zz.quantity and russia:b.quantity (rho 0.5) ignored: "
        "russia:zz.quantity: russia has no system 'zz' in the chosen snapshots",
        "correlation between russia:a.readiness and russia:b.quantity (rho 0.5) ignored: "
        "russia:a.readiness: it is not ranged (low < high)",
        "correlation between belarus:a.quantity and russia:b.quantity (rho 0.5) ignored: "
        "belarus:a.quantity: side 'belarus' is not in this matchup",
    ]


def test_the_same_pair_twice_is_an_error() -> None:
    m = make(
        CORR
        + corr(
            ("russia:a.quantity", "russia:b.quantity", 0.5),
            ("russia:b.quantity", "red:a.quantity", 0.2),
        ),
        CORR_SYSTEMS,
        CORR_SYSTEMS,
    )
    with pytest.raises(SamplingError, match="correlated twice"):
        monte_carlo(m, 10)


# -- JSON contract -----------------------------------------------------------------


def test_assess_json_carries_the_contract_keys(mc: Matchup) -> None:
    out = assess(mc, samples=500, seed=2).to_json()
    assert list(out) == [
        "blue",
        "red",
        "as_of",
        "inputs_sha256",
        "engine_version",
        "certified",
        "determination",
        "p_certified",
        "index",
        "contests",
        "iamd",
        "samples",
        "seed",
        "confidence",
        "critical_systems",
    ]
    assert out["samples"] == 500 and out["seed"] == 2 and 0 <= out["p_certified"] <= 1
    for c in out["contests"]:
        assert list(c["uncertainty"]) == [
            "p_matched_or_offset",
            "balance_p05",
            "balance_p50",
            "balance_p95",
        ]
        assert c["p_holds"] == c["uncertainty"]["p_matched_or_offset"]
        assert 0 <= c["p_offset"] <= c["p_holds"] <= 1
    json.dumps(out, allow_nan=False)


# -- exact percentiles in bounded memory ---------------------------------------------


def test_bracketed_percentiles_equal_stored_ones() -> None:
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.lognormal(size=30_000), np.full(5000, 0.7), np.zeros(3000)])
    rng.shuffle(data)
    stored, bracketed = U._Quantiles(U.PERCENTILES, 10**9), U._Quantiles(U.PERCENTILES, 4000)
    for part in np.array_split(data, 37):
        stored.add(part)
        bracketed.add(part)
    assert bracketed.brackets is not None and stored.brackets is None
    want = np.percentile(data, U.PERCENTILES)
    assert stored.result() == bracketed.result()
    np.testing.assert_allclose(stored.result(), want, rtol=1e-14)


def test_a_missed_bracket_is_detected() -> None:
    q = U._Quantiles(U.PERCENTILES, 100, z=0.0)
    q.add(np.arange(200.0))  # pilot: 0..199
    q.add(np.arange(10_000.0, 20_000.0))  # the rest lies far above
    with pytest.raises(U._BracketMiss):
        q.result()


def test_monte_carlo_in_bracket_mode_and_after_a_miss(
    mc: Matchup, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = monte_carlo(mc, 20_000, seed=8, chunk_size=2048)
    monkeypatch.setattr(U, "STORE_CAP", 5 * 3000)
    assert monte_carlo(mc, 20_000, seed=8, chunk_size=2048) == want
    original = U._Quantiles.__init__

    def tight(self: U._Quantiles, pcts: list[int], cap: int, z: float = 8.0) -> None:
        original(self, pcts, cap, z=0.0)

    monkeypatch.setattr(U._Quantiles, "__init__", tight)
    assert monte_carlo(mc, 20_000, seed=8, chunk_size=2048) == want


# -- invariants ----------------------------------------------------------------------


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32), factor=st.floats(1.0, 3.0))
def test_more_blue_never_lowers_the_probability(mc: Matchup, seed: int, factor: float) -> None:
    t = parse_target("ukraine:f16.quantity")
    more = set_estimate(mc, t, Estimate(10 * factor, 20 * factor, 40 * factor, True))
    a, b = monte_carlo(mc, 400, seed), monte_carlo(more, 400, seed)
    for cid in ("air",):
        assert (
            b.contest_uncertainty(cid)["p_matched_or_offset"]
            >= a.contest_uncertainty(cid)["p_matched_or_offset"]
        )
    assert b.p_certified >= a.p_certified
    for r in (a, b):
        for u in r.uncertainty.values():
            assert 0 <= u["p_matched_or_offset"] <= 1
            if u["balance_p05"] is not None:
                assert u["balance_p05"] <= u["balance_p50"] <= u["balance_p95"]


def test_ppf_stays_in_range_and_matches_the_cdf() -> None:
    x = UncertainInput("t", 1.0, 3.0, 4.0)
    u = np.linspace(0, 1, 101)
    v = x.ppf(u)
    assert v.min() == 1.0 and v.max() == 4.0
    np.testing.assert_allclose([tri_cdf(float(t), 1.0, 3.0, 4.0) for t in v], u, atol=1e-12)
    for a, c, b in ((0.0, 0.0, 1.0), (0.0, 1.0, 1.0)):
        w = UncertainInput("t", a, c, b).ppf(u)
        np.testing.assert_allclose([tri_cdf(float(t), a, c, b) for t in w], u, atol=1e-12)


def test_draws_are_triangular_kolmogorov_smirnov() -> None:
    """Stein-Keblis draws follow Tri(low, estimate, high): KS distance below the 0.1 % critical value."""
    from scipy import stats

    m = make(
        LINEAR,
        "  - {id: g, name: G, class: gun, quantity: {low: 10, estimate: 30, high: 100}, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: {low: 5, estimate: 5, high: 9}, source: t}\n",
        "  - {id: g, name: G, class: gun, quantity: {low: 10, estimate: 99, high: 100}, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 1, source: t}\n",
    )
    n = 50_000
    inputs, X = sample_inputs(m, n, seed=21)
    for j, x in enumerate(inputs):
        dist = stats.triang(
            c=(x.estimate - x.low) / (x.high - x.low), loc=x.low, scale=x.high - x.low
        )
        d = stats.kstest(X[:, j], dist.cdf).statistic
        assert d < 1.95 / math.sqrt(n), x.target
        assert X[:, j].min() >= x.low and X[:, j].max() <= x.high


def test_no_ranged_input_gives_the_point_answer() -> None:
    m = make(
        LINEAR,
        "  - {id: g, name: G, class: gun, quantity: 100, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 50, source: t}\n",
        "  - {id: g, name: G, class: gun, quantity: 105, source: t}\n"
        "  - {id: j, name: J, class: jet, quantity: 80, source: t}\n",
    )
    assert uncertain_inputs(m) == []
    res = monte_carlo(m, 3000)
    a = assess(m, with_critical=False)
    for r in a.contests:
        u = res.contest_uncertainty(r.id)
        assert u["p_matched_or_offset"] == (1.0 if r.holds else 0.0)
        assert (
            u["balance_p05"]
            == u["balance_p50"]
            == u["balance_p95"]
            == pytest.approx(r.balance, rel=1e-11)
        )
    assert res.p_certified == (1.0 if a.certified else 0.0) == 0.0


def test_core_modules_import_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qdb.uncertainty, qdb.sensitivity, qdb.cli.uncertainty_cmds; "
        "print(sorted(m for m in ('numpy', 'scipy', 'SALib', 'networkx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
