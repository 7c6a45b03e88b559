"""The report as a reader sees it: PDF text with positions (pdftotext), HTML in headless Chromium.

Needs poppler-utils and chromium (``.ci/run`` installs them). Locally a missing binary
skips the test with the reason; in CI (``CI=true``) it fails. Every check is made from
outside the report code (tests/report_checks.py): word boxes that overlap, code
identifiers in the extracted text, highlights numbers against a separate ``qdb assess``,
and in Chromium each chart's own marks (not page pixels that badges could supply).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.report_checks import (
    DATE,
    FIXTURE,
    SAMPLES,
    assess_json,
    code_identifier_problems,
    data_ids,
    highlights_problems,
    qdb,
)

BODY_PAGES_MAX = 15


def need(binary: str) -> str:
    """Path of ``binary``; skip locally when absent, fail in CI."""
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{binary} is required in CI (.ci/run installs it)")
        pytest.skip(f"{binary} not installed (apt-get install poppler-utils / chromium)")
    return path


def _report(tmp: Path, fmt: str, *extra: str, env: dict[str, str] | None = None) -> Path:
    out = tmp / f"report.{fmt}"
    qdb(
        "report",
        "--data",
        str(FIXTURE),
        "--format",
        fmt,
        "-o",
        str(out),
        "--date",
        DATE,
        "--samples",
        SAMPLES,
        "-q",
        *extra,
        env=env,
    )
    return out


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("pdf"), "pdf")


@pytest.fixture(scope="module")
def html_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("html"), "html")


@pytest.fixture(scope="module")
def assessed() -> dict[str, Any]:
    return assess_json()


# ---------------------------------------------------------------- PDF


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def pdf_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every word with its box (points), from ``pdftotext -bbox-layout``."""
    exe = need("pdftotext")
    out = subprocess.run(
        [exe, "-bbox-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        pages.append(
            [
                (float(a), float(b), float(c), float(d), html.unescape(w))
                for a, b, c, d, w in WORD.findall(page)
            ]
        )
    return pages


def overlaps(words: list[tuple[float, float, float, float, str]], tol: float = 0.5) -> list[str]:
    """Pairs of words whose boxes intersect by more than ``tol`` points each way."""
    found = []
    ws = sorted(words)
    for i, (x0, y0, x1, y1, w) in enumerate(ws):
        for a0, b0, a1, b1, v in ws[i + 1 :]:
            if a0 >= x1 - tol:
                break
            if min(x1, a1) - max(x0, a0) > tol and min(y1, b1) - max(y0, b0) > tol:
                found.append(f"{w!r} over {v!r} at ({x0:.0f}, {y0:.0f})")
    return found


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    exe = need("pdftotext")
    args = [exe]
    if first is not None:
        args += ["-f", str(first), "-l", str(last or first)]
    out = subprocess.run([*args, str(pdf), "-"], check=True, capture_output=True, text=True)
    return out.stdout


def test_no_two_words_overlap_in_the_pdf(pdf: Path) -> None:
    pages = pdf_words(pdf)
    assert len(pages) >= 8
    problems = [f"p.{n}: {o}" for n, ws in enumerate(pages, 1) for o in overlaps(ws)]
    assert problems == []


def test_overlap_check_can_fail() -> None:
    words = [(10.0, 10.0, 40.0, 20.0, "Model"), (30.0, 12.0, 60.0, 22.0, "Threat")]
    assert overlaps(words)
    assert not overlaps([(10.0, 10.0, 40.0, 20.0, "a"), (40.2, 10.0, 60.0, 20.0, "b")])


def test_no_code_identifiers_or_backticks_in_the_pdf(pdf: Path) -> None:
    text = " ".join(pdf_text(pdf).split())
    text = re.sub(r"\b[0-9a-f]{64}\b", "", text)  # the input digest
    assert code_identifier_problems(text, data_ids()) == []


def test_highlights_page_numbers_equal_assess_json(pdf: Path, assessed: dict[str, Any]) -> None:
    page2 = pdf_text(pdf, 2)
    assert "HIGHLIGHTS" in page2 and "What was found" in page2
    body = page2.split("How to read the probabilities")[0]
    body = body.split("\n", 3)[-1]  # drop the running header (report title and date)
    assert highlights_problems(body, assessed, DATE) == []
    # the whole page is one page: the next page starts the contents
    assert "Contents" in pdf_text(pdf, 3)


def test_body_at_most_15_pages_then_annexes(pdf: Path) -> None:
    pages = [pdf_text(pdf, n) for n in range(1, len(pdf_words(pdf)) + 1)]
    start = next(
        i
        for i, t in enumerate(pages, 1)
        if t.lstrip().startswith("Qualitative") and "\nAnnexes\n" in t
    )
    assert start - 1 <= BODY_PAGES_MAX
    after = "".join(pages[start - 1 :])
    for name in ("Annex A", "Annex B", "Annex C", "Annex D"):
        assert name in after


def test_figures_and_tables_numbered_with_captions_and_sources(pdf: Path) -> None:
    text = pdf_text(pdf)
    figs = [int(n) for n in re.findall(r"^Figure (\d+)\. ", text, flags=re.MULTILINE)]
    tabs = [int(n) for n in re.findall(r"^Table (\d+)\. ", text, flags=re.MULTILINE)]
    assert figs == list(range(1, len(figs) + 1)) and len(figs) >= 4
    assert tabs == list(range(1, len(tabs) + 1)) and len(tabs) >= 6
    captions = re.findall(r"^(?:Figure|Table) \d+\. (.+)$", text, flags=re.MULTILINE)
    assert len(set(captions)) == len(captions), "every caption is specific"
    assert text.count("Source: ") >= len(figs) + len(tabs)


def test_same_bytes_across_processes_and_hash_seeds(
    tmp_path: Path, pdf: Path, html_page: Path
) -> None:
    for fmt, first in (("pdf", pdf), ("html", html_page)):
        d = tmp_path / fmt
        d.mkdir()
        again = _report(d, fmt, env={"PYTHONHASHSEED": "12345"})
        assert again.read_bytes() == first.read_bytes(), fmt
    d = tmp_path / "other"
    d.mkdir()
    other = _report(d, "pdf", env={"PYTHONHASHSEED": "1"})
    assert other.read_bytes() == pdf.read_bytes()


def test_pages_render_to_png(tmp_path: Path, pdf: Path) -> None:
    """pdftoppm rasterises every page (what a reader's viewer does); none is blank."""
    exe = need("pdftoppm")
    subprocess.run([exe, "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(pdf_words(pdf))
    from PIL import Image

    for p in pngs:
        with Image.open(p) as img:
            lo, hi = img.convert("L").getextrema()
            assert lo < 128 < hi, f"{p.name} is blank"


# ---------------------------------------------------------------- HTML in Chromium

PROBE = """
<script>
(() => {
  const charts = [];
  for (const fig of document.querySelectorAll("figure.chart")) {
    const svg = fig.querySelector("svg");
    const r = svg ? svg.getBoundingClientRect() : {left: 0, right: 0, top: 0, bottom: 0, width: 0, height: 0};
    const marks = svg ? [...svg.querySelectorAll('[id*="qdb-mark"]')] : [];
    let drawn = 0;
    for (const m of marks) {
      const b = m.getBoundingClientRect();
      const inside = b.left >= r.left - 1 && b.right <= r.right + 1 && b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
      if ((b.width > 0 || b.height > 0) && inside) drawn++;
    }
    charts.push({key: fig.dataset.chart, width: r.width, height: r.height, marks: marks.length, drawn: drawn});
  }
  const hl = document.getElementById("highlights");
  const out = {charts: charts, highlights: hl ? hl.innerText : "", text: document.body.innerText};
  const pre = document.createElement("pre");
  pre.id = "qdb-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium_probe(page: Path, tmp: Path) -> dict[str, Any]:
    """Load ``page`` in headless Chromium and read what it laid out."""
    exe = need("chromium")
    probe = tmp / f"probe-{page.name}"
    probe.write_text(page.read_text("utf-8").replace("</body>", PROBE + "</body>"), "utf-8")
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1200,2000",
        "--dump-dom",
        probe.as_uri(),
    ]
    dom = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=180).stdout
    m = re.search(r'<pre id="qdb-probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert m, "the probe did not run"
    data: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    return data


def chart_problems(probe: dict[str, Any]) -> list[str]:
    out = []
    for c in probe["charts"]:
        if c["width"] < 300 or c["height"] < 80:
            out.append(f"{c['key']}: laid out {c['width']:.0f} x {c['height']:.0f} px")
        if c["drawn"] < 2:
            out.append(f"{c['key']}: {c['drawn']} of {c['marks']} data marks drawn")
    return out


@pytest.mark.browser
def test_every_chart_draws_its_own_marks_in_chromium(tmp_path: Path, html_page: Path) -> None:
    probe = chromium_probe(html_page, tmp_path)
    keys = [c["key"] for c in probe["charts"]]
    assert "balance" in keys and "campaign" in keys and any(k.startswith("factors_") for k in keys)
    assert chart_problems(probe) == []


@pytest.mark.browser
def test_empty_svgs_fail_the_chart_check(tmp_path: Path, html_page: Path) -> None:
    """The mutant #17 names: charts replaced by empty SVGs must not pass."""
    text = html_page.read_text("utf-8")
    hollow = re.sub(r"(<svg[^>]*>).*?(</svg>)", r"\1\2", text, flags=re.DOTALL)
    page = tmp_path / "hollow.html"
    page.write_text(hollow, "utf-8")
    probe = chromium_probe(page, tmp_path)
    assert probe["charts"] and all("marks drawn" in p for p in chart_problems(probe))


@pytest.mark.browser
def test_html_highlights_and_text_in_chromium(
    tmp_path: Path, html_page: Path, assessed: dict[str, Any]
) -> None:
    probe = chromium_probe(html_page, tmp_path)
    hl = probe["highlights"].split("How to read the probabilities")[0]
    hl = hl.split("\n", 2)[-1]  # drop the kicker and the question heading
    assert highlights_problems(hl, assessed, DATE) == []
    text = re.sub(r"\b[0-9a-f]{64}\b", "", probe["text"])
    assert code_identifier_problems(text, data_ids()) == []
