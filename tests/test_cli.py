"""The command line: contracts of assess / explain / graph, exit codes, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qdb.cli import main

TINY = Path(__file__).parent / "data" / "tiny"
ROOT = Path(__file__).parent.parent

CONTEST_KEYS = [
    "id",
    "title",
    "law",
    "critical",
    "blue_units",
    "red_units",
    "numbers_ratio",
    "quality_ratio",
    "required_quality_ratio",
    "balance",
    "verdict",
    "factors",
    "contributors",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out, err


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path / "cache"))


def test_assess_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "--data", str(TINY), "--format", "json")
    assert code == 0
    j = json.loads(out)
    assert list(j)[:8] == [
        "blue",
        "red",
        "as_of",
        "inputs_sha256",
        "engine_version",
        "certified",
        "index",
        "contests",
    ]
    assert j["blue"] == "ukraine" and j["red"] == "russia"
    assert j["as_of"] == {"ukraine": "2022-02-24", "russia": "2022-02-24"}
    c = j["contests"][0]
    assert list(c) == CONTEST_KEYS
    assert set(c["factors"]) == {"numbers", "equipment", "training", "technology", "interaction"}
    assert c["contributors"]["blue"][0] == {"system": "t64bv", "share": 1.0}
    assert abs(c["numbers_ratio"] - 3417 / 987) < 1e-9
    assert abs(c["balance"] - (987 / 3417) ** 2) < 1e-9
    assert c["verdict"] == "shortfall" and j["certified"] is False


def test_assess_json_byte_identical_and_cache_transparent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outs = []
    for env in ("", "1", ""):
        if env:
            monkeypatch.setenv("QDB_NO_CACHE", env)
        else:
            monkeypatch.delenv("QDB_NO_CACHE", raising=False)
        outs.append(run(capsys, "assess", "--data", str(TINY), "--format", "json")[1])
    assert outs[0] == outs[1] == outs[2]


def test_assess_table_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "--data", str(TINY))
    assert code == 0 and "SHORTFALL" in out and "NOT CERTIFIED" in out
    code, out, _ = run(capsys, "assess", "--data", str(TINY), "--format", "markdown")
    assert code == 0 and out.startswith("# Qualitative deterrent balance") and "| Contest |" in out


def test_as_of_selection(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess", "--data", str(TINY), "--as-of", "2020-01-01")
    assert code == 1
    assert (
        err.strip() == "qdb: no ukraine snapshot at or before 2020-01-01 (earliest is 2022-02-24)"
    )
    code, _, err = run(capsys, "assess", "--data", str(TINY), "--as-of", "yesterday")
    assert code == 2


def test_unknown_side_and_same_side(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess", "--data", str(TINY), "--blue", "poland")
    assert code == 1 and "no inventory for side 'poland'" in err
    code, _, err = run(capsys, "assess", "--data", str(TINY), "--red", "ukraine")
    assert code == 1 and "both 'ukraine'" in err


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "armour", "--data", str(TINY))
    assert code == 0
    assert "3.46 : 1 numerical advantage" in out
    assert "numbers" in out and "-2.484" in out
    assert "To reach matched" in out
    code, _, err = run(capsys, "explain", "armr", "--data", str(TINY))
    assert code == 1 and "did you mean 'armour'" in err


@pytest.mark.parametrize("fmt", ["dot", "graphml", "json"])
def test_graph_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "graph", "--data", str(TINY), "--format", fmt)
    assert code == 0
    if fmt == "dot":
        assert out.startswith("digraph qdb {") and '"ukraine:t64bv" -> "class:mbt"' in out
    elif fmt == "graphml":
        assert "<graphml" in out and "contest:armour" in out
    else:
        g = json.loads(out)
        rels = {e["relation"] for e in g["edges"]}
        assert rels == {"is_of_class", "threatens", "counters"}


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "assess", "--format", "xml")[0] == 2
    assert run(capsys, "nosuchcommand")[0] == 2


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    import typer.main

    from qdb.cli import app

    cmd = typer.main.get_command(app)
    for name in cmd.commands:  # type: ignore[attr-defined]
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and len(out) > 80, name


def test_cli_py_and_no_heavy_imports_for_help() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True, text=True, check=True
    )
    assert "assess" in r.stdout
    code = (
        "import sys, qdb.cli\n"
        "heavy = [m for m in ('networkx', 'numpy', 'matplotlib', 'typst', 'scipy', 'SALib', 'ruamel.yaml')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_output_file_is_written_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.json"
    code, stdout, _ = run(capsys, "assess", "--data", str(TINY), "--format", "json", "-o", str(out))
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text())["blue"] == "ukraine"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_write_new_file_gets_umask_permissions(tmp_path: Path) -> None:
    import os

    from qdb.io.atomic import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644
    (tmp_path / "kept.txt").write_bytes(b"a")
    (tmp_path / "kept.txt").chmod(0o600)
    atomic_write_bytes(tmp_path / "kept.txt", b"b")
    assert (tmp_path / "kept.txt").stat().st_mode & 0o777 == 0o600


def test_whatif_samples_adds_probabilities_before_and_after(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["whatif", "ukraine:t64bv.quantity*=4", "--data", str(TINY), "--samples", "200"]
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code == 0
    j = json.loads(out)
    assert j["p_certified_before"] == 0.0 and j["p_certified_after"] == 1.0
    assert j["scenario"]["contests"][0]["uncertainty"]["p_matched_or_offset"] == 1.0
    assert j["baseline"]["samples"] == 200 and j["scenario"]["seed"] == 0
    code, out, _ = run(capsys, *args)
    assert "Probability of certification: 0.000 -> 1.000" in out
