"""The certification report: context, Markdown/HTML goldens, byte stability, CLI.

Goldens live in tests/golden/report/; regenerate with ``QDB_UPDATE_GOLDEN=1 pytest
tests/test_report.py`` and review the diff. They run on the fixture in
tests/data/report/ with hand-made extras, so neither the bundled data nor the
other analyses changing can move them.
"""

from __future__ import annotations

import copy
import datetime as dt
import doctest
import itertools
import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from qdb.assess import assess
from qdb.io.load import load_dataset
from qdb.models import Matchup
from qdb.report import build_context, render
from qdb.report import context as context_mod
from qdb.report import fmt as fmt_mod
from qdb.report.render import inline_svg, render_html, render_markdown

HERE = Path(__file__).parent
FIXTURE = HERE / "data" / "report"
GOLDEN = HERE / "golden" / "report"
DATE = dt.date(2025, 3, 1)
UPDATE = os.environ.get("QDB_UPDATE_GOLDEN") == "1"

# Hand-made extras in the shapes the other analyses produce (see qdb/report/context.py).
UNCERTAINTY: dict[str, Any] = {
    "p_certified": 0.1234,
    "samples": 10000,
    "seed": 0,
    "contests": [
        {
            "id": "armour",
            "uncertainty": {
                "p_matched_or_offset": 0.21,
                "balance_p05": 0.41,
                "balance_p50": 0.6,
                "balance_p95": 0.98,
            },
        },
        {
            "id": "fires",
            "uncertainty": {
                "p_matched_or_offset": 0.97,
                "balance_p05": 1.1,
                "balance_p50": 1.5,
                "balance_p95": 1.9,
            },
        },
        {
            "id": "air",
            "uncertainty": {
                "p_matched_or_offset": 0.55,
                "balance_p05": 0.8,
                "balance_p50": 0.99,
                "balance_p95": 1.2,
            },
        },
        {
            "id": "air_defence",
            "uncertainty": {
                "p_matched_or_offset": 0.0,
                "balance_p05": 0.2,
                "balance_p50": 0.28,
                "balance_p95": 0.35,
            },
        },
        {
            "id": "undersea",
            "uncertainty": {
                "p_matched_or_offset": 1.0,
                "balance_p05": None,
                "balance_p50": None,
                "balance_p95": None,
            },
        },
    ],
}
SENSITIVITY: dict[str, Any] = {
    "armour": [
        {"input": "russia:t72b3.quantity", "low": 0.86, "high": 0.45},
        {"input": "ukraine:t64.quantity", "low": 0.55, "high": 0.7},
    ]
}
OBLIGATIONS: dict[str, Any] = {
    "as_of_year": 2025,
    "partners": [
        {
            "partner": "United States",
            "bloc": "us",
            "status": "behind",
            "pledged_value_musd": 5200.0,
            "delivered_value_musd": 2000.0,
            "funding_total_musd": 11000.0,
            "slipped": [
                {
                    "partner": "United States",
                    "system": "f16",
                    "quantity": 20,
                    "year": 2024,
                    "years_late": 1,
                    "value_musd": 1200,
                }
            ],
        },
        {
            "partner": "Germany",
            "bloc": "europe",
            "status": "on track",
            "pledged_value_musd": 380.0,
            "delivered_value_musd": 220.0,
            "funding_total_musd": 11000.0,
            "slipped": [],
        },
    ],
    "slipped": [
        {
            "partner": "United States",
            "system": "f16",
            "quantity": 20,
            "year": 2024,
            "years_late": 1,
            "value_musd": 1200,
        }
    ],
    "burden": {
        "us": {"pledged_value_musd": 5200.0, "funding_musd": 11000.0},
        "europe": {"pledged_value_musd": 380.0, "funding_musd": 11000.0},
        "other": {"pledged_value_musd": 0.0, "funding_musd": 0.0},
    },
}
PROJECTION: dict[str, Any] = {
    "first_certified": 2027,
    "trigger_threshold": 0.9,
    "years": [
        {
            "year": y,
            "certified": y >= 2027,
            "contests": [
                {"id": "armour", "balance": 0.62 + 0.2 * i, "verdict": "x"},
                {"id": "air_defence", "balance": 0.28 + 0.4 * i, "verdict": "x"},
                {"id": "undersea", "balance": None, "verdict": "uncontested"},
            ],
        }
        for i, y in enumerate((2025, 2026, 2027))
    ],
    "closes": {"armour": 2027, "air_defence": 2027, "undersea": 2025},
    "triggers": [
        {"year": 2025, "contest": "armour", "balance": 0.62, "verdict": "shortfall"},
        {"year": 2026, "contest": "armour", "balance": 0.82, "verdict": "shortfall"},
        {"year": 2025, "contest": "air_defence", "balance": 0.28, "verdict": "shortfall"},
    ],
    "assumptions": ["Rates are point estimates."],
}
OPTIMIZATION: dict[str, Any] = {
    "package": [
        {
            "class": "lr_sam",
            "system": "patriot",
            "quantity": 35,
            "cost_musd": 35000.0,
            "new_system": False,
        },
        {
            "class": "atgm_team",
            "system": "javelin",
            "quantity": 578,
            "cost_musd": 289.0,
            "new_system": False,
        },
    ],
    "total_cost_musd": 35289.0,
    "feasible": True,
    "unreachable": [],
}
ALL_EXTRAS: dict[str, Any] = {
    "uncertainty": UNCERTAINTY,
    "sensitivity": SENSITIVITY,
    "obligations": OBLIGATIONS,
    "projection": PROJECTION,
    "optimization": OPTIMIZATION,
}


@pytest.fixture(scope="module")
def matchup() -> Matchup:
    """The fixture matchup (read-only: models are frozen)."""
    return load_dataset(FIXTURE).dataset.matchup()


@pytest.fixture(scope="module")
def full_ctx(matchup: Matchup) -> dict[str, Any]:
    """Context with every optional section (treat as read-only)."""
    return build_context(
        assess(matchup), matchup, report_date=DATE, extras=copy.deepcopy(ALL_EXTRAS)
    )


@pytest.fixture(scope="module")
def plain_ctx(matchup: Matchup) -> dict[str, Any]:
    """Context with no extras (commitments come from the matchup)."""
    return build_context(assess(matchup), matchup, report_date=DATE)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE and os.environ.get("CI") == "true":
            pytest.fail(f"golden file {path} is missing; run QDB_UPDATE_GOLDEN=1 pytest locally")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"differs from {path}; QDB_UPDATE_GOLDEN=1 to accept"
    )


# --------------------------------------------------------------------------- context


def test_context_is_plain_json(full_ctx: dict[str, Any]) -> None:
    assert json.loads(json.dumps(full_ctx, allow_nan=False)) == full_ctx


def test_determination_names_critical_shortfalls(full_ctx: dict[str, Any]) -> None:
    det = full_ctx["determination"]
    assert det["label"] == "NOT CERTIFIED"
    assert det["critical_total"] == 3 and det["critical_short"] == 2
    assert det["text"].startswith(
        "Ukraine's capabilities do not match or offset Russia's numerical advantages in 2 of 3 critical contests: "
    )
    assert "Russian armour vs Ukrainian tanks and anti-armour (balance 0.62)" in det["text"]
    assert det["also"] == ""


def _scaled_blue(m: Matchup, k: float) -> Matchup:
    systems = [
        s.model_copy(
            update={
                "quantity": s.quantity.scaled(k),
                "stock": s.stock.scaled(k) if s.stock else None,
            }
        )
        for s in m.blue.systems
    ]
    return m.with_side("blue", m.blue.model_copy(update={"systems": systems}))


def test_certified_wording(matchup: Matchup) -> None:
    strong = _scaled_blue(matchup, 50)
    ctx = build_context(assess(strong), strong, report_date=DATE)
    assert ctx["determination"]["label"] == "CERTIFIED"
    assert "in every critical contest assessed (3 of 3)" in ctx["determination"]["text"]


def test_gap_quantity_multiplier_closes_the_gap(
    matchup: Matchup, plain_ctx: dict[str, Any]
) -> None:
    """Fielding k times the counter-force (k from the text) brings the balance to exactly matched."""
    armour = next(c for c in plain_ctx["contests"] if c["id"] == "armour")
    r = assess(matchup).contest("armour")
    assert r is not None and r.balance is not None and r.exponent is not None
    k = (0.9 / r.balance) ** (1 / r.exponent)
    assert f"field ×{k:.2f} the counter-force" in armour["gap_text"]
    scaled = matchup.with_side(
        "blue",
        matchup.blue.model_copy(
            update={
                "systems": [
                    s.model_copy(update={"quantity": s.quantity.scaled(k)})
                    for s in matchup.blue.systems
                ]
            }
        ),
    )
    r2 = assess(scaled, with_critical=False).contest("armour")
    assert r2 is not None and r2.balance is not None
    assert math.isclose(r2.balance, 0.9, rel_tol=1e-9)


def test_layered_required_leakage(plain_ctx: dict[str, Any]) -> None:
    ad = next(c for c in plain_ctx["contests"] if c["id"] == "air_defence")
    lay = ad["layered"]
    assert math.isclose(lay["required_leakage"], 0.1**0.9)
    assert ad["gap_text"].startswith("Cut leakage from 52.6% to at most 12.6%")
    # the funnel is consistent: what leaves the last layer is the leakage
    assert math.isclose(
        lay["layers"][-1]["leaving"] / lay["arrivals"], lay["leakage"], rel_tol=1e-9
    )


def test_factor_multipliers_multiply_to_balance(plain_ctx: dict[str, Any]) -> None:
    for c in plain_ctx["contests"]:
        if c["factors"]:
            assert math.isclose(
                math.prod(f["mult"] for f in c["factors"]), c["balance"], rel_tol=1e-9
            )


def test_sections_absent_without_extras(plain_ctx: dict[str, Any]) -> None:
    assert plain_ctx["uncertainty"] is None
    assert plain_ctx["sensitivity"] is None
    assert plain_ctx["projection"] is None
    assert plain_ctx["optimization"] is None
    # commitments are read off the matchup when no obligations analysis is given
    assert [p["partner"] for p in plain_ctx["commitments"]["partners"]] == [
        "United States",
        "Germany",
    ]
    md = render_markdown(plain_ctx).decode()
    for absent in ("Uncertainty", "Sensitivity", "Projection", "What closing the gaps would cost"):
        assert f". {absent}" not in md


def test_no_commitments_no_section(matchup: Matchup) -> None:
    from dataclasses import replace

    m = replace(matchup, commitments=())
    ctx = build_context(assess(m), m, report_date=DATE)
    assert ctx["commitments"] is None
    assert "Partner commitments" not in render_markdown(ctx).decode()


@pytest.mark.parametrize(
    "keys",
    [c for n in range(len(ALL_EXTRAS) + 1) for c in itertools.combinations(sorted(ALL_EXTRAS), n)],
)
def test_any_subset_of_extras_builds(matchup: Matchup, keys: tuple[str, ...]) -> None:
    a = assess(matchup, with_critical=False)
    extras = {k: copy.deepcopy(ALL_EXTRAS[k]) for k in keys}
    ctx = build_context(a, matchup, report_date=DATE, extras=extras)
    md = render_markdown(ctx).decode()
    assert ("Uncertainty" in md) == ("uncertainty" in keys)
    assert ("Projection over the commitment years" in md) == ("projection" in keys)
    html = render_html(
        ctx, charts={k: "<svg viewBox='0 0 1 1'></svg>" for k in ctx["charts"]}
    ).decode()
    assert html.count("<figure") == len(ctx["charts"])


@pytest.mark.parametrize("bad", [{"years": "nope"}, {"years": [{"no": "year"}]}, {}])
def test_malformed_projection_is_left_out(matchup: Matchup, bad: dict[str, Any]) -> None:
    ctx = build_context(
        assess(matchup, with_critical=False), matchup, report_date=DATE, extras={"projection": bad}
    )
    assert ctx["projection"] is None


def test_doctests() -> None:
    for mod in (fmt_mod, context_mod):
        res = doctest.testmod(mod)
        assert res.failed == 0, mod.__name__


# --------------------------------------------------------------------------- goldens


def test_markdown_golden(full_ctx: dict[str, Any]) -> None:
    _golden("full.md", render_markdown(full_ctx).decode("utf-8"))


def test_markdown_golden_plain(plain_ctx: dict[str, Any]) -> None:
    _golden("plain.md", render_markdown(plain_ctx).decode("utf-8"))


class _Outline(HTMLParser):
    """Headings, tables (rows x cols), figures and section ids, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._tag: str | None = None
        self._text = ""
        self._rows = 0
        self._cols = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            v = a.get(key) or ""
            if v and not v.startswith("#"):
                self.external.append(v)
        if tag in ("h1", "h2", "h3"):
            self._tag, self._text = tag, ""
        elif tag == "section":
            self.lines.append(f"section #{a.get('id')}")
        elif tag == "table":
            self._rows = self._cols = 0
        elif tag == "tr":
            self._rows += 1
            self._cells = 0
        elif tag in ("td", "th"):
            self._cells += 1
            self._cols = max(self._cols, self._cells)
        elif tag == "figure":
            self.lines.append(f"  figure {a.get('data-chart')}")
        elif tag == "link":
            self.external.append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self.lines.append(f"{tag} {self._text.strip()}")
            self._tag = None
        elif tag == "table":
            self.lines.append(f"  table {self._rows}x{self._cols}")

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text += data


def test_html_structure_golden(full_ctx: dict[str, Any]) -> None:
    charts = {
        k: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><g id="g1"/></svg>'
        for k in full_ctx["charts"]
    }
    html = render_html(full_ctx, charts=charts).decode("utf-8")
    p = _Outline()
    p.feed(html)
    assert p.external == [], "the HTML must make no external requests"
    _golden("full.html.outline", "\n".join(p.lines) + "\n")


def test_html_self_contained_and_printable(full_ctx: dict[str, Any]) -> None:
    html = render_html(full_ctx).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "@media print" in html and "<style>" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "@import" not in html and "url(http" not in html
    assert html.count("<svg") == len(full_ctx["charts"])
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "inline SVG ids must not collide"


def test_inline_svg_prefixes_ids() -> None:
    svg = '<?xml version="1.0"?>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5"><defs><path id="a"/></defs><use xlink:href="#a"/><g clip-path="url(#a)"/></svg>'
    out = inline_svg(svg, "c1-")
    assert out.startswith("<svg viewBox")
    assert 'id="c1-a"' in out and 'href="#c1-a"' in out and "url(#c1-a)" in out


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_same_inputs_and_date_same_bytes(matchup: Matchup, fmt: str) -> None:
    def once() -> bytes:
        ctx = build_context(
            assess(matchup), matchup, report_date=DATE, extras=copy.deepcopy(ALL_EXTRAS)
        )
        return render(ctx, fmt)

    first, second = once(), once()
    assert first == second
    assert len(first) > 1000


def test_date_changes_bytes(matchup: Matchup) -> None:
    a = assess(matchup)
    one = render(build_context(a, matchup, report_date=DATE), "md")
    two = render(build_context(a, matchup, report_date=DATE + dt.timedelta(days=1)), "md")
    assert one != two and b"2 March 2025" in two


# --------------------------------------------------------------------------- CLI


def _cli(args: list[str]) -> tuple[int, str]:
    from typer.testing import CliRunner

    from qdb.cli import app

    res = CliRunner().invoke(app, args)
    return res.exit_code, res.output


def test_cli_md_twice_identical(tmp_path: Path) -> None:
    outs = []
    for name in ("a.md", "b.md"):
        code, out = _cli(
            [
                "report",
                "--data",
                str(FIXTURE),
                "--format",
                "md",
                "-o",
                str(tmp_path / name),
                "--date",
                "2025-03-01",
            ]
        )
        assert code == 0, out
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    text = outs[0].decode()
    assert "**Determination: NOT CERTIFIED.**" in text
    assert "Annex B. Sources" in text


def test_cli_what_if_is_disclosed(tmp_path: Path) -> None:
    out_file = tmp_path / "w.md"
    code, out = _cli(
        [
            "report",
            "--data",
            str(FIXTURE),
            "-f",
            "md",
            "-o",
            str(out_file),
            "--date",
            "2025-03-01",
            "--set",
            "ukraine:patriot.quantity+=4",
        ]
    )
    assert code == 0, out
    assert "What-if assessment: edits ukraine:patriot.quantity+=4 applied" in out_file.read_text()


def test_cli_bad_date_is_usage_error(tmp_path: Path) -> None:
    code, out = _cli(
        ["report", "--data", str(FIXTURE), "-o", str(tmp_path / "x.pdf"), "--date", "1 March"]
    )
    assert code == 2
    assert "is not a date" in out
    assert not (tmp_path / "x.pdf").exists()


def test_cli_bad_data_writes_nothing(tmp_path: Path) -> None:
    code, _ = _cli(
        ["report", "--data", str(tmp_path / "missing"), "-f", "md", "-o", str(tmp_path / "x.md")]
    )
    assert code == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_samples_adds_uncertainty(tmp_path: Path) -> None:
    pytest.importorskip("qdb.uncertainty")
    out_file = tmp_path / "u.md"
    code, out = _cli(
        [
            "report",
            "--data",
            str(FIXTURE),
            "-f",
            "md",
            "-o",
            str(out_file),
            "--date",
            "2025-03-01",
            "--samples",
            "200",
        ]
    )
    assert code == 0, out
    text = out_file.read_text()
    assert (
        "Uncertainty" in text and "P(matched or offset)" in text and "200 times with seed 0" in text
    )


def test_cli_bundled_data_smoke(tmp_path: Path) -> None:
    out_file = tmp_path / "bundled.md"
    code, out = _cli(["report", "-f", "md", "-o", str(out_file), "--date", "2025-08-01", "-q"])
    assert code == 0, out
    text = out_file.read_text()
    assert re.search(r"\*\*Determination: (NOT )?CERTIFIED\.\*\*", text)
    assert "Annex A. Assumptions" in text and "Annex B. Sources" in text


def test_report_command_imports_no_heavy_modules() -> None:
    import subprocess
    import sys

    code = "import sys, qdb.cli; print(sorted(m for m in ('matplotlib', 'typst', 'jinja2') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_templates_are_package_data() -> None:
    from importlib import resources

    names = {p.name for p in resources.files("qdb.report").joinpath("templates").iterdir()}
    assert {
        "report.md.j2",
        "report.html.j2",
        "report.typ",
        "report.css",
        "methodology.txt",
    } <= names
