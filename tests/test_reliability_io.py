"""Reliability of qdb's file handling (issue #12), in process: writes, reads, cache, text.

Each test names the root cause it pins (numbers as in the issue). The CLI
tests are in test_reliability_cli.py, the 8-process test in
test_reliability_concurrency.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import xml.dom.minidom
from pathlib import Path

import pytest

from qdb.errors import DataError, EditError, QdbError
from qdb.io import atomic
from qdb.io.atomic import (
    JOURNAL,
    FileWriteError,
    atomic_write_bytes,
    check_output_path,
    commit_files,
    read_capped,
    recover,
)
from qdb.io.load import load_dataset, read_folder
from qdb.io.write import edit_text, plan_write, write_plan
from qdb.io.yamlread import parse_yaml
from qdb.models.estimate import Estimate
from qdb.targets import parse_target
from qdb.whatif import SetValue, parse_edit, plan_edits

DATA = Path(__file__).parent / "data" / "reliability"
UKR = "force_inventories/ukraine-2022-02.yaml"
RUS = "force_inventories/russia-2022-02.yaml"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("QDB_NO_CACHE", raising=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "d"
    shutil.copytree(DATA, d)
    return d


def _quantity(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.strip().startswith("quantity:"):
            return int(line.split(":")[1].split("#")[0])
    raise AssertionError("no quantity")


def _two_file_plan(data: Path) -> tuple[object, list[Path]]:
    res = load_dataset(data)
    m = res.dataset.matchup("ukraine", "russia")
    m2, changes = plan_edits(m, ["ukraine:t64bv.quantity+=1", "russia:t72b3.quantity+=1"])
    plan = plan_write(m, m2, changes, res.dataset.catalog_path)
    assert len(plan.files) == 2
    return plan, [f.path for f in plan.files]


def _leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.rglob("*") if p.name.endswith(".tmp"))


# --- 2: multi-file edits are all or nothing -------------------------------------------------


def test_2_fsync_failure_while_staging_changes_nothing(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, paths = _two_file_plan(data)
    before = [p.read_bytes() for p in paths]
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second staged file
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(FileWriteError, match="Input/output error; nothing written"):
        write_plan(plan, data)  # type: ignore[arg-type]
    assert [p.read_bytes() for p in paths] == before
    assert _leftovers(data) == []
    assert not (data / JOURNAL).exists()


def test_2_read_only_between_two_renames_is_completed_by_the_next_run(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second rename fails (a folder turned read-only; simulated: tests run as root);
    the journal lets the next run finish the commit, and nothing is applied twice."""
    plan, paths = _two_file_plan(data)
    q0 = [_quantity(p) for p in paths]
    real_replace = os.replace
    calls = {"n": 0}

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith(".yaml"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(errno.EROFS, "Read-only file system", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FileWriteError, match=r"next qdb command .* completes it"):
        write_plan(plan, data)  # type: ignore[arg-type]
    assert (data / JOURNAL).exists()
    assert [_quantity(p) for p in paths] == [q0[0] + 1, q0[1]]  # half done, journal says so
    monkeypatch.setattr(os, "replace", real_replace)
    assert recover(data) is True
    assert [_quantity(p) for p in paths] == [q0[0] + 1, q0[1] + 1]
    assert not (data / JOURNAL).exists() and _leftovers(data) == []
    assert recover(data) is False  # a second recovery applies nothing


def test_2_journal_failure_is_a_clean_refusal(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, paths = _two_file_plan(data)
    before = [p.read_bytes() for p in paths]
    real_stage = atomic._stage

    def stage(target: Path, payload: bytes) -> str:
        if target.name == JOURNAL:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_stage(target, payload)

    monkeypatch.setattr(atomic, "_stage", stage)
    with pytest.raises(FileWriteError, match="no data file changed"):
        write_plan(plan, data)  # type: ignore[arg-type]
    assert [p.read_bytes() for p in paths] == before and _leftovers(data) == []


def test_2_changed_since_read_is_refused(data: Path) -> None:
    plan, paths = _two_file_plan(data)
    paths[1].write_text(paths[1].read_text() + "\n")
    with pytest.raises(DataError, match="changed since qdb read it"):
        write_plan(plan, data)  # type: ignore[arg-type]


# --- 5: the cache key comes from the bytes that are parsed -------------------------------------


def test_5_snapshot_is_parsed_not_the_file_read_again(data: Path) -> None:
    from qdb.io.cache import dataset_key

    snap = read_folder(data)
    key = dataset_key(snap)
    f = data / UKR
    f.write_text(f.read_text().replace("quantity: 987", "quantity: 5"))
    res = load_dataset(data, snap)  # what the key describes, not the newer file
    assert res.dataset.matchup().blue.systems[0].quantity.value == 987
    assert dataset_key(read_folder(data)) != key


def test_5_cli_load_sees_a_saved_file(data: Path) -> None:
    from qdb.cli.common import load

    assert load(data).dataset.matchup().blue.systems[0].quantity.value == 987
    f = data / UKR
    f.write_text(f.read_text().replace("quantity: 987", "quantity: 988"))
    assert load(data).dataset.matchup().blue.systems[0].quantity.value == 988


# --- 6: integers are not dates ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1700000000", "2022.5"])
def test_6_number_as_of_is_refused(data: Path, value: str) -> None:
    f = data / UKR
    f.write_text(f.read_text().replace("as_of: 2022-02-24", f"as_of: {value}"))
    with pytest.raises(DataError, match=r"as_of: must be a date YYYY-MM-DD"):
        load_dataset(data)


# --- 7: edits are bounded before any arithmetic ---------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        "ukraine:t64bv.quantity=1e200",
        "ukraine:t64bv.quantity=1e308",
        "ukraine:t64bv.quantity*=1e300",
        "ukraine:t64bv.quantity+=99999999999999999999999999",
        "ukraine:t64bv.quantity={low: 1, estimate: 2, high: 1e300}",
        "ukraine:t64bv.quantity*=1000000000000",  # each factor in range, product is not
    ],
)
def test_7_huge_edits_are_refused(data: Path, edit: str) -> None:
    m = load_dataset(data).dataset.matchup()
    with pytest.raises(EditError, match=r"1e12"):
        plan_edits(m, [edit])


def test_7_json_guard_refuses_nan() -> None:
    from qdb.cli.common import dumps_json

    assert dumps_json({"a": [1.5]}) == '{\n  "a": [\n    1.5\n  ]\n}\n'
    with pytest.raises(QdbError, match=r"not a finite number \(at \.a\[1\]\)"):
        dumps_json({"a": [1.0, float("nan")]})


# --- 8: the cache is data, checked ------------------------------------------------------------


def test_8_cache_is_json_with_a_checked_hmac(data: Path, tmp_path: Path) -> None:
    from qdb.cli.common import load
    from qdb.io import cache

    assert "pickle" not in Path(cache.__file__).read_text()
    load(data)
    [entry] = list((tmp_path / "cache").glob("*.json"))
    head, _, content = entry.read_bytes().partition(b"\n")
    assert json.loads(head)["key"] == entry.stem
    # an edited entry (armour flipped by hand) fails its check: ignored, rewritten
    doctored = content.replace(b'"quantity":987', b'"quantity":98700')
    assert doctored != content
    entry.write_bytes(head + b"\n" + doctored)
    assert load(data).dataset.matchup().blue.systems[0].quantity.value == 987
    assert entry.read_bytes().partition(b"\n")[2] == content
    # a planted entry with a digest computed without the secret is ignored too
    import hashlib

    forged = json.dumps(
        {
            "engine": json.loads(head)["engine"],
            "key": entry.stem,
            "hmac": hashlib.sha256(doctored).hexdigest(),
        }
    ).encode()
    entry.write_bytes(forged + b"\n" + doctored)
    assert load(data).dataset.matchup().blue.systems[0].quantity.value == 987
    # a pickle of any kind is never read
    entry.write_bytes(b"\x80\x04\x95garbage")
    assert load(data).dataset.matchup().blue.systems[0].quantity.value == 987


def test_8_cache_round_trip_equals_a_fresh_load(data: Path) -> None:
    from qdb.cli.common import load

    first = load(data)  # miss: parsed and stored
    second = load(data)  # hit
    assert second.docs == {} and first.docs != {}
    assert second.dataset == first.dataset
    assert second.warnings == first.warnings


def test_12_no_home_disables_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from qdb.io import cache

    for var in ("QDB_CACHE_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache.cache_dir() is None
    assert cache.load_cached("0" * 64) is None


# --- 9: control characters and exports ---------------------------------------------------------


def test_9_escaped_control_characters_are_refused(data: Path) -> None:
    f = data / UKR
    f.write_text(
        f.read_text().replace("name: T-64BV/BM and T-72 (available)", 'name: "T \\e]52;c;aGk=\\a"')
    )
    with pytest.raises(
        DataError, match=r"systems\[0\]\.name: contains the control character U\+001B"
    ):
        load_dataset(data)


def test_9_newline_and_tab_are_allowed_in_text(data: Path) -> None:
    f = data / UKR
    f.write_text(f.read_text().replace('rationale: "Baseline."', 'rationale: "Base\\n\\tline."', 1))
    inv = load_dataset(data).dataset.matchup().blue
    assert inv.training["ground"].rationale == "Base\n\tline."


def test_9_terminal_escaping() -> None:
    from qdb.explain import escape_controls

    assert escape_controls("T \x1b]52;c;x\x07 ok\n\tend\u202e") == (
        "T \\x1b]52;c;x\\x07 ok\n\tend\\u202e"
    )


def test_9_graphml_parses_with_hostile_text() -> None:
    import networkx as nx

    from qdb.graph_export import to_graphml

    G = nx.MultiDiGraph()
    G.add_node("class:a\x01", kind="class", id="a\x1b]52;c;x\x07", note="\ud800 \ufffe")
    G.add_node("class:b", kind="class", id="b")
    G.add_edge("class:a\x01", "class:b", key="counters", weight=1.0)
    doc = xml.dom.minidom.parseString(to_graphml(G))
    assert doc.documentElement is not None and doc.documentElement.tagName == "graphml"


# --- 10: reads are capped before reading --------------------------------------------------------


def test_10_devices_fifos_and_huge_files_are_refused_unread(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a device"):
        read_capped("/dev/zero", "/dev/zero")
    fifo = tmp_path / "catalog.yaml"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO"):
        read_capped(fifo, "catalog.yaml")  # returns at once: no writer needed
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(atomic.MAX_BYTES + 1)
    with pytest.raises(DataError, match="the limit is 4 MiB"):
        read_capped(big, "big.yaml")
    with pytest.raises(DataError, match="over the limit"):
        read_capped("/dev/zero", "/dev/zero", cap=1000, allow_stream=True)


# --- 12: one-line errors, not tracebacks ------------------------------------------------------


def test_12_unlistable_inventory_folder(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.iterdir

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self.name == "force_inventories":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(DataError, match="force_inventories:1:1: cannot list: Permission denied"):
        load_dataset(data)


def test_12_symlink_loops(data: Path) -> None:
    loop = data / "force_inventories" / "loop.yaml"
    os.symlink(loop.name, loop)
    with pytest.raises(DataError, match=r"loop\.yaml:1:1: cannot read: Too many levels"):
        load_dataset(data)


@pytest.mark.parametrize("bad", ["", "."])
def test_4_empty_output_name(bad: str) -> None:
    with pytest.raises(FileWriteError, match="empty"):
        check_output_path(Path(bad))


def test_4_output_refusals(data: Path, tmp_path: Path) -> None:
    read_capped(data / "catalog.yaml", "catalog.yaml")  # now an input of this process
    for path, why in [
        (data / "catalog.yaml", "one of this command's input files"),
        (data, "is a folder"),
        (Path("/dev/null"), "is a device"),
        (tmp_path / "missing" / "x.json", "does not exist"),
    ]:
        with pytest.raises(FileWriteError, match=why):
            check_output_path(path)
    link = tmp_path / "link.yaml"
    link.symlink_to(data / "catalog.yaml")
    with pytest.raises(FileWriteError, match="input"):
        check_output_path(link)
    assert check_output_path(tmp_path / "new.json") == tmp_path / "new.json"


# --- 13: owner, mode and symlinks are kept --------------------------------------------------------


def test_13_owner_mode_and_symlink_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "store" / "real.yaml"
    real.parent.mkdir()
    real.write_text("a: 1\n")
    os.chmod(real, 0o640)
    if os.getuid() == 0:
        os.chown(real, 4321, 4321)
    link_dir = tmp_path / "data"
    link_dir.mkdir()
    link = link_dir / "inv.yaml"
    link.symlink_to(os.path.relpath(real, link_dir))
    monkeypatch.chdir(tmp_path / "store")  # the working folder must not matter
    atomic_write_bytes(link, b"a: 2\n")
    assert link.is_symlink() and real.read_text() == "a: 2\n"
    st = real.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.getuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4321)


def test_13_new_file_gets_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "n.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.json").stat().st_mode) == 0o644


def test_2_single_and_multi_commit_leave_no_temp_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("a: 1\n")
    b.write_text("b: 1\n")
    commit_files(tmp_path, [(a, b"a: 2\n"), (b, b"b: 2\n")])
    assert (a.read_text(), b.read_text()) == ("a: 2\n", "b: 2\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]


# --- 14: comments survive every edit shape ---------------------------------------------------


def test_14_block_range_to_point_keeps_comments() -> None:
    text = (
        "systems:\n"
        "  - id: t64  # tanks\n"
        "    quantity:   # from IISS\n"
        "      low: 90    # low end\n"
        "      estimate: 120  # central\n"
        "      high: 160  # top\n"
        "    name: x\n"
    )
    ch = SetValue(parse_target("ukraine:t64.quantity"), None, Estimate.point(100), "e")
    out = edit_text(text, [ch])
    assert out == (
        "systems:\n"
        "  - id: t64  # tanks\n"
        "    # from IISS\n"
        "    # low end\n"
        "    # central\n"
        "    quantity: 100  # top\n"
        "    name: x\n"
    )
    assert parse_yaml(out, "f").data["systems"][0]["quantity"] == 100


def test_14_flow_range_over_lines_to_point_keeps_comments() -> None:
    text = "systems:\n  - id: t64\n    quantity: {low: 90,  # lo\n      estimate: 120, high: 160}  # top\n"
    ch = SetValue(parse_target("ukraine:t64.quantity"), None, Estimate.point(100), "e")
    assert edit_text(text, [ch]) == "systems:\n  - id: t64\n    # lo\n    quantity: 100  # top\n"


# --- 15: dot labels break lines ------------------------------------------------------------------


def test_15_dot_label_has_a_dot_line_break_not_a_literal_backslash() -> None:
    from qdb.graph_export import _q

    assert _q("T-64\n×987") == '"T-64\\n×987"'  # DOT's \n escape: one backslash
    assert _q("a\\nb") == '"a\\\\nb"'  # a real backslash in a name stays a backslash


# --- 16: valid YAML 1.2 is accepted ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, data",
    [
        ("a: 1\t\nb: 2\n", {"a": 1, "b": 2}),
        ("a: 1\t# note\nb:\t2\n", {"a": 1, "b": 2}),
        ("a: 1  # x\u2028y\nb: 2\n", {"a": 1, "b": 2}),
        ("# x\u2029y\u0085z\na: 1\n", {"a": 1}),
        ('a: "x\u2028y"\n', {"a": "x\u2028y"}),
    ],
)
def test_16_yaml_12_accepted(text: str, data: dict[str, object]) -> None:
    assert parse_yaml(text, "f").data == data


def test_16_tab_indentation_still_refused() -> None:
    with pytest.raises(DataError, match="indent with spaces"):
        parse_yaml("a:\n\t- 1\n", "f")


def test_16_write_edits_a_file_with_a_tab_after_a_value(data: Path) -> None:
    f = data / UKR
    f.write_text(f.read_text().replace("quantity: 987  #", "quantity: 987\t#"))
    m = load_dataset(data).dataset.matchup()
    m2, changes = plan_edits(m, ["ukraine:t64bv.quantity+=1"])
    write_plan(plan_write(m, m2, changes), data)
    assert "quantity: 988\t#" in f.read_text()


# --- 17: .YAML files, one-line edit errors -------------------------------------------------------


def test_17_upper_case_suffix_is_a_data_file(data: Path) -> None:
    f = data / UKR
    f.rename(f.with_name("ukraine-2022-02.YAML"))
    res = load_dataset(data)
    assert any(p.endswith(".YAML") for p in res.dataset.inventory_paths)


def test_17_edit_with_a_newline_is_one_line() -> None:
    with pytest.raises(EditError) as exc:
        parse_edit("ukraine:t64bv.quantity=1\n2")
    assert "\n" not in str(exc.value) and "line break" in str(exc.value)


def test_17_obligations_year_out_of_range() -> None:
    from qdb.obligations import obligations

    with pytest.raises(QdbError, match="1990 to 2100"):
        obligations([], None, -1)  # type: ignore[arg-type]


def test_2_recovery_removes_only_old_staged_files(data: Path) -> None:
    inv = data / "force_inventories"
    old = inv / ".ukraine-2022-02.yaml.abc123.tmp"
    new = inv / ".russia-2022-02.yaml.def456.tmp"
    other = inv / ".notes.txt.tmp"
    for p in (old, new, other):
        p.write_text("x: 1\n")
    os.utime(old, (0, 0))
    os.utime(other, (0, 0))
    assert recover(data) is False
    assert not old.exists() and new.exists() and other.exists()


def test_2_readers_wait_for_a_commit(data: Path) -> None:
    """A reader's shared lock waits while a writer holds the folder."""
    import subprocess
    import sys
    import time

    from qdb.io.atomic import folder_lock

    (data / atomic.LOCK_FILE).touch()
    marker = data / "writer-done"
    reader = (
        "import sys, pathlib\n"
        "from qdb.io.atomic import folder_lock\n"
        "print('ready', flush=True)\n"
        "with folder_lock(sys.argv[1], shared=True):\n"
        "    print(pathlib.Path(sys.argv[2]).exists(), flush=True)\n"
    )
    with folder_lock(data):
        p = subprocess.Popen(
            [sys.executable, "-c", reader, str(data), str(marker)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
        time.sleep(0.3)  # the reader is now blocked on the lock (no timing is asserted)
        marker.touch()  # written while the lock is still held
    saw = p.stdout.readline().strip()
    p.wait(30)
    assert saw == "True"  # the reader got the lock only after the writer let go


def test_bundled_data_is_a_cache_hit_the_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache must actually serve the bundled folder (commitments with year keys included):
    a second load parses no YAML and gives an equal dataset."""
    from qdb.cli.common import load
    from qdb.io import load as load_mod

    monkeypatch.delenv("QDB_NO_CACHE", raising=False)
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    first = load(None)
    calls = []
    real = load_mod.parse_yaml
    monkeypatch.setattr(load_mod, "parse_yaml", lambda *a, **k: calls.append(1) or real(*a, **k))
    second = load(None)
    assert calls == []
    assert second.dataset == first.dataset
    assert second.warnings == first.warnings
