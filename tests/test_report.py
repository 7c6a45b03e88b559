"""The certification report (issue #16): structure, highlights against ``assess``, data age,
real units, recommendations without the optimiser, changes since a previous report.

Structure and numbers are checked from outside the report code (tests/report_checks.py):
a hand-written list of sections and the assessment JSON of a separate ``qdb assess`` run.
The Markdown golden (tests/golden/report/fixture.md) pins the words; regenerate it with
``QDB_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import doctest
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.report_checks import (
    ANNEXES,
    BODY_SECTIONS,
    DATE,
    FIXTURE,
    PROBABILITY_WORDS,
    REQUIRED_SECTIONS,
    SAMPLES,
    assess_json,
    code_identifier_problems,
    data_ids,
    highlights_problems,
    prob_text,
    qdb,
)

GOLDEN = Path(__file__).parent / "golden" / "report"
UPDATE = os.environ.get("QDB_UPDATE_GOLDEN") == "1"


def _report_md(tmp_path: Path, *extra: str, date: str = DATE) -> str:
    out = tmp_path / "r.md"
    qdb(
        "report",
        "--data",
        str(FIXTURE),
        "--format",
        "md",
        "-o",
        str(out),
        "--date",
        date,
        "--samples",
        SAMPLES,
        "-q",
        *extra,
    )
    return out.read_text("utf-8")


def _unescape(md: str) -> str:
    return re.sub(r"\\([\\`*_\[\]<>])", r"\1", md)


def _highlights(md: str) -> str:
    start = md.index("## Highlights")
    end = md.index("\n## ", start + 5)
    return _unescape(md[start:end]).replace("**", "")


@pytest.fixture(scope="module")
def md(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _report_md(tmp_path_factory.mktemp("md"))


@pytest.fixture(scope="module")
def assessed() -> dict[str, Any]:
    return assess_json()


def test_golden_markdown(md: str) -> None:
    path = GOLDEN / "fixture.md"
    if UPDATE:
        path.write_text(md, "utf-8")
    assert md == path.read_text("utf-8")


def test_sections_in_order(md: str) -> None:
    heads = [h.split(". ", 1)[-1] for h in re.findall(r"^## (.+)$", md, flags=re.MULTILINE)]
    assert heads == REQUIRED_SECTIONS
    numbered = re.findall(r"^## (\d+)\. ", md, flags=re.MULTILINE)
    assert numbered == [str(i) for i in range(1, len(BODY_SECTIONS) + 1)]
    annexes = re.findall(r"^## Annex ([A-Z])\. ", md, flags=re.MULTILINE)
    assert annexes == [chr(ord("A") + i) for i in range(len(ANNEXES))]


def test_every_critical_contest_has_a_finding(md: str, assessed: dict[str, Any]) -> None:
    findings = md[md.index("## 1. ") : md.index("## 2. ")]
    for c in assessed["contests"]:
        assert (f"### {c['title']}" in findings) == c["critical"], c["id"]


def test_highlights_numbers_equal_assess_json(md: str, assessed: dict[str, Any]) -> None:
    problems = highlights_problems(_highlights(md), assessed, DATE)
    assert problems == []


def test_highlights_checker_can_fail(md: str, assessed: dict[str, Any]) -> None:
    """The checker finds a changed number, an extra number and a missing contest."""
    text = _highlights(md)
    c = next(c for c in assessed["contests"] if c["critical"])
    wrong = json.loads(json.dumps(assessed))
    wrong["contests"][assessed["contests"].index(c)]["balance"] = c["balance"] + 0.05
    assert highlights_problems(text, wrong, DATE)
    assert highlights_problems(text + " 42 tanks", assessed, DATE)
    wrong = json.loads(json.dumps(assessed))
    wrong["p_certified"] = 0.5
    assert highlights_problems(text, wrong, DATE)


def test_highlights_define_the_probability_words_once(md: str) -> None:
    hl = _highlights(md)
    for w in PROBABILITY_WORDS:
        assert w in hl
    assert "Probabilities are the share of Monte Carlo draws" in hl
    assert md.count("Probabilities are the share of Monte Carlo draws") == 1


def test_no_code_identifiers(md: str) -> None:
    text = _unescape(md)
    # the input digest is a hash, not an identifier
    text = re.sub(r"\b[0-9a-f]{64}\b", "", text)
    assert code_identifier_problems(text, data_ids()) == []


def test_probabilities_below_one_percent_read_lt_1(md: str, assessed: dict[str, Any]) -> None:
    tiny = [c for c in assessed["contests"] if c["p_holds"] is not None and c["p_holds"] < 0.01]
    assert tiny, "the fixture has a contest that almost surely fails"
    assert not re.search(r"(?<![\d.])0(?:\.0)?%", md)
    assert prob_text(0.0) == "< 1%" and "< 1%" in _unescape(md)


def test_iamd_contests_show_leakage_not_a_numbers_ratio(md: str, assessed: dict[str, Any]) -> None:
    table = md[md.index("## 2. ") : md.index("## 3. ")]
    for c in assessed["contests"]:
        if c["law"] != "iamd":
            continue
        row = next(
            r for r in table.splitlines() if r.startswith("| " + c["title"].split(" vs ")[0])
        )
        assert f"leakage {100 * c['leakage']:.1f}%" in row
        assert " : 1" not in row.replace("\u00a0", " ")


def test_threat_in_real_units(md: str) -> None:
    """The fixture's raids: 50 drones every night; 200 drones and 40 missiles every 7 days."""
    sec = md[md.index("## 3. ") : md.index("## 4. ")]
    assert "| Drone night | every night | 50 one-way attack drones |" in sec
    assert (
        "| Combined strike | every 7 days | 200 one-way attack drones; 40 cruise missiles |" in sec
    )
    # launched over 30 days: missiles on days 3, 10, 17, 24 = 4 raids x 40 = 160, 5.33 a day
    row = next(r for r in sec.splitlines() if r.startswith("| Cruise missile |"))
    assert "| 160 | 5.33 |" in row


def test_data_age_warning_after_180_days(tmp_path: Path) -> None:
    fresh = _report_md(tmp_path, date="2025-06-29")  # 179 days after 1 January 2025
    assert "Data age warning" not in fresh
    old = _report_md(tmp_path, date="2025-07-01")  # 181 days
    assert "Data age warning" in old and "181 days older than this report" in old
    assert "181 days older" in _highlights(old)


def test_cover_separates_data_as_of_and_sources_through(md: str) -> None:
    assert "| Data as of | Ukraine 1 January 2025; Russia 1 January 2025 |" in md
    # the fixture's IISS source is dated 12 February 2025, after the snapshot
    assert "| Sources through | 12 February 2025 |" in md
    assert "Some sources are dated after the snapshot" in md


def test_sources_annex_one_row_per_source_with_kind(md: str) -> None:
    sec = md[md.index("## Annex C") : md.index("## Annex D")]
    table = sec[sec.index("Sources of the data") :].split("*Source:")[0]
    rows = [r for r in table.splitlines() if r.startswith("| ") and "---" not in r][1:]
    titles = [r.split(" | ")[0] for r in rows]
    assert len(titles) == len(set(titles))
    # Military Balance is listed by both inventories: one row, used by both sides
    mb = [r for r in rows if "The Military Balance 2025" in r]
    assert len(mb) == 1 and "Russia, Ukraine" in mb[0] and "| primary |" in mb[0]
    assert any("| claim |" in r for r in rows)


def test_judgement_figures_are_listed(md: str) -> None:
    sec = md[md.index("## Annex C") : md.index("## Annex D")]
    table = sec[sec.index("rest on judgement (5% or more") :].split("*Source:")[0]
    # the fixture marks Gepards as judgement (Geran-2, also judgement, is in no critical contest)
    assert "| Ukraine | Gepard SPAAG | judgement |" in table and "Geran-2" not in table
    assert "analysts' judgement" in sec


def test_obligations_judged_at_the_report_date(tmp_path: Path) -> None:
    """Germany's 40 Leopards pledged for 2025 are on track in 2025 and late in 2026."""
    now = _report_md(tmp_path, date="2025-03-01")
    later = _report_md(tmp_path, date="2026-03-01")
    sec_now = now[now.index("## 5. ") : now.index("## 6. ")]
    sec_later = later[later.index("## 5. ") : later.index("## 6. ")]
    assert "No partner is behind." in sec_now
    assert "| Germany |" in sec_later and "behind" in sec_later
    assert "40 × Leopard 2A4/A6" in sec_later


def test_projection_reconciled_with_section_2(md: str) -> None:
    sec = md[md.index("## 6. ") : md.index("## 7. ")]
    assert "Reconciliation with section 2" in sec
    assert re.search(r"The first projected year \(\d{4}\) (equals|differs from) ", sec)


def test_changes_since_previous_report(tmp_path: Path) -> None:
    prev = assess_json("--set", "ukraine:t64.quantity*=0.5")
    path = tmp_path / "prev.json"
    path.write_text(json.dumps(prev), "utf-8")
    md = _report_md(tmp_path, "--previous", str(path))
    sec = md[md.index("## 7. ") : md.index("## 8. ")]
    assert "Table" in sec and "Balance then" in sec
    armour = next(r for r in sec.splitlines() if r.startswith("| Russian armour |"))
    before = next(c for c in prev["contests"] if c["id"] == "armour")["balance"]
    assert f"{before:.2f}" in armour


def test_previous_report_that_is_not_json_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "prev.json"
    bad.write_text("{not json", "utf-8")
    p = qdb(
        "report",
        "--data",
        str(FIXTURE),
        "--format",
        "md",
        "-o",
        str(tmp_path / "x.md"),
        "--previous",
        str(bad),
        "--samples",
        "0",
        "-q",
        check=False,
    )
    assert p.returncode == 1
    err = p.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "not the JSON of qdb assess" in err
    assert "Traceback" not in err


def test_recommendations_survive_a_broken_optimiser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The optimiser raising anything: the section states each gap's closing need instead."""
    import qdb.optimize
    from qdb.assess import assess
    from qdb.cli import report_cmds
    from qdb.io.load import load_dataset
    from qdb.report import build_context, render

    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("mid-rewrite")

    monkeypatch.setattr(qdb.optimize, "optimize", boom)
    m = load_dataset(FIXTURE).dataset.matchup("ukraine", "russia")
    a = assess(m, samples=200)
    extras = report_cmds._extras(m, a, dt.date(2025, 3, 1), None, None, None)
    assert extras["optimization"] == {"error": "RuntimeError"}
    md = render(build_context(a, m, report_date=dt.date(2025, 3, 1), extras=extras), "md").decode()
    sec = md[md.index("## 4. ") : md.index("## 5. ")]
    assert "could not be run" in sec
    assert "To reach matched: cut leakage from" in sec
    assert "To reach matched: about" in sec


def test_point_estimates_only(tmp_path: Path) -> None:
    md = _report_md(tmp_path, "--samples", "0")
    assert "no probability" in md or "point estimates" in md
    assert "P(holds) —" not in md


def test_doctests() -> None:
    import qdb.report.context as ctx_mod
    import qdb.report.fmt as fmt_mod

    for mod in (fmt_mod, ctx_mod):
        res = doctest.testmod(mod)
        assert res.failed == 0 and res.attempted > 0


@pytest.mark.parametrize(
    ("musd", "text"), [(744, "$744 M"), (999.4, "$999 M"), (4230, "$4.23 bn"), (26440, "$26.4 bn")]
)
def test_money_in_millions_below_a_billion(musd: float, text: str) -> None:
    from qdb.report.fmt import fmt_money

    assert fmt_money(musd) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "< 1%"),
        (0.00001, "< 1%"),
        (0.0099, "< 1%"),
        (0.01, "1%"),
        (0.5, "50%"),
        (0.991, "> 99%"),
        (1.0, "> 99%"),
    ],
)
def test_probability_format(p: float, text: str) -> None:
    from qdb.report.fmt import fmt_prob

    assert fmt_prob(p) == text == prob_text(p)


def test_what_if_edits_named_in_words(tmp_path: Path) -> None:
    md = _unescape(
        _report_md(
            tmp_path,
            "--set",
            "ukraine:patriot.quantity+=4",
            "--set",
            "ukraine:training.air_defence*=1.1",
        )
    )
    assert (
        "This is a what-if assessment, not the baseline position. Changed from the data: "
        "Ukraine's MIM-104 Patriot: quantity changed by 4; Ukraine's training (air defence) "
        "multiplied by 1.1." in md
    )
    assert "patriot.quantity" not in md


def test_backtest_annex_corrects_each_air_verdict_by_the_recorded_error() -> None:
    """Hand-made back-test results in the shape of ``RaidBacktest.as_dict``: the annex sets
    predicted beside reported leakage and re-judges the contest with the leakage scaled by
    reported / predicted (known answer computed here from the assessment)."""
    import math

    from qdb.assess import assess
    from qdb.io.load import load_dataset
    from qdb.report import build_context, render

    m = load_dataset(FIXTURE).dataset.matchup("ukraine", "russia")
    a = assess(m, samples=0)
    c = a.contest("air_defence")
    assert c is not None and c.leakage is not None
    cls = {
        "raids": 12,
        "launched": 300.0,
        "reported_leakage": 0.3,
        "net_leakage": 0.25,
        "predicted_leakage": 0.5,
        "mean_abs_error": 0.2,
    }
    bt = {
        "window": {"from": "2024-10-03", "to_exclusive": "2025-01-01"},
        "by_class": {"cruise_missile": cls},
    }
    losses = {
        "contests": [
            {
                "contest": "armour",
                "title": "Russian armour vs x",
                "implied_ler": 1.2,
                "observed_ler": 2.5,
                "claims_ler_upper": None,
                "balance": 0.62,
                "balance_from_losses": 1.3,
            }
        ]
    }
    ctx = build_context(
        a,
        m,
        report_date=dt.date(2025, 3, 1),
        extras={"backtest_raids": {"calibration": bt}, "backtest_losses": losses},
    )
    md = _unescape(render(ctx, "md").decode())
    annex = md[md.index("## Annex B") : md.index("## Annex C")]
    assert "| Cruise missile | 12 | 300 | 30.0% | 25.0% | 50.0% | 20.0% |" in annex
    b_adj = math.log(c.leakage * 0.25 / 0.5) / math.log(0.1)
    verdict = "shortfall" if b_adj < 0.9 else "matched" if b_adj < 1.1 else "offset"
    finding = md[md.index("### Russian cruise missiles") : md.index("## 2. ")]
    assert f"the balance would be {b_adj:.2f} ({verdict})" in finding
    # armour: the losses imply 1.3 (offset) against a modelled shortfall
    assert "Observed equipment losses (Oryx) imply a balance of 1.30 (offset)" in md
    assert "| Russian armour | Equipment losses |" in annex and "| disagrees |" in annex
