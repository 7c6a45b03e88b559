"""Sensitivity: tornado against the one-sample engine, Sobol indices with known answers, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import integrate
from typer.testing import CliRunner

from qdb.assess import assess
from qdb.cli import app
from qdb.errors import SelectionError
from qdb.io.load import load_dataset, parse_catalog, parse_inventory
from qdb.models import Matchup
from qdb.models.estimate import Estimate
from qdb.sensitivity import sensitivity, sobol, tornado
from qdb.targets import parse_target, set_estimate
from qdb.uncertainty import SamplingError

MC_DATA = Path(__file__).parent / "data" / "mc"
SOURCES = """
sources:
  t: {title: T, publisher: P, date: 2024-01-01, url: https://example.org}
"""
LINEAR = """
classes:
  gun: {domain: fires, branch: ground, unit: gun, unit_cost_musd: 1}
  ship: {domain: sea, branch: naval, unit: ship, unit_cost_musd: 1}
contests:
  - {id: fires, title: Fires, domain: fires, law: linear, critical: true, threat: {gun: 1}, counters: {gun: 1}, rationale: r}
  - {id: sea, title: Sea, domain: sea, law: linear, threat: {ship: 1}, counters: {ship: 1}, rationale: r}
"""
# balance of `fires` = 100 · y / x with blue quality y ~ Tri(1, 1.2, 2) and red guns x ~ Tri(80, 100, 160)
YX = (1.0, 1.2, 2.0), (80.0, 100.0, 160.0)


def make(blue: str, red: str, catalog: str = LINEAR) -> Matchup:
    cat = parse_catalog(SOURCES + catalog)

    def inv(side: str, systems: str) -> str:
        return f"side: {side}\nname: {side}\nas_of: 2024-01-01\n{SOURCES}systems:\n{systems}"

    return Matchup(
        cat,
        parse_inventory(inv("ukraine", blue), catalog=cat),
        parse_inventory(inv("russia", red), catalog=cat),
    )


@pytest.fixture(scope="module")
def yx() -> Matchup:
    """Read-only: the two-input linear contest with a known variance decomposition."""
    (ya, yc, yb), (xa, xc, xb) = YX
    return make(
        f"  - {{id: g, name: G, class: gun, quantity: 100, quality: {{low: {ya}, estimate: {yc}, high: {yb}}}, source: t}}\n"
        "  - {id: s, name: S, class: ship, quantity: 5, source: t}\n",
        f"  - {{id: g, name: G, class: gun, quantity: {{low: {xa}, estimate: {xc}, high: {xb}}}, source: t}}\n"
        "  - {id: s, name: S, class: ship, quantity: {low: 0, estimate: 0, high: 3}, source: t}\n",
    )


@pytest.fixture(scope="module")
def mc() -> Matchup:
    """Read-only: the Monte Carlo fixture (every law)."""
    return load_dataset(MC_DATA).dataset.matchup()


def tri_pdf(t: float, a: float, c: float, b: float) -> float:
    if t < a or t > b:
        return 0.0
    return 2 * (t - a) / ((b - a) * (c - a)) if t <= c else 2 * (b - t) / ((b - a) * (b - c))


def moment(f: object, abc: tuple[float, float, float]) -> float:
    a, c, b = abc
    return integrate.quad(lambda t: f(t) * tri_pdf(t, a, c, b), a, b, points=[c])[0]  # type: ignore[operator]


# -- tornado ---------------------------------------------------------------------


def test_tornado_ends_equal_the_one_sample_engine(mc: Matchup) -> None:
    for con in tornado(mc, [c.id for c in mc.catalog.contests]):
        for bar in con["bars"]:
            t = parse_target(bar["input"])
            for end in ("low", "high"):
                m2 = set_estimate(mc, t, Estimate.point(bar[f"input_{end}"]))
                want = next(
                    r for r in assess(m2, with_critical=False).contests if r.id == con["contest"]
                )
                got = bar[f"balance_{end}"]
                if want.balance is None:
                    assert got is None
                else:
                    assert got == pytest.approx(want.balance, rel=1e-11)
        base = next(r for r in assess(mc, with_critical=False).contests if r.id == con["contest"])
        assert con["verdict"] == base.verdict


def test_tornado_defaults_to_critical_contests_sorted_by_swing(mc: Matchup) -> None:
    out = tornado(mc)
    assert [c["contest"] for c in out] == [c.id for c in mc.catalog.contests if c.critical]
    for con in out:
        swings = [b["swing"] for b in con["bars"]]
        assert swings == sorted(swings, reverse=True)
    # the air campaign: magazines, engagements, coverage and raid sizes are its inputs;
    # tanks never enter it
    ad = next(c for c in out if c["contest"] == "air_defence")
    bars = {b["input"]: b for b in ad["bars"]}
    assert {
        "ukraine:patriot.stock",
        "catalog:classes.sam_lr.engages.cruise.pk",
        "catalog:classes.sam_lr.coverage",
        "catalog:contests.air_defence.acceptable_leakage",
        "russia:raids.mass.kh101",
    } <= set(bars)
    assert not any(n.startswith(("russia:t72", "ukraine:t64")) for n in bars)
    # a larger acceptable leakage (the denominator ln a) raises the balance; more coverage too
    for name in (
        "catalog:contests.air_defence.acceptable_leakage",
        "catalog:classes.sam_lr.coverage",
    ):
        assert bars[name]["balance_high"] > ad["balance"] > bars[name]["balance_low"], name
    # more cruise missiles a mass raid leak more
    kh = bars["russia:raids.mass.kh101"]
    assert kh["balance_high"] < ad["balance"] < kh["balance_low"]


def test_tornado_known_swing(yx: Matchup) -> None:
    (con,) = tornado(yx, "fires")
    bars = {b["input"]: b for b in con["bars"]}
    assert bars["russia:g.quantity"]["balance_low"] == pytest.approx(100 * 1.2 / 80, rel=1e-11)
    assert bars["russia:g.quantity"]["balance_high"] == pytest.approx(100 * 1.2 / 160, rel=1e-11)
    assert bars["ukraine:g.quality"]["swing"] == pytest.approx(1.0, rel=1e-11)


def test_unknown_contest(mc: Matchup) -> None:
    with pytest.raises(SelectionError, match="no contest 'nope'; the catalog has: armour, fires"):
        tornado(mc, "nope")


# -- Sobol -------------------------------------------------------------------------


def test_sobol_known_indices(yx: Matchup) -> None:
    y, x = YX
    ey, ey2 = moment(lambda t: t, y), moment(lambda t: t * t, y)
    ei, ei2 = moment(lambda t: 1 / t, x), moment(lambda t: 1 / t**2, x)
    var = ey2 * ei2 - ey**2 * ei**2
    s1 = {
        "ukraine:g.quality": (ey2 - ey**2) * ei**2 / var,
        "russia:g.quantity": ey**2 * (ei2 - ei**2) / var,
    }
    st = {
        "ukraine:g.quality": 1 - s1["russia:g.quantity"],
        "russia:g.quantity": 1 - s1["ukraine:g.quality"],
    }
    got = sobol(yx, "fires", samples=4096, seed=1)
    assert got["samples"] == 4096 and got["evaluations"] == 4096 * 4
    for name, ind in got["indices"].items():
        # SALib's conf is a 95 % bootstrap half-width (1.96 standard errors): allow 3 of them
        assert abs(ind["S1"] - s1[name]) < 3 * ind["S1_conf"]
        assert abs(ind["ST"] - st[name]) < 3 * ind["ST_conf"]


def test_sobol_is_reproducible_and_rounds_samples_up(yx: Matchup) -> None:
    a, b = sobol(yx, "fires", samples=600, seed=3), sobol(yx, "fires", samples=600, seed=3)
    assert a == b and a["samples"] == 1024
    assert sobol(yx, "fires", samples=600, seed=4) != a


def test_sobol_seed_zero_is_reproducible(yx: Matchup) -> None:
    """SALib's analyze ignores a seed of 0 (falsy) and uses numpy's global state."""
    assert sobol(yx, "fires", samples=64, seed=0) == sobol(yx, "fires", samples=64, seed=0)


def test_sobol_undefined_when_sometimes_uncontested(
    yx: Matchup, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a continuous draw is never exactly 0: put an atom at 0 (the red fleet gone in half the samples)
    import numpy as np

    from qdb.uncertainty import UncertainInput

    ppf = UncertainInput.ppf
    monkeypatch.setattr(
        UncertainInput, "ppf", lambda self, u: np.where(np.asarray(u) < 0.5, 0.0, ppf(self, u))
    )
    got = sobol(yx, "sea", samples=64)
    assert got["indices"] is None and "uncontested" in got["note"]


def test_sobol_without_inputs_or_effect(yx: Matchup) -> None:
    m = set_estimate(yx, parse_target("russia:s.quantity"), Estimate.point(2))
    assert sobol(m, "sea", samples=64)["indices"] == {}


@pytest.mark.parametrize(("samples", "seed"), [(1, 0), (64, -1)])
def test_sobol_bad_settings(yx: Matchup, samples: int, seed: int) -> None:
    with pytest.raises(SamplingError):
        sobol(yx, "fires", samples=samples, seed=seed)


def test_sensitivity_plain_data(mc: Matchup) -> None:
    out = sensitivity(mc, top=3, samples=128, seed=0)
    json.dumps(out, allow_nan=False)
    assert list(out) == ["blue", "red", "as_of", "samples", "seed", "contests"]
    for con in out["contests"]:
        assert len(con["bars"]) <= 3 and con["inputs"] >= len(con["bars"])
        for bar in con["bars"]:
            assert set(bar) >= {"input", "swing", "sobol_first", "sobol_total", "sobol_first_conf"}
    quick = sensitivity(mc, "armour", top=None, with_sobol=False)
    assert quick["samples"] is None and quick["contests"][0]["bars"][0]["sobol_first"] is None
    assert len(quick["contests"][0]["bars"]) == quick["contests"][0]["inputs"]


# -- command line ----------------------------------------------------------------------

runner = CliRunner()


def test_cli_json_is_deterministic() -> None:
    args = [
        "sensitivity",
        "--data",
        str(MC_DATA),
        "--format",
        "json",
        "--samples",
        "64",
        "--top",
        "2",
    ]
    a, b = runner.invoke(app, args), runner.invoke(app, args)
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    data = json.loads(a.stdout)
    assert [c["contest"] for c in data["contests"]] == ["armour", "air", "air_defence"]


def test_cli_table_one_contest_with_edit(tmp_path: Path) -> None:
    out = tmp_path / "sens.txt"
    r = runner.invoke(
        app,
        [
            "sensitivity",
            "air",
            "--data",
            str(MC_DATA),
            "--no-sobol",
            "--set",
            "ukraine:f16.quantity*=2",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "Air superiority" in text and "ukraine:f16.quantity" in text and "Sobol" not in text


def test_cli_errors() -> None:
    r = runner.invoke(app, ["sensitivity", "airr", "--data", str(MC_DATA)])
    assert r.exit_code == 1 and "no contest 'airr'; did you mean 'air'?" in str(r.exception)
    r = runner.invoke(app, ["sensitivity", "--data", str(MC_DATA), "--top", "0"])
    assert r.exit_code == 2
