"""The Monte Carlo's verdicts per sample equal the one-sample engine's (issue #17 item 2).

Balances alone agreeing is not enough: the vectorised verdicts (``at_least`` over a
chunk) must give, sample by sample, the verdict the point assessment gives when
that sample's draws are written into the data. These count offset, holding and
certified samples through the one-sample path and require the Monte Carlo's
``p_offset``, ``p_matched_or_offset``, ``p_certified`` and judgements to equal them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qdb.uncertainty as U
from qdb.assess import assess
from qdb.io.load import load_dataset
from qdb.models import Matchup
from qdb.models.estimate import Estimate
from qdb.targets import parse_target, set_estimate
from qdb.uncertainty import monte_carlo, sample_inputs
from qdb.verdicts import judgement

MC_DATA = Path(__file__).parent / "data" / "mc"
N = 60


@pytest.fixture(scope="module")
def mc() -> Matchup:
    return load_dataset(MC_DATA).dataset.matchup()


def _one_sample_verdicts(m: Matchup, seed: int) -> list[dict[str, str]]:
    inputs, X = sample_inputs(m, N, seed)
    out = []
    for row in X:
        mi = m
        for x, v in zip(inputs, row, strict=True):
            mi = set_estimate(mi, parse_target(x.target), Estimate.point(float(v)))
        out.append({r.id: r.verdict for r in assess(mi, with_critical=False).contests})
    return out


@pytest.mark.parametrize("seed", [0, 17])
def test_monte_carlo_verdicts_per_sample_equal_the_one_sample_path(mc: Matchup, seed: int) -> None:
    per = _one_sample_verdicts(mc, seed)
    res = monte_carlo(mc, N, seed)
    crit = {c.id for c in mc.catalog.contests if c.critical}
    holds = ("offset", "matched", "uncontested")
    shares = set()
    for con in mc.catalog.contests:
        p_hold = sum(v[con.id] in holds for v in per) / N
        # an uncontested sample counts as holding and as offset (at_least of NaN is True)
        p_off = sum(v[con.id] in ("offset", "uncontested") for v in per) / N
        shares.add((p_hold, p_off))
        assert res.uncertainty[con.id]["p_matched_or_offset"] == pytest.approx(p_hold, abs=1e-12)
        assert res.p_offset[con.id] == pytest.approx(p_off, abs=1e-12)
    # the data must make the comparison bite: some contest neither always nor never holds,
    # and some offset share lies strictly between its holding share and 0
    assert any(0 < ph < 1 for ph, _ in shares)
    assert any(0 < po < ph for ph, po in shares)
    cert = sum(all(v[c] in holds for c in crit) for v in per) / N
    assert res.p_certified == pytest.approx(cert, abs=1e-12)


def test_judgements_follow_the_per_sample_shares(mc: Matchup) -> None:
    per = _one_sample_verdicts(mc, 0)
    holds = ("offset", "matched", "uncontested")
    for conf in (0.6, 0.8):
        a = assess(mc, samples=N, seed=0, confidence=conf, with_critical=False)
        for r in a.contests:
            p_hold = sum(v[r.id] in holds for v in per) / N
            p_off = sum(v[r.id] in ("offset", "uncontested") for v in per) / N
            if all(v[r.id] == "uncontested" for v in per):
                assert r.judgement == "uncontested"
            else:
                assert r.judgement == judgement(p_off, p_hold, conf)


# ---------------------------------------------------------------------------
# Summaries: exact percentiles with bracketing, chunking, correlations, errors
# ---------------------------------------------------------------------------


def _data(kind: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    if kind == "lognormal":
        return rng.lognormal(size=3000)
    if kind == "ties":  # ten values, many equal to every bracket edge
        return rng.integers(0, 10, size=3000).astype(float)
    if kind == "two":
        return np.where(rng.random(3000) < 0.5, 0.7, 1.3)
    return np.full(3000, 0.7)


@pytest.mark.parametrize("cap", [60, 250, 1000])
@pytest.mark.parametrize("kind", ["lognormal", "ties", "two", "constant"])
def test_bracketed_percentiles_are_exact(cap: int, kind: str) -> None:
    """Small pilots put the 5th/95th brackets at -inf/+inf; ties sit on the edges."""
    data = _data(kind)
    stored, bracketed = U._Quantiles(U.PERCENTILES, 10**9), U._Quantiles(U.PERCENTILES, cap)
    for part in np.array_split(data, 37):
        stored.add(part.copy())
        bracketed.add(part.copy())
    assert bracketed.brackets is not None and stored.brackets is None
    want = np.percentile(data, U.PERCENTILES)
    assert bracketed.result() == stored.result()
    np.testing.assert_allclose(stored.result(), want, rtol=1e-14)
    assert bracketed.n == stored.n == 3000


def test_rank_and_interpolation_known_answers() -> None:
    # (n-1)·pct/100: n 11, pct 5 -> 0.5 = (0, 0.5); n 3001, pct 95 -> 2850 = (2850, 0.0)
    assert U._rank(11, 5) == (0, 0.5)
    assert U._rank(3001, 95) == (2850, 0.0)
    assert U._rank(4, 50) == (1, 0.5)
    assert U._lerp(1.0, 3.0, 0.25) == 1.5
    assert U._lerp(1.0, 3.0, 0.75) == 2.5
    assert U._lerp(2.0, 2.0, 0.5) == 2.0
    assert U._Quantiles(U.PERCENTILES, 10).result() == [None, None, None]


def test_one_thread_many_chunks_equals_the_default(mc: Matchup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    want = monte_carlo(mc, 1000, seed=4)
    monkeypatch.setattr(U, "MAX_WORKERS", 1)
    got = monte_carlo(mc, 1000, seed=4, chunk_size=96)  # eleven chunks, one thread
    assert got == want
    monkeypatch.setattr(U, "MAX_WORKERS", 2)
    assert monte_carlo(mc, 1000, seed=4, chunk_size=96) == want  # two threads


def test_sample_matrix_in_many_pieces_equals_one(mc: Matchup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inputs, X = sample_inputs(mc, 50)  # default seed 0
    assert np.array_equal(X, sample_inputs(mc, 50, 0)[1])
    assert X.dtype == np.float64 and X.shape == (50, len(inputs))
    monkeypatch.setattr(U, "ELEMENT_BUDGET", 3 * len(inputs))  # pieces of 3 samples
    assert np.array_equal(sample_inputs(mc, 50, 0)[1], X)


def test_wrong_width_of_a_sample_matrix_is_a_one_line_error(mc: Matchup) -> None:
    k = len(U.uncertain_inputs(mc))
    with pytest.raises(U.SamplingError, match=rf"^expected {k} input columns, got {k - 1}$"):
        U.evaluate_balances(mc, np.ones((2, k - 1)))


CORRELATED = """
classes:
  gun: {domain: fires, branch: ground, unit: gun, unit_cost_musd: 1}
contests:
  - {id: fires, title: Fires, domain: fires, law: linear, threat: {gun: 1}, counters: {gun: 1}, rationale: r}
correlations:
  - {between: ['ukraine:a.quantity', 'russia:a.quantity'], rho: 0.9, rationale: r}
"""
RANGED = (
    "  - {id: a, name: a, class: gun, quantity: {low: 10, estimate: 20, high: 40}, source: t}\n"
)


def test_monte_carlo_draws_through_the_declared_correlation() -> None:
    """balance = N_blue / N_red: a rank correlation of 0.9 narrows its spread a lot."""
    from tests.test_uncertainty import make

    m = make(CORRELATED, RANGED, RANGED)
    n = 4000
    res = monte_carlo(m, n, seed=2)
    _, X = sample_inputs(m, n, 2)
    B = U.evaluate_balances(m, X)[:, 0]
    got = [res.uncertainty["fires"][k] for k in ("balance_p05", "balance_p50", "balance_p95")]
    np.testing.assert_allclose(got, np.percentile(B, U.PERCENTILES), rtol=1e-11)
    assert res.p_offset["fires"] == pytest.approx(float((B >= 1.1).mean()), abs=1e-12)
    # independent draws would spread the ratio far wider
    assert got[2] / got[0] < 1.8


def test_interpolation_rounds_exactly_like_numpy() -> None:
    """numpy's lerp has two formulas (t < 0.5 and t >= 0.5); they round differently."""
    rng = np.random.default_rng(8)
    pairs = np.sort(rng.lognormal(size=(3000, 2)) * rng.choice([1e-3, 1.0, 1e3], (3000, 1)), axis=1)
    for pct in (5, 25, 50, 75, 95):
        k, t = U._rank(2, pct)
        assert k == 0
        got = np.array([U._lerp(a, b, t) for a, b in pairs])
        want = np.percentile(pairs, pct, axis=1)
        assert np.array_equal(got, want), pct


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 21])
def test_stored_percentiles_of_few_values(n: int) -> None:
    data = np.random.default_rng(n).lognormal(size=n)
    q = U._Quantiles(U.PERCENTILES, 10**9)
    q.add(data.copy())
    # exact ranks ((n-1)·pct/100 split with divmod) may differ from numpy's float
    # virtual index in the last bit
    np.testing.assert_allclose(q.result(), np.percentile(data, U.PERCENTILES), rtol=1e-15)


def test_threaded_run_with_correlations_and_run_record() -> None:
    from tests.test_uncertainty import make

    m = make(CORRELATED, RANGED, RANGED)
    one = monte_carlo(m, 3000, seed=2)  # one chunk, one thread
    two = monte_carlo(m, 3000, seed=2, chunk_size=1024)  # three chunks, two threads
    assert one == two
    assert (one.samples, one.seed) == (3000, 2)
    assert one.inputs == ("ukraine:a.quantity", "russia:a.quantity") or set(one.inputs) == {
        "ukraine:a.quantity",
        "russia:a.quantity",
    }
    assert monte_carlo(m, 200) == monte_carlo(m, 200, 0)  # the default seed is 0


def test_an_error_in_a_worker_thread_reaches_the_caller(mc: Matchup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(plan, rows):  # type: ignore[no-untyped-def]
        raise ArithmeticError("boom in a worker")

    monkeypatch.setattr(U, "_balances", boom)
    with pytest.raises(ArithmeticError, match="boom in a worker"):
        monte_carlo(mc, 3000, seed=1, chunk_size=1024)  # two threads
    with pytest.raises(ArithmeticError, match="boom in a worker"):
        monte_carlo(mc, 100, seed=1)  # one thread


def test_one_sample_is_allowed_and_a_boolean_seed_is_not(mc: Matchup) -> None:
    assert monte_carlo(mc, 1, seed=0).samples == 1
    for seed in (True, False):
        with pytest.raises(U.SamplingError, match="--seed must be a non-negative integer"):
            monte_carlo(mc, 10, seed=seed)  # type: ignore[arg-type]
    with pytest.raises(U.SamplingError, match="--samples must be a positive integer"):
        monte_carlo(mc, 0)


def test_unusable_correlations_warn_in_words(mc: Matchup) -> None:
    from tests.test_uncertainty import make

    same = CORRELATED.replace("'russia:a.quantity'", "'ukraine:a.quantity'")
    res = monte_carlo(make(same, RANGED, RANGED), 10)
    assert res.warnings == [
        "correlation between ukraine:a.quantity and ukraine:a.quantity (rho 0.9) ignored: "
        "both name the same input"
    ]
    absent = CORRELATED.replace("'russia:a.quantity'", "'catalog:contests.fires.weight'")
    res = monte_carlo(make(absent, RANGED, RANGED), 10)
    assert len(res.warnings) == 1
    assert res.warnings[0].startswith(
        "correlation between ukraine:a.quantity and catalog:contests.fires.weight (rho 0.9) "
        "ignored: catalog:contests.fires.weight: "
    )
