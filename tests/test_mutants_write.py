"""Known answers for qdb/io/write.py's text edits (issue #17, tools/mutation.py).

Adding and removing systems in every layout a data file may use (no ``systems``
key, empty or non-empty flow list, block list at column 0 or indented, last item
without a final newline, CRLF), with the indentation taken from the file.
Each expected text is written out by hand from the rules in write.py.
"""

from __future__ import annotations

import pytest

from qdb.errors import EditError
from qdb.io.write import edit_text
from qdb.whatif import AddSystem, RemoveSystem
from tests.engine_fixtures import inventory

NEW = {"id": "new", "class": "tank", "quantity": 5}
SOURCE_N = 'n: {title: t, publisher: p, date: 2024-01-01, url: "https://example.org"}'


def _add(with_source: bool = False) -> list[AddSystem]:
    inv = inventory("ukraine", [dict(NEW)])
    src = next(iter(inv.sources.values()))
    return [AddSystem("ukraine", inv.systems[0], dict(NEW), (("n", src),) if with_source else ())]


def _remove(sid: str) -> list[RemoveSystem]:
    return [RemoveSystem("ukraine", sid)]


BLOCK2 = "  - id: new\n    class: tank\n    quantity: 5\n"
BLOCK4 = "    - id: new\n      class: tank\n      quantity: 5\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # no systems key: appended, indented like the file's first block mapping
        ("side: ukraine\n", "side: ukraine\nsystems:\n" + BLOCK2),
        ("side: ukraine", "side: ukraine\nsystems:\n" + BLOCK2),  # no final newline
        ("side: ukraine\r\n", "side: ukraine\r\nsystems:\r\n" + BLOCK2.replace("\n", "\r\n")),
        # an empty flow list becomes a block list
        ("systems: []\n", "systems:\n" + BLOCK2),
        # a flow list grows in flow style
        (
            "systems: [{id: a, class: tank, quantity: 1}]\n",
            "systems: [{id: a, class: tank, quantity: 1}, {id: new, class: tank, quantity: 5}]\n",
        ),
        # a block list at column 0 keeps its columns
        (
            "systems:\n- id: a\n  class: tank\n  quantity: 1\n",
            "systems:\n- id: a\n  class: tank\n  quantity: 1\n- id: new\n  class: tank\n  quantity: 5\n",
        ),
    ],
)
def test_add_system_layouts(before: str, after: str) -> None:
    assert edit_text(before, _add()) == after


@pytest.mark.parametrize("name", ["sources", "training", "enablers", "classes"])
def test_add_system_takes_the_indent_of_a_block_mapping(name: str) -> None:
    before = f"{name}:\n    x: 1\n"
    assert edit_text(before, _add()) == before + "systems:\n" + BLOCK4
    # a flow or empty mapping says nothing about indentation: two spaces
    for other in (f"{name}: {{x: 1}}\n", f"{name}:\n"):
        assert edit_text(other, _add()) == other + "systems:\n" + BLOCK2


def test_add_system_brings_its_new_source() -> None:
    before = "sources:\n    s: {title: t}\n"
    want = f"sources:\n    s: {{title: t}}\n    {SOURCE_N}\nsystems:\n" + BLOCK4
    assert edit_text(before, _add(with_source=True)) == want
    flow = "sources: {}\nsystems: []\n"
    assert (
        edit_text(flow, _add(with_source=True)) == f"sources: {{{SOURCE_N}}}\nsystems:\n" + BLOCK2
    )
    # a source the file already has is not added twice
    have = "sources:\n  n: {title: t}\nsystems: []\n"
    assert (
        edit_text(have, _add(with_source=True)) == "sources:\n  n: {title: t}\nsystems:\n" + BLOCK2
    )


@pytest.mark.parametrize(
    ("before", "sid", "after"),
    [
        ("systems:\n  - id: a\n    quantity: 1\nsources: {}\n", "a", "systems: []\nsources: {}\n"),
        ("systems: [{id: a}]\n", "a", "systems: []\n"),
        ("systems: [{id: a}, {id: b}]\n", "a", "systems: [{id: b}]\n"),
        ("systems: [{id: a}, {id: b}]\n", "b", "systems: [{id: a}]\n"),
        ("systems: [{id: a}, {id: b}, {id: c}]\n", "b", "systems: [{id: a}, {id: c}]\n"),
        ("systems:\n  - id: a\n  - id: b", "b", "systems:\n  - id: a\n"),
        ("systems:\n  - id: a\n  - id: b", "a", "systems:\n  - id: b"),
        ("systems:\n  - id: a\n  - id: b\n  - id: c\n", "b", "systems:\n  - id: a\n  - id: c\n"),
    ],
)
def test_remove_system_layouts(before: str, sid: str, after: str) -> None:
    assert edit_text(before, _remove(sid)) == after


@pytest.mark.parametrize("text", ["side: ukraine\n", "systems: [{id: a}]\n", "systems: []\n"])
def test_remove_a_system_the_file_lacks(text: str) -> None:
    with pytest.raises(EditError) as e:
        edit_text(text, _remove("zz"), label="ukraine.yaml")
    assert str(e.value) == "remove ukraine:zz: --write cannot find the system in ukraine.yaml"


# ---------------------------------------------------------------------------
# Scalars as written, line ends, and the changed-since-read refusal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        ([1, "a", True], "[1, a, true]"),
        (("x",), "[x]"),
        ("a b", "a b"),  # plain
        ("a: b", '"a: b"'),  # would be a mapping: quoted
        ("yes", '"yes"'),  # YAML 1.1 booleans and null are quoted, any case
        ("Yes", '"Yes"'),
        ("NULL", '"NULL"'),
        ("Київ", '"Київ"'),  # non-ASCII kept as is, not \\u-escaped
        (2.5, "2.5"),
    ],
)
def test_scalar_text_known_answers(value: object, text: str) -> None:
    from qdb.io.write import _scalar_text

    assert _scalar_text(value) == text


@pytest.mark.parametrize(
    ("text", "pos", "end"),
    [
        ("ab\r\ncd", 1, 2),  # the line's CR LF starts at 2
        ("ab\r\ncd", 4, 2),  # just past a newline: the line that newline ends
        ("ab\ncd\n", 6, 5),
        ("\r\nx", 0, 0),
        ("ab", 0, 2),  # no newline: the end of the text
        ("ab\n", 0, 2),
        ("\nab", 1, 0),
        ("\nab", 0, 0),
        ("\r\nab", 2, 0),
        ("\nab\r", 1, 0),
        ("\nab\r", 0, 0),
        ("x\r\ny\r\n", 5, 4),
    ],
)
def test_line_end_known_answers(text: str, pos: int, end: int) -> None:
    from qdb.io.write import _line_end

    assert _line_end(text, pos) == end


def test_a_file_changed_since_it_was_read_is_refused_untouched(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qdb.errors import DataError
    from qdb.io.write import FileChange, WritePlan, write_plan

    p = tmp_path / "x.yaml"
    p.write_bytes(b"a: 1\n")
    change = FileChange(p, "x.yaml", b"a: 0\n", b"a: 2\n")  # read when it said 0
    with pytest.raises(DataError) as e:
        write_plan(WritePlan((change,)), tmp_path)
    assert str(e.value) == "x.yaml:1:1: changed since qdb read it; nothing written, run again"
    assert p.read_bytes() == b"a: 1\n"
    ok = FileChange(p, "x.yaml", b"a: 1\n", b"a: 2\n")
    assert write_plan(WritePlan((ok,)), tmp_path) == ["x.yaml"]
    assert p.read_bytes() == b"a: 2\n"
