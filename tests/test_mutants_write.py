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
