"""``qdb calibrate battles``: exponent fits and out-of-sample scoring on CDB90.

The CDB90 tests read ../shared/data/cdb90 (beside the repository) and are
skipped where it is absent; the statistics helpers are tested on hand-computed
answers everywhere.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdb.calibrate import battles as bt
from qdb.calibrate.battles import auc, brier, calibrate_battles, fit_exponent, fit_logistic
from qdb.cli import main
from qdb.errors import DataError
from qdb.io.calibration_csv import default_cdb90_dir, load_cdb90, parse_cdb90

CDB90 = Path(__file__).parent.parent.parent / "shared" / "data" / "cdb90"
needs_cdb90 = pytest.mark.skipif(
    not (CDB90 / "CDB90-patched.csv").exists(), reason="../shared/data/cdb90 is absent"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out, err


# --- statistics on hand-computed answers ------------------------------------------------


def test_auc_hand_computed_with_ties() -> None:
    # pairs (pos, neg): (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3/4
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie between a winner and a loser counts one half: (1 + 0.5) / 2
    assert auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9]) == 0.875
    assert auc([1, 1], [0.3, 0.4]) != auc([1, 1], [0.3, 0.4])  # NaN: no losers


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(-5, 5)), min_size=2, max_size=30))
def test_auc_matches_pair_count_and_flips(pairs: list[tuple[bool, float]]) -> None:
    y = [1.0 if p else 0.0 for p, _ in pairs]
    s = [x for _, x in pairs]
    if 0 < sum(y) < len(y):
        pos = [x for p, x in pairs if p]
        neg = [x for p, x in pairs if not p]
        want = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))
        assert auc(y, s) == pytest.approx(want)
        assert auc(y, [-x for x in s]) == pytest.approx(1 - want)


def test_brier_hand_computed() -> None:
    assert brier([0, 1], [0.2, 0.6]) == 0.1
    assert brier([1, 1, 0], [1, 1, 0]) == 0.0


def test_logistic_known_answer() -> None:
    # outcomes 0,0,1 at x = 0 and 1,1,0 at x = 1 (repeated): P = 1/3 and 2/3
    X = np.c_[np.ones(6), [0, 0, 0, 1, 1, 1]]
    w = fit_logistic(X, np.array([0, 0, 1, 1, 1, 0.0]), ridge=0.0)
    assert w[0] == pytest.approx(math.log(1 / 2), abs=1e-8)
    assert w[1] == pytest.approx(math.log(4), abs=1e-8)


def test_exponent_known_answer() -> None:
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 40)
    y = 0.3 + (1 - 1.4) * x  # p = 1.4 exactly
    e = fit_exponent(x, y, 200, rng)
    assert e["exponent"] == pytest.approx(1.4)
    assert e["ci"] == [pytest.approx(1.4), pytest.approx(1.4)]
    assert e["eiv_bounds"] == [pytest.approx(1.4), pytest.approx(1.4)]
    assert e["identifiable"] is True and e["r2"] == pytest.approx(1.0)
    noisy = fit_exponent(x, -0.5 * x + 3 * rng.normal(size=40), 500, rng)
    assert noisy["identifiable"] is False  # p = 1.5 buried in noise: the interval spans 1 and 2
    assert noisy["ci"][0] < 1 and noisy["ci"][1] > 2


def test_parse_cdb90_missing_codes_and_located_errors() -> None:
    head = (
        "ISQNO,NAME,WAR,ATPBYR1,YR1,WINA,INTSTA,INTSTD,CASA,CASD,TANKA,TANKD,CTANKA,CTANKD,CEA,"
        + ",".join(bt.QUALITY_CODES)
    )
    row = '1,"X","W",1944,9999,-1,"1000",-1,10,20,0,0,0,0,-9,1,0,0,0,0,0,0,-9'
    (b,) = parse_cdb90(head + "\n" + row + "\n", "c.csv")
    assert (b.year, b.wina, b.str_a, b.str_d, b.cea) == (1944, -1, 1000.0, None, None)
    assert b.codes[0] == 1 and b.codes[-1] is None
    with pytest.raises(DataError) as exc:
        parse_cdb90(head + "\n" + row.replace('"1000"', "lots") + "\n", "c.csv")
    assert str(exc.value) == "c.csv:2:7: INTSTA: 'lots' is not a number"
    with pytest.raises(DataError, match=r"c\.csv:1:1: WINA: missing required column"):
        parse_cdb90(head.replace("WINA", "WIN") + "\n", "c.csv")


# --- CDB90 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def battles() -> list[bt.Battle]:
    """Read-only: the CDB90 battles (module-scoped; never mutate)."""
    if not (CDB90 / "CDB90-patched.csv").exists():
        pytest.skip("../shared/data/cdb90 is absent")
    return load_cdb90(CDB90)


@needs_cdb90
def test_cdb90_counts_match_provenance(battles: list[bt.Battle]) -> None:
    # PROVENANCE.md section 1: 660 battles; WINA 398 wins, 217 losses, 43 draws, 2 unknown
    assert len(battles) == 660
    wina = [b.wina for b in battles]
    assert (wina.count(1), wina.count(-1), wina.count(0), wina.count(None)) == (398, 217, 43, 2)
    d = bt._scored(battles)
    # decided, both strengths > 0 (n = 486): attacker wins 235/349 when INTSTA > INTSTD
    assert len(d.y) == 486
    more = d.log_fr > 0
    assert (int(d.y[more].sum()), int(more.sum())) == (235, 349)
    assert (int(d.y[~more].sum()), int((~more).sum())) == (82, 137)


@needs_cdb90
def test_default_dir_is_shared_beside_repo() -> None:
    d = default_cdb90_dir()
    assert d is not None and d.resolve() == CDB90.resolve()


@needs_cdb90
def test_exponents_and_scores_regression(battles: list[bt.Battle]) -> None:
    rep = calibrate_battles(battles, folds=10, samples=500, seed=0)
    e = rep.exponents
    # regression values computed here (2026-12-01): p = 1 - slope of ln(CASD/CASA) on ln(INTSTD/INTSTA)
    assert e["all"]["n"] == 521 and e["all"]["exponent"] == pytest.approx(0.7672, abs=1e-4)
    assert e["before 1900"]["n"] == 234 and e["1900-1944"]["n"] == 222 and e["1945 on"]["n"] == 65
    assert e["1945 on"]["exponent"] == pytest.approx(1.4181, abs=1e-4)
    assert e["tanks"]["n"] == 126 and e["tanks before 1900"]["n"] == 0
    assert e["tanks before 1900"]["identifiable"] is False
    for name, x in e.items():
        if x["ci"]:
            assert x["ci"][0] <= x["exponent"] <= x["ci"][1], name
    s = rep.scores
    assert set(s) == set(bt.MODELS)
    assert s["force_ratio"]["kfold"]["n"] == 486
    assert s["balance"]["temporal"]["n_train"] + s["balance"]["temporal"]["n_test"] == 486
    # the in-sample rank AUC of the force ratio needs no fitting
    assert rep.in_sample_rank_auc["force_ratio"] == pytest.approx(
        auc(bt._scored(battles).y, bt._scored(battles).log_fr)
    )
    for m in ("balance", "force_ratio", "cea", "unrestricted"):
        assert 0.4 < s[m]["kfold"]["auc"] < 1 and 0 < s[m]["kfold"]["brier"] < 0.3
    assert s["base_rate"]["kfold"]["auc"] is None


@needs_cdb90
def test_no_fitting_on_test_folds(battles: list[bt.Battle]) -> None:
    """Predictions for held-out battles do not change when their outcomes or losses do."""
    d = bt._scored(battles)
    idx = np.arange(len(d.y))
    test, train = idx[::5], np.setdiff1d(idx, idx[::5])
    flipped = bt._Scored(
        y=np.where(np.isin(idx, test), 1 - d.y, d.y),
        log_fr=d.log_fr,
        cea=d.cea,
        codes=d.codes,
        ler=np.where(np.isin(idx, test), -d.ler, d.ler),
        year=d.year,
    )
    for model in bt.MODELS:
        a = bt._fit_predict(d, model, train, test)
        b = bt._fit_predict(flipped, model, train, test)
        np.testing.assert_allclose(a, b, err_msg=model)
        # while changing training outcomes does move them (the test can fail)
        moved = bt._Scored(
            y=np.where(np.isin(idx, train[:50]), 1 - d.y, d.y),
            log_fr=d.log_fr,
            cea=d.cea,
            codes=d.codes,
            ler=d.ler,
            year=d.year,
        )
        assert not np.allclose(a, bt._fit_predict(moved, model, train, test)), model


@needs_cdb90
def test_cli_json_deterministic_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calibrate", "battles", str(CDB90), "-f", "json", "--samples", "200")
    assert code == 0
    js = json.loads(out)
    assert list(js)[:2] == ["exponents", "scores"]
    assert js["reference_auc"]["force_ratio"] == 0.574 and js["reference_auc"]["cea"] == 0.659
    assert (
        run(capsys, "calibrate", "battles", str(CDB90), "-f", "json", "--samples", "200")[1] == out
    )
    other = run(
        capsys, "calibrate", "battles", str(CDB90), "-f", "json", "--samples", "200", "--seed", "3"
    )[1]
    assert json.loads(other)["scores"] != js["scores"]  # folds follow the seed
    code, md, _ = run(capsys, "calibrate", "battles", "-f", "markdown", "--samples", "100")
    assert code == 0 and "| tanks 1945 on |" in md and "temporal AUC" in md
    code, tab, _ = run(capsys, "calibrate", "battles", "--samples", "100")
    assert code == 0 and "Predicting the winner out of sample" in tab


def test_cli_bad_dir_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calibrate", "battles", str(tmp_path))
    assert code == 1 and out == ""
    assert "no CDB90-patched.csv here" in err and "Traceback" not in err
