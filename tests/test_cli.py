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
    "judgement",
    "p_holds",
    "p_offset",
    "exponent",
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
    assert list(j)[:11] == [
        "blue",
        "red",
        "as_of",
        "inputs_sha256",
        "engine_version",
        "certified",
        "determination",
        "p_certified",
        "index",
        "contests",
        "iamd",
    ]
    assert {"samples", "seed", "confidence"} <= set(j)
    assert (j["samples"], j["seed"], j["confidence"]) == (4000, 0, 0.8)  # the defaults
    assert j["blue"] == "ukraine" and j["red"] == "russia"
    assert j["as_of"] == {"ukraine": "2022-02-24", "russia": "2022-02-24"}
    assert j["iamd"] == {"systems": []}  # no interceptor systems in the tiny data
    c = j["contests"][0]
    assert list(c) == [*CONTEST_KEYS, "uncertainty"]
    assert set(c["factors"]) == {
        "numbers",
        "sustainment",
        "equipment",
        "training",
        "technology",
        "interaction",
    }
    assert c["factors"]["sustainment"] == 0  # no gun in the tiny data fires a munition
    assert c["contributors"]["blue"][0] == {"system": "t64bv", "share": 1.0}
    assert abs(c["numbers_ratio"] - 3417 / 987) < 1e-9
    assert abs(c["balance"] - (987 / 3417) ** 2) < 1e-9
    assert c["exponent"] == 2  # square law
    assert c["verdict"] == "shortfall" and j["certified"] is False
    # nothing is uncertain in the tiny data: every sample is the point estimate
    assert (c["judgement"], c["p_holds"], c["p_offset"]) == ("shortfall", 0.0, 0.0)
    assert (j["determination"], j["p_certified"]) == ("not_certified", 0.0)


def test_assess_point_only(capsys: pytest.CaptureFixture[str]) -> None:
    """--samples 0: judgements and the determination come from the point verdicts."""
    code, out, _ = run(capsys, "assess", "--data", str(TINY), "--format", "json", "--samples", "0")
    assert code == 0
    j = json.loads(out)
    assert "samples" not in j and j["p_certified"] is None
    c = j["contests"][0]
    assert list(c) == CONTEST_KEYS
    assert (c["judgement"], c["p_holds"], c["p_offset"]) == ("shortfall", None, None)
    assert j["determination"] == "not_certified"


# t64bv ~ Tri(2000, 3600, 4500) against 3417 equal tanks, square law: beta = (n / 3417)^2.
# matched needs n >= 3417 sqrt(0.9) = 3241.7: P = 1 - 1241.7^2 / (2500 x 1600) = 0.6146;
# offset needs n >= 3417 sqrt(1.1) = 3583.8: P = 1 - 1583.8^2 / (2500 x 1600) = 0.3729.
# The point (3600) is offset (beta 1.10996); the judgement depends on the confidence.
RANGED = "ukraine:t64bv.quantity={low: 2000, estimate: 3600, high: 4500}"


@pytest.mark.parametrize(
    ("confidence", "judgement", "determination"),
    [("0.55", "matched", "certified"), ("0.8", "indeterminate", "indeterminate")],
)
def test_judgement_and_determination_follow_the_confidence(
    capsys: pytest.CaptureFixture[str], confidence: str, judgement: str, determination: str
) -> None:
    args = ["assess", "--data", str(TINY), "--set", RANGED, "--format", "json"]
    code, out, _ = run(capsys, *args, "--confidence", confidence)
    assert code == 0
    j = json.loads(out)
    c = j["contests"][0]
    assert c["verdict"] == "offset" and c["balance"] == pytest.approx((3600 / 3417) ** 2)
    # 4000 draws: standard error ~0.008, far inside the margins to the thresholds
    assert c["p_holds"] == pytest.approx(0.6146, abs=0.03)
    assert c["p_offset"] == pytest.approx(0.3729, abs=0.03)
    assert c["uncertainty"]["p_matched_or_offset"] == c["p_holds"]
    assert j["p_certified"] == c["p_holds"]  # the only critical contest
    assert (c["judgement"], j["determination"]) == (judgement, determination)
    assert j["certified"] is (determination == "certified")


@pytest.mark.parametrize("confidence", ["0.5", "1", "0.3", "x"])
def test_confidence_outside_half_to_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], confidence: str
) -> None:
    code, _, _ = run(capsys, "assess", "--data", str(TINY), "--confidence", confidence)
    assert code == 2


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

    def paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        """Every command and subcommand (``calibrate series``, ``backtest raids``, ...)."""
        subs = getattr(command, "commands", {})
        return [path, *(p for name, c in subs.items() for p in paths(c, (*path, name)))]

    found = paths(typer.main.get_command(app))
    assert ("assess",) in found and ("calibrate", "series") in found
    for path in found:
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0 and len(out) > 80, path


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
    assert (j["determination_before"], j["determination_after"]) == (
        "not_certified",
        "certified",
    )
    armour = j["changes"][0]
    assert (armour["judgement_before"], armour["judgement_after"]) == ("shortfall", "offset")
    assert (armour["p_holds_before"], armour["p_holds_after"]) == (0.0, 1.0)
    code, out, _ = run(capsys, *args)
    assert (
        "Determination: not_certified -> certified; probability of certification 0.000 -> 1.000 "
        "(200 samples, seed 0, same draws before and after)" in out
    )


WHATIF = Path(__file__).parent / "data" / "whatif"


def test_explain_advice_reaches_matched_under_ammunition_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re

    code, out, _ = run(capsys, "explain", "fires", "--data", str(WHATIF), "--samples", "0")
    assert code == 0
    assert "rounds before guns" in out  # the gap is in shells: the advice says so
    m = re.search(r"([\d.]+)× today's counter-force numbers", out)
    if m is None:
        return  # the advice no longer claims that numbers alone close the gap
    edit = f"ukraine:m777.quantity*={m.group(1)}"
    code, out, _ = run(
        capsys, "assess", "--data", str(WHATIF), "--set", edit, "--samples", "0", "--format", "json"
    )
    fires = next(c for c in json.loads(out)["contests"] if c["id"] == "fires")
    assert fires["balance"] >= 0.9 * 0.99  # the advised numbers reach matched (to rounding)
