"""``--write``: byte-for-byte preservation, golden files, inverse edits, atomicity.

Golden files live in tests/golden/whatif/; regenerate them with
``QDB_UPDATE_GOLDEN=1 pytest tests/test_write.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qdb.cli import app
from qdb.errors import DataError, EditError
from qdb.io.load import load_dataset
from qdb.io.write import FileChange, WritePlan, edit_text, format_like, plan_write, write_plan
from qdb.models import Matchup
from qdb.whatif import plan_edits

DATA = Path(__file__).parent / "data" / "whatif"


@pytest.fixture(autouse=True)
def _cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command cache of validated folders stays inside pytest's temporary folder."""
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qdb-cache"))


GOLDEN = Path(__file__).parent / "golden" / "whatif"
UPDATE = os.environ.get("QDB_UPDATE_GOLDEN") == "1"

EDITS = [
    "ukraine:t64bv.quantity+=4",  # int with a trailing comment
    "ukraine:t64bv.stock=100",  # absent key in a block mapping
    "ukraine:stugna.readiness=0.5",  # absent key in a flow mapping
    "ukraine:stugna.quality*=1.2",  # float in a flow mapping
    "ukraine:f16.quantity*=2",  # flow range scales as a whole
    "ukraine:patriot.stock+=-50",  # block range shifts as a whole
    "ukraine:patriot.per_day=3",  # absent key after a literal block scalar
    "ukraine:training.air+=0.1",  # padded float "0.80" with a comment
    "ukraine:training.air_defence=1.1",  # absent training branch
    "ukraine:enablers.ew*=1.25",  # absent enabler starts from 1.0
    "russia:kh101.per_day={low: 10, estimate: 12, high: 20}",  # point -> range
    "russia:t72b3.quantity=850",
    "ukraine:munitions.shell.stock+=1000",  # int with a comment in a munitions block
    "russia:munitions.shell.per_day*=1.5",  # int in a flow mapping under munitions
    "russia:raids.salvo.kh101=45",  # raid size in a flow mapping inside a list item
    "catalog:classes.lr_sam.engages.cruise_missile.pk=0.9",  # padded "0.80" in a flow item
    "catalog:classes.lr_sam.coverage=0.6",
    "catalog:classes.howitzer.fires.rate+=5",  # nested flow mapping
    "catalog:classes.mbt.unit_cost_musd*=2",
    "catalog:contests.armour.counters.atgm_team=0.5",
    "catalog:contests.missile_defence.acceptable_leakage=0.25",
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A fresh, writable copy of tests/data/whatif."""
    d = tmp_path / "d"
    shutil.copytree(DATA, d)
    return d


def _matchup(folder: Path) -> tuple[Matchup, str]:
    res = load_dataset(folder)
    return res.dataset.matchup(), res.dataset.catalog_path


def _check_golden(name: str, got: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
    assert path.exists(), f"missing golden {path}; run with QDB_UPDATE_GOLDEN=1"
    assert got == path.read_bytes(), f"{name} differs from its golden file"


FILES = ("catalog.yaml", "force_inventories/ukraine.yaml", "force_inventories/russia.yaml")


def _unchanged_lines(before: bytes, after: bytes) -> None:
    """Every line --write did not edit is kept byte for byte (checked via difflib)."""
    import difflib

    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    kept = sum(size for _, _, size in sm.get_matching_blocks())
    assert kept >= len(a) - 12


def test_write_golden(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data)
    before = {f: Path(f).read_bytes() for f in FILES}
    res = CliRunner().invoke(app, ["whatif", *EDITS, "--data", ".", "--dry-run"])
    assert res.exit_code == 0, res.output
    _check_golden("edits.diff", res.stdout.encode())
    assert {f: Path(f).read_bytes() for f in FILES} == before  # dry run writes nothing
    res = CliRunner().invoke(app, ["whatif", *EDITS, "--data", ".", "--write"])
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [
        "wrote force_inventories/ukraine.yaml",
        "wrote force_inventories/russia.yaml",
        "wrote catalog.yaml",
    ]
    for f in FILES:
        after = Path(f).read_bytes()
        _check_golden("edits/" + f.replace("/", "__"), after)
        _unchanged_lines(before[f], after)
    # the written files hold exactly the edited model
    m_written, _ = _matchup(Path("."))
    m_before, _ = _matchup(DATA)
    m_edited, _ = plan_edits(m_before, EDITS)
    assert m_written.blue == m_edited.blue
    assert m_written.red == m_edited.red
    assert m_written.catalog == m_edited.catalog


SCENARIO = """\
name: Four more IRIS-T batteries
sources:
  bmvg: {title: Military support for Ukraine, publisher: BMVg, date: 2024-06-11, url: "https://www.bmvg.de/"}
remove: [ukraine:stugna, russia:su35]
add:
  - side: ukraine
    id: iris_t
    name: IRIS-T SLM
    class: lr_sam
    quantity: 4
    stock: {low: 100, estimate: 150, high: 200}
    source: bmvg
    notes: "Ramstein: four batteries"
edits:
  - ukraine:iris_t.quantity+=1
"""


def test_write_scenario_golden(data: Path, tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    res = CliRunner().invoke(app, ["whatif", "--scenario", str(sc), "--data", str(data), "--write"])
    assert res.exit_code == 0, res.output
    for f in FILES[1:]:
        _check_golden("scenario/" + f.replace("/", "__"), (data / f).read_bytes())
    m, _ = _matchup(data)
    assert m.blue.system("iris_t") is not None and m.blue.system("stugna") is None
    assert m.red.system("su35") is None


def test_inverse_edits_restore_the_files(data: Path) -> None:
    originals = {f: (data / f).read_bytes() for f in FILES}
    forward = [
        "ukraine:t64bv.quantity+=4",
        "ukraine:f16.quantity*=2",
        "ukraine:training.air+=0.1",
        "ukraine:patriot.stock*=0.5",
        "russia:kh101.per_day+=3",
        "catalog:classes.lr_sam.engages.cruise_missile.pk+=-0.05",
        "ukraine:munitions.shell.per_day*=4",
        "russia:raids.salvo.kh101+=12",
        "catalog:classes.howitzer.fires.rate*=1.5",
    ]
    inverse = [
        "ukraine:t64bv.quantity+=-4",
        "ukraine:f16.quantity*=0.5",
        "ukraine:training.air+=-0.1",
        "ukraine:patriot.stock*=2",
        "russia:kh101.per_day+=-3",
        "catalog:classes.lr_sam.engages.cruise_missile.pk+=0.05",
        "ukraine:munitions.shell.per_day*=0.25",
        "russia:raids.salvo.kh101+=-12",
        "catalog:classes.howitzer.fires.rate*=0.6666666666666666",
    ]
    for edits in (forward, inverse):
        res = CliRunner().invoke(app, ["whatif", *edits, "--data", str(data), "--write"])
        assert res.exit_code == 0, res.output
    assert {f: (data / f).read_bytes() for f in FILES} == originals


# --- property: edit then inverse is the identity -------------------------------------------

UKRAINE = (DATA / "force_inventories" / "ukraine.yaml").read_text()
# target, is the number written as an integer, decimals of the written float style
TARGETS = [
    ("ukraine:t64bv.quantity", 0),
    ("ukraine:t64bv.readiness", 1),
    ("ukraine:stugna.quantity", 0),
    ("ukraine:stugna.quality", 2),
    ("ukraine:f16.quantity", 0),
    ("ukraine:f16.readiness", 2),
    ("ukraine:patriot.stock", 0),
    ("ukraine:training.air", 2),
    ("ukraine:training.ground", 1),
    ("ukraine:enablers.isr", 1),
    ("ukraine:m777.quality", 1),
    ("ukraine:munitions.shell.stock", 0),
    ("ukraine:munitions.shell.per_day", 0),
]


@pytest.fixture(scope="module")
def base() -> Matchup:
    return load_dataset(DATA).dataset.matchup()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(TARGETS),
    shift=st.integers(-2000, 2000),
    factor=st.sampled_from([2, 4, 0.5, 0.25]),
    scale=st.booleans(),
)
def test_edit_then_inverse_is_identity(
    base: Matchup, target: tuple[str, int], shift: int, factor: float, scale: bool
) -> None:
    name, decimals = target
    if scale:
        forward, back = f"{name}*={factor}", f"{name}*={1 / factor}"
    else:
        delta = f"{shift / 10**decimals:.{decimals}f}" if decimals else str(shift)
        neg = delta[1:] if delta.startswith("-") else "-" + delta
        forward, back = f"{name}+={delta}", f"{name}+={neg}"
    try:
        m1, ch1 = plan_edits(base, [forward])
    except EditError:
        assume(False)
        return
    v = ch1[0].new  # type: ignore[union-attr]
    # within the file's precision: the written number needs no more decimals than it had
    assume(all(round(x, decimals) == x for x in (v.low, v.estimate, v.high)))
    text1 = edit_text(UKRAINE, ch1)
    m2, ch2 = plan_edits(m1, [back])
    text2 = edit_text(text1, ch2)
    assert text2 == UKRAINE, (forward, back)


@pytest.mark.parametrize(
    ("x", "token", "want"),
    [
        (6, "4", "6"),
        (2, "1.0", "2.0"),
        (0.9, "0.80", "0.90"),
        (2.5, "2", "2.5"),
        (0.75, "0.375", "0.750"),
        (1e-7, "0.5", "0.0000001"),
        (1234567.5, "1.5", "1234567.5"),
        (3, None, "3"),
    ],
)
def test_format_like(x: float, token: str | None, want: str) -> None:
    assert format_like(x, token) == want


def test_crlf_and_bom_are_kept(data: Path) -> None:
    inv = data / "force_inventories" / "ukraine.yaml"
    raw = b"\xef\xbb\xbf" + inv.read_bytes().replace(b"\n", b"\r\n")
    inv.write_bytes(raw)
    res = CliRunner().invoke(
        app,
        [
            "whatif",
            "ukraine:patriot.per_day=2",
            "ukraine:t64bv.quantity+=1",
            "--data",
            str(data),
            "--write",
        ],
    )
    assert res.exit_code == 0, res.output
    new = inv.read_bytes()
    assert new.startswith(b"\xef\xbb\xbf")
    assert new.count(b"\n") == new.count(b"\r\n") == raw.count(b"\n") + 1
    assert b"quantity: 801  # IISS tanks available\r\n" in new
    # the new key goes at the end of patriot's block, after its literal notes
    assert b"      and the Netherlands.\r\n    per_day: 2\r\n  - {id: m777" in new
    assert new.endswith(b"    source: iiss\r\n")


def test_training_block_is_created_when_absent(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        side: ukraine
        name: U
        as_of: 2024-01-01
        sources:
            s: {title: t, publisher: p, date: 2024-01-01, url: "https://e.org"}
        systems:
            - id: t64
              name: T-64
              class: mbt
              quantity: 10
              source: s
        """
    )
    d = tmp_path / "d"
    shutil.copytree(DATA, d)
    (d / "force_inventories" / "ukraine.yaml").write_text(text)
    res = CliRunner().invoke(
        app, ["whatif", "ukraine:training.ground=1.2", "--data", str(d), "--write"]
    )
    assert res.exit_code == 0, res.output
    assert (d / "force_inventories" / "ukraine.yaml").read_text() == text.replace(
        "systems:\n",
        "training:\n    ground: {value: 1.2, rationale: set by a what-if edit}\nsystems:\n",
    )


def test_flow_style_systems_and_removing_the_last_one(tmp_path: Path) -> None:
    text = (
        "side: ukraine\nname: U\nas_of: 2024-01-01\n"
        'sources: {s: {title: t, publisher: p, date: 2024-01-01, url: "https://e.org"}}\n'
        "systems: [{id: a, name: A, class: mbt, quantity: 1, source: s},"
        " {id: b, name: B, class: mbt, quantity: 2, source: s}]  # two\n"
    )
    from qdb.io.scenario import parse_scenario
    from qdb.whatif import plan_scenario

    d = tmp_path / "d"
    shutil.copytree(DATA, d)
    inv = d / "force_inventories" / "ukraine.yaml"
    inv.write_text(text)
    m, _ = _matchup(d)
    sc = parse_scenario(
        "name: x\nremove: [ukraine:a]\nadd: [{side: ukraine, id: c, name: C, class: mbt, quantity: 3, source: s}]\n"
        "edits: ['ukraine:b.quantity+=1']\n",
        "s.yaml",
    )
    m2, changes = plan_scenario(m, sc)
    plan = plan_write(m, m2, changes)
    assert plan.files[0].after.decode() == text.replace(
        "[{id: a, name: A, class: mbt, quantity: 1, source: s}, {id: b, name: B, class: mbt, quantity: 2, source: s}]",
        "[{id: b, name: B, class: mbt, quantity: 3, source: s}, {id: c, name: C, class: mbt, quantity: 3, source: s}]",
    )
    sc2 = parse_scenario("name: x\nremove: [ukraine:a, ukraine:b]\n", "s.yaml")
    m3, ch3 = plan_scenario(m, sc2)
    assert plan_write(m, m3, ch3).files[0].after.decode().endswith("systems: []  # two\n")


# --- refusals ------------------------------------------------------------------------------


def test_refuses_a_file_changed_since_it_was_read(data: Path) -> None:
    m, cat = _matchup(data)
    m2, changes = plan_edits(m, ["ukraine:t64bv.quantity+=4"])
    plan = plan_write(m, m2, changes, cat)
    inv = data / "force_inventories" / "ukraine.yaml"
    inv.write_bytes(inv.read_bytes() + b"# someone else's edit\n")
    with pytest.raises(DataError, match="changed since qdb read it; nothing written"):
        write_plan(plan)
    assert inv.read_bytes().endswith(b"# someone else's edit\n")
    # and a file whose content differs from what was loaded is refused when planning
    inv.write_bytes(inv.read_bytes().replace(b"quantity: 800", b"quantity: 801"))
    with pytest.raises(DataError, match="changed since qdb read it"):
        plan_write(m, m2, changes, cat)


def test_nothing_is_written_when_one_file_changed(data: Path) -> None:
    m, cat = _matchup(data)
    m2, changes = plan_edits(m, ["ukraine:t64bv.quantity+=4", "russia:t72b3.quantity+=4"])
    plan = plan_write(m, m2, changes, cat)
    assert len(plan.files) == 2
    rus = data / "force_inventories" / "russia.yaml"
    ukr = data / "force_inventories" / "ukraine.yaml"
    before_ukr = ukr.read_bytes()
    rus.write_bytes(rus.read_bytes() + b"\n")
    with pytest.raises(DataError):
        write_plan(plan)
    assert ukr.read_bytes() == before_ukr


# --- a crash mid-write leaves the old or the new file ------------------------------------------

CHILD = """
import sys
from pathlib import Path
from qdb.io.write import FileChange, WritePlan, write_plan
p = Path(sys.argv[1])
a, b = Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
print("ready", flush=True)
while True:
    now = p.read_bytes()
    write_plan(WritePlan((FileChange(p, p.name, now, b if now == a else a),)))
"""


def test_sigkill_during_writes_leaves_old_or_new(tmp_path: Path) -> None:
    a = b"".join(b"# line %d: old old old old old old old old old old\n" % i for i in range(60_000))
    b = b"".join(
        b"# line %d: NEW NEW NEW NEW NEW NEW NEW NEW NEW NEW NEW\n" % i for i in range(60_000)
    )
    (tmp_path / "a").write_bytes(a)
    (tmp_path / "b").write_bytes(b)
    target = tmp_path / "target.yaml"
    seen = set()
    for i in range(6):
        target.write_bytes(a)
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(target), str(tmp_path / "a"), str(tmp_path / "b")],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.05 + 0.037 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = target.read_bytes()
        assert got in (a, b), f"half-written file after SIGKILL (len {len(got)})"
        seen.add(got == b)
    # leftover temporary files never look like data files
    assert all(p.suffix == ".tmp" for p in tmp_path.iterdir() if p.name.startswith(".target.yaml."))


def test_leftover_temporary_file_does_not_break_loading(data: Path) -> None:
    (data / "force_inventories" / ".ukraine.yaml.abc123.tmp").write_bytes(b"half a fi")
    m, _ = _matchup(data)
    assert m.blue.side == "ukraine"


def test_write_plan_diff_and_empty_plan(data: Path) -> None:
    m, cat = _matchup(data)
    m2, changes = plan_edits(m, ["ukraine:t64bv.quantity+=0"])
    assert plan_write(m, m2, changes, cat).files == ()
    assert WritePlan(()).diff() == ""
    fc = FileChange(Path("x"), "x.yaml", b"a: 1\n", b"a: 2")
    assert fc.diff().endswith("+a: 2\n\\ No newline at end of file\n")


def test_write_goes_to_the_named_folder_not_an_identical_copy(tmp_path: Path) -> None:
    """Regression: a cached load of an identical folder must not redirect --write."""
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(DATA, one)
    shutil.copytree(DATA, two)
    runner = CliRunner()
    assert (
        runner.invoke(app, ["whatif", "ukraine:t64bv.quantity+=1", "--data", str(one)]).exit_code
        == 0
    )
    res = runner.invoke(app, ["whatif", "ukraine:t64bv.quantity+=1", "--data", str(two), "--write"])
    assert res.exit_code == 0, res.output
    assert b"quantity: 801" in (two / "force_inventories" / "ukraine.yaml").read_bytes()
    assert (one / "force_inventories" / "ukraine.yaml").read_bytes() == (
        DATA / "force_inventories" / "ukraine.yaml"
    ).read_bytes()
