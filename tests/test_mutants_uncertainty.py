"""The Monte Carlo's verdicts per sample equal the one-sample engine's (issue #17 item 2).

Balances alone agreeing is not enough: the vectorised verdicts (``at_least`` over a
chunk) must give, sample by sample, the verdict the point assessment gives when
that sample's draws are written into the data. These count offset, holding and
certified samples through the one-sample path and require the Monte Carlo's
``p_offset``, ``p_matched_or_offset``, ``p_certified`` and judgements to equal them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
