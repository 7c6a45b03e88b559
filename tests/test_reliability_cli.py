"""Reliability of the command line (issue #12): one-line errors, output paths, bounds, speed.

Commands run in a subprocess (``python -m qdb``) so that exit codes, stderr and
the absence of tracebacks are what a user sees. Root-cause numbers as in the
issue.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "reliability"
UKR = "force_inventories/ukraine-2022-02.yaml"
RUS = "force_inventories/russia-2022-02.yaml"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "d"
    shutil.copytree(DATA, d)
    return d


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QDB_CACHE_DIR=str(tmp / "cache"), XDG_STATE_HOME=str(tmp / "state"))
    env.pop("QDB_NO_CACHE", None)
    env.update(extra)
    return env


def qdb(
    *args: str,
    tmp: Path,
    input: bytes | None = None,
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
    preexec_fn: object = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "qdb", *args],
        input=input,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env or _env(tmp),
        preexec_fn=preexec_fn,
        cwd=cwd,
        timeout=timeout,
    )


def one_line_error(r: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    err = r.stderr.decode()
    assert r.returncode == code, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _quantity(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.strip().startswith("quantity:"):
            return int(line.split(":")[1].split("#")[0])
    raise AssertionError("no quantity")


# --- 2: a two-file write on a full disk changes nothing --------------------------------------


def test_2_disk_full_via_rlimit_fsize(data: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in data.rglob("*.yaml")}
    limit = min(len(b) for b in before.values()) - 10

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = qdb(
        "whatif",
        "--data",
        str(data),
        "--write",
        "ukraine:t64bv.quantity+=1",
        "russia:t72b3.quantity+=1",
        tmp=tmp_path,
        preexec_fn=small_files,
    )
    line = one_line_error(r)
    assert "File too large" in line and "nothing written" in line
    assert {p: p.read_bytes() for p in data.rglob("*.yaml")} == before
    assert not [p for p in data.rglob("*.tmp")] and not (data / ".qdb-journal.json").exists()


# --- 3: a scenario on stdin is read once ---------------------------------------------------------


def test_3_scenario_from_stdin_with_write(data: Path, tmp_path: Path) -> None:
    sc = b"name: Ten more tanks\nedits:\n  - ukraine:t64bv.quantity+=10\n"
    r = qdb(
        "whatif",
        "--data",
        str(data),
        "--scenario",
        "/dev/stdin",
        "--write",
        tmp=tmp_path,
        input=sc,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert _quantity(data / UKR) == 997
    assert b"Ten more tanks" in r.stdout


# --- 4 and 12: output paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, why",
    [
        ("{data}/catalog.yaml", "one of this command's input files"),
        ("{data}", "is a folder"),
        ("", "empty"),
        ("{tmp}/missing/dir/x.json", "does not exist"),
        ("/dev/null", "is a device"),
        ("{tmp}/fifo", "FIFO"),
    ],
)
def test_4_output_refused(data: Path, tmp_path: Path, target: str, why: str) -> None:
    os.mkfifo(tmp_path / "fifo")
    before = (data / "catalog.yaml").read_bytes()
    out = target.format(data=data, tmp=tmp_path)
    if "input" in why:  # a command that reads the data folder
        r = qdb("graph", "--data", str(data), "-o", out, tmp=tmp_path)
    else:
        r = qdb("schema", "-o", out, tmp=tmp_path)
    assert why in one_line_error(r)
    assert (data / "catalog.yaml").read_bytes() == before
    assert stat_is_fifo(tmp_path / "fifo")


def stat_is_fifo(p: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.stat(p).st_mode)


def test_12_stdout_on_dev_full(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        r = qdb("schema", tmp=tmp_path, stdout=full.fileno())
    assert "No space left on device" in one_line_error(r)


def test_12_symlink_loop_folder_is_one_line(data: Path, tmp_path: Path) -> None:
    shutil.rmtree(data / "force_inventories")
    (data / "force_inventories").symlink_to("force_inventories")  # a loop
    assert "force_inventories" in one_line_error(qdb("validate", str(data), tmp=tmp_path))


# --- 6, 9, 10, 16, 17 through validate -------------------------------------------------------------


def test_6_as_of_zero_refused(data: Path, tmp_path: Path) -> None:
    f = data / UKR
    f.write_text(f.read_text().replace("as_of: 2022-02-24", "as_of: 0"))
    assert "as_of: must be a date YYYY-MM-DD" in one_line_error(
        qdb("validate", str(data), tmp=tmp_path)
    )


def test_9_escape_sequence_refused_and_not_echoed(data: Path, tmp_path: Path) -> None:
    f = data / UKR
    f.write_text(
        f.read_text().replace('rationale: "Baseline."', 'rationale: "B \\e]52;c;aGk=\\a"', 1)
    )
    r = qdb("validate", str(data), tmp=tmp_path)
    line = one_line_error(r)
    assert "control character U+001B" in line
    assert b"\x1b" not in r.stderr and b"\x07" not in r.stderr


def test_10_dev_zero_and_fifo_catalog_do_not_hang(data: Path, tmp_path: Path) -> None:
    t0 = time.monotonic()
    assert "is a device" in one_line_error(qdb("validate", "/dev/zero", tmp=tmp_path, timeout=20))
    (data / "catalog.yaml").unlink()
    os.mkfifo(data / "catalog.yaml")
    r = qdb("graph", "--data", str(data), tmp=tmp_path, timeout=20)
    assert "FIFO" in one_line_error(r)
    assert time.monotonic() - t0 < 20


def test_16_yaml_12_through_validate(data: Path, tmp_path: Path) -> None:
    f = data / UKR
    text = f.read_text().replace("as_of: 2022-02-24", "as_of: 2022-02-24\t# tab, then a comment")
    f.write_text(text.replace("# IISS tanks", "# IISS\u2028tanks"))
    r = qdb("validate", str(data), tmp=tmp_path)
    assert r.returncode == 0, r.stderr.decode()


def test_17_upper_case_yaml_is_validated(data: Path, tmp_path: Path) -> None:
    f = data / UKR
    f.write_text(f.read_text().replace("quantity: 987", "quantity: -1"))
    f.rename(f.with_name("ukraine-2022-02.YAML"))
    r = qdb("validate", str(data), tmp=tmp_path)
    assert r.returncode == 1 and b"ukraine-2022-02.YAML" in r.stderr


def test_17_newline_edit_is_one_line(data: Path, tmp_path: Path) -> None:
    r = qdb("whatif", "--data", str(data), "--dry-run", "ukraine:t64bv.quantity=1\n2", tmp=tmp_path)
    assert "line break" in one_line_error(r)


# --- 7: bounds on edits and options -------------------------------------------------------------------


@pytest.mark.parametrize("edit", ["ukraine:t64bv.quantity=1e200", "ukraine:t64bv.quantity*=1e300"])
def test_7_huge_edit_is_one_line(data: Path, tmp_path: Path, edit: str) -> None:
    r = qdb("whatif", "--data", str(data), "--dry-run", edit, tmp=tmp_path)
    assert "1e12" in one_line_error(r)


def test_7_huge_scenario_edit_is_one_line(data: Path, tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text("name: big\nedits:\n  - ukraine:t64bv.quantity=1e300\n")
    r = qdb("whatif", "--data", str(data), "--dry-run", "--scenario", str(sc), tmp=tmp_path)
    assert "1e12" in one_line_error(r)


@pytest.mark.parametrize(
    "args",
    [
        ["optimize", "--budget", "1e308"],
        ["optimize", "--budget", "nan"],
        ["sensitivity", "--samples", "1000000000"],
        ["obligations", "--year", "-1"],
        ["assess", "--samples", "1000000000"],
    ],
)
def test_12_options_are_capped(data: Path, tmp_path: Path, args: list[str]) -> None:
    r = qdb(*args, "--data", str(data), tmp=tmp_path)
    assert r.returncode == 2 and b"Traceback" not in r.stderr, r.stderr.decode()


# --- 12: no home folder ---------------------------------------------------------------------------


NO_PASSWD = (
    "import pwd, sys\n"
    "def no_entry(uid): raise KeyError(f'getpwuid(): uid not found: {uid}')\n"
    "pwd.getpwuid = no_entry\n"
    "from qdb.cli import main\n"
    "sys.argv[0] = 'qdb'\n"
    "main(sys.argv[1:])\n"
)


def test_12_home_unset_and_no_passwd_entry(data: Path, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "QDB_CACHE_DIR", "QDB_NO_CACHE")
    }
    for args in (["validate", str(data)], ["graph", "--data", str(data)]):
        r = subprocess.run(
            [sys.executable, "-c", NO_PASSWD, *args], capture_output=True, env=env, timeout=60
        )
        assert r.returncode == 0, r.stderr.decode()


# --- 13: owner, mode, symlink through the CLI -------------------------------------------------------


def test_13_write_through_symlink_keeps_mode(data: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "ukraine.yaml"
    real.parent.mkdir()
    shutil.move(data / UKR, real)
    os.chmod(real, 0o600)
    (data / UKR).symlink_to(real)
    r = qdb(
        "whatif",
        "--data",
        str(data),
        "--write",
        "ukraine:t64bv.quantity+=1",
        tmp=tmp_path,
        cwd=real.parent,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert (data / UKR).is_symlink() and _quantity(real) == 988
    assert (real.stat().st_mode & 0o777) == 0o600


# --- 11: validate of 20 files within 5 s --------------------------------------------------------------


def test_11_validate_twenty_files_fast(data: Path, tmp_path: Path) -> None:
    src = (data / UKR).read_text()
    for i in range(19):
        day = f"2022-0{1 + i // 9}-{10 + i % 9}"
        (data / "force_inventories" / f"ukraine-{i:02d}.yaml").write_text(
            src.replace("as_of: 2022-02-24", f"as_of: {day}")
        )
    assert len(list((data / "force_inventories").glob("*.yaml"))) == 21
    t0 = time.perf_counter()
    r = qdb("validate", str(data), tmp=tmp_path)
    took = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr.decode()
    assert took <= 5.0, f"validate of 22 files took {took:.1f} s"


# --- 15: dot output through the CLI ---------------------------------------------------------------------


def test_15_dot_labels(data: Path, tmp_path: Path) -> None:
    r = qdb("graph", "--data", str(data), tmp=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert '(available)\\n×987"' in r.stdout.decode()
    assert "\\\\n" not in r.stdout.decode()
