"""Bad commitments: exit 1 with file, line and field; nothing half-done."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qdb.cli import main

DATA = Path(__file__).parent / "data" / "projection"


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA, dst)
    return dst


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    code = exc.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{class: lr_sam, system: patriot, quantity: 2, year: 2026",
            "{class: lr_sams, system: patriot, quantity: 2, year: 2026",
            "us.yaml:10:13: deliveries[1].class: unknown class 'lr_sams'; did you mean 'lr_sam'?",
        ),
        (
            "{class: lr_sam, system: patriot, quantity: 2, year: 2026",
            "{class: sr_sam, system: patriot, quantity: 2, year: 2026",
            "us.yaml:10:13: deliveries[1].class: ukraine's 'patriot' is class 'lr_sam', not 'sr_sam'",
        ),
        (
            "quantity: 100, year: 2027",
            "quantity: 100, year: 2031",
            "us.yaml:12:55: deliveries[3].year: year 2031 is after the instrument's last year (2029)",
        ),
        ("2026: 3000", "2026: -3000", "us.yaml:6:34: funding_musd.2026: must be >= 0 (got -3000)"),
        (
            "2029: 3000}",
            "2030: 3000}",
            "us.yaml:6:70: funding_musd.2030: year 2030 is outside the instrument's years (2025-2029)",
        ),
    ],
)
def test_bad_commitment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    d = _copy(tmp_path)
    f = d / "commitments" / "us.yaml"
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new, 1))
    for cmd in ("project", "obligations"):
        code, err = _run(capsys, cmd, "--data", str(d))
        assert code == 1
        assert expected in err, err
        assert "Traceback" not in err


def test_negative_budget_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, "optimize", "--data", str(DATA), "--budget", "-1")
    assert code == 1
    assert err.strip() == "--budget must be a number of million USD >= 0 (got -1.0)"
