"""Obligations: pledged vs delivered, funding by year, slippage and burden share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdb.cli import app
from qdb.io.load import load_dataset
from qdb.obligations import obligations, obligations_markdown

DATA = Path(__file__).parent / "data" / "projection"


def _ob(year: int = 2025):  # type: ignore[no-untyped-def]
    m = load_dataset(DATA).dataset.matchup()
    return obligations(m.commitments, m.catalog, year)


def test_pledged_vs_delivered_known_answer() -> None:
    o = _ob()
    us, de = o.partners  # largest pledged value first
    assert (us.partner, de.partner) == ("United States", "Germany")
    # US: 4 Patriots x 1000 + 131 Abrams x 5; delivered: 2 Patriots + 31 Abrams
    assert us.pledged_value_musd == 4 * 1000 + 131 * 5
    assert us.delivered_value_musd == 2 * 1000 + 31 * 5
    assert (us.pledged_quantity, us.delivered_quantity) == (135, 33)
    # Germany: 4 IRIS-T x 150 + 700 (given value) + 40 Leopard 2 x 5 + 80 Leopard 1 x 5
    assert de.pledged_value_musd == 600 + 700 + 200 + 400
    assert de.delivered_value_musd == 200
    assert us.funding_total_musd == 15_000 and de.funding_total_musd == 4_500
    assert de.by_class["sr_sam"]["pledged_quantity"] == 8


def test_slippage_and_behind() -> None:
    o = _ob(2025)
    assert [p.partner for p in o.behind] == ["Germany"]
    (s,) = o.slipped
    assert (s.partner, s.system, s.year, s.years_late, s.value_musd) == (
        "Germany",
        "iris_t",
        2024,
        1,
        600,
    )
    # two years on, the 2026 pledges have slipped too
    later = _ob(2027)
    assert {p.partner for p in later.behind} == {"Germany", "United States"}
    assert _ob(2024).slipped == []


def test_burden_share() -> None:
    b = _ob().burden()
    assert b["us"]["pledged_value_share"] == pytest.approx(4655 / (4655 + 1900))
    assert b["europe"]["funding_share"] == pytest.approx(4500 / 19500)
    assert b["other"]["pledged_value_musd"] == 0
    assert sum(b[k]["delivered_value_share"] or 0 for k in b) == pytest.approx(1)


def test_funding_by_year_and_json() -> None:
    o = _ob()
    rows = {r["year"]: r for r in o.funding_by_year()}
    assert rows[2024]["funding_musd"] == 1500
    assert rows[2026]["deliveries_value_musd"] == 2000 + 700 + 400
    out = o.to_json()
    assert set(out) == {"as_of_year", "partners", "behind", "slipped", "funding_by_year", "burden"}
    assert out["partners"][1]["status"] == "behind"
    assert "Germany" in obligations_markdown(o)


def test_no_commitments() -> None:
    m = load_dataset(DATA).dataset.matchup()
    o = obligations((), m.catalog, 2025)
    assert o.partners == () and o.burden()["us"]["pledged_value_share"] is None


def test_cli_obligations() -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["obligations", "--data", str(DATA), "-f", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["as_of_year"] == 2025 and out["behind"] == ["Germany"]
    r = runner.invoke(app, ["obligations", "--data", str(DATA), "--year", "2027"])
    assert r.exit_code == 0 and "behind" in r.stdout and "Burden share" in r.stdout
