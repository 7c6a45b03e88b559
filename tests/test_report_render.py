"""The report as a reader sees it: PDF pages rendered by pdftoppm, HTML in headless Chromium.

Needs poppler-utils and chromium (``.ci/run`` installs them). Locally a missing
binary skips the test with the reason; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from qdb.assess import assess
from qdb.io.load import load_dataset
from qdb.report import build_context, render

FIXTURE = Path(__file__).parent / "data" / "report"
DATE = dt.date(2025, 3, 1)
SHORTFALL_RGB = (0xA6, 0x1B, 0x1B)
OFFSET_RGB = (0x1E, 0x6B, 0x3A)


def need(binary: str) -> str:
    """Path of ``binary``; skip locally when absent, fail in CI."""
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{binary} is required in CI (.ci/run installs it)")
        pytest.skip(
            f"{binary} not installed (apt-get install {'poppler-utils' if binary.startswith('pdf') else binary})"
        )
    return path


@pytest.fixture(scope="module")
def ctx() -> dict[str, Any]:
    m = load_dataset(FIXTURE).dataset.matchup()
    import copy

    from tests.test_report import ALL_EXTRAS  # the same hand-made extras as the goldens

    return build_context(assess(m), m, report_date=DATE, extras=copy.deepcopy(ALL_EXTRAS))


@pytest.fixture(scope="module")
def pdf_bytes(ctx: dict[str, Any]) -> bytes:
    return render(ctx, "pdf")


def _near(px: tuple[int, ...], rgb: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(px[:3], rgb, strict=True))


def _count(img: Any, rgb: tuple[int, int, int]) -> int:
    colors = img.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(n for n, px in colors if _near(px, rgb))


def test_pdf_pages_render(tmp_path: Path, ctx: dict[str, Any], pdf_bytes: bytes) -> None:
    pdftoppm = need("pdftoppm")
    from PIL import Image

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True, timeout=120
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6, "a multi-page report"
    sizes = set()
    for p in pages:
        with Image.open(p) as img:
            sizes.add(img.size)
            gray = img.convert("L")
            lo, hi = gray.getextrema()
            assert hi - lo > 100, f"{p.name} is blank"
    assert len(sizes) == 1, "every page is A4"
    w, h = sizes.pop()
    assert abs(h / w - 297 / 210) < 0.02
    with Image.open(pages[0]) as first:
        assert _count(first, SHORTFALL_RGB) > 300, (
            "the title page shows the NOT CERTIFIED determination in red"
        )
    charts = 0
    for p in pages[1:]:
        with Image.open(p) as img:
            if _count(img, OFFSET_RGB) > 1000 and _count(img, SHORTFALL_RGB) > 1000:
                charts += 1
    assert charts >= 1, "the balance chart (red and green bars) renders in the PDF"


def test_pdf_text(tmp_path: Path, ctx: dict[str, Any], pdf_bytes: bytes) -> None:
    pdftotext = need("pdftotext")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    n = text.count("\f")
    assert "NOT CERTIFIED" in text
    assert f"Page 1 of {n}" in text and f"Page {n} of {n}" in text
    for heading in (
        "Executive summary",
        "Findings by contest",
        "Layered air defence",
        "Critical single points of failure",
        "Uncertainty",
        "Partner commitments",
        "Methodology in brief",
        "Annex A. Assumptions",
        "Annex B. Sources",
    ):
        assert heading in text, heading
    assert ctx["meta"]["inputs_sha256"] in text.replace("\n", "")


def test_pdf_fonts_embedded(tmp_path: Path, ctx: dict[str, Any], pdf_bytes: bytes) -> None:
    pdffonts = need("pdffonts")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    out = subprocess.run([pdffonts, str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [ln.split() for ln in out.splitlines()[2:] if ln.strip()]
    assert rows
    # columns: name type encoding emb sub uni object ID -> 'emb' is the 5th from the end
    assert all(r[-5] == "yes" for r in rows), out


@pytest.mark.browser
def test_html_in_headless_chromium(tmp_path: Path, ctx: dict[str, Any]) -> None:
    chromium = need("chromium")
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_bytes(render(ctx, "html"))
    shot = tmp_path / "shot.png"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        "--hide-scrollbars",
        page.as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    with Image.open(shot) as img:
        assert img.size == (1200, 3000)
        # the top 3000 px hold the title, determination, summary, findings table and balance chart
        assert _count(img, SHORTFALL_RGB) > 5000, "red shortfall bars of the balance chart"
        assert _count(img, OFFSET_RGB) > 3000, "green offset bars of the balance chart"
