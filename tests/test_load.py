"""Loading: safe YAML with positions, pydantic errors as located sentences, folders.

The exact messages of whole files are in ``test_bad_input.py``; here each loader
rule and each bug fixed in it has its own small test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qdb.errors import DataError, Problem
from qdb.io.load import (
    bundled_data_dir,
    detect_kind,
    load_catalog,
    load_dataset,
    load_inventory,
    parse_catalog,
    parse_commitment,
    parse_inventory,
    raw_catalog_refs,
    validate_paths,
)
from qdb.io.yamlread import MAX_DEPTH, field_path, locate, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "bad_input" / "_valid"
INVENTORY = (VALID / "force_inventories" / "ukraine-2024.yaml").read_text()
CATALOG_TEXT = (VALID / "catalog.yaml").read_text()
COMMITMENT = (VALID / "commitments" / "us.yaml").read_text()


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    """The small valid catalog (read-only: models are frozen)."""
    return parse_catalog(CATALOG_TEXT, "catalog.yaml")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, writable copy of the valid data folder."""
    dst = tmp_path / "data"
    shutil.copytree(VALID, dst)
    return dst


def messages(exc: pytest.ExceptionInfo[DataError]) -> list[str]:
    return str(exc.value).splitlines()


# --- parse_yaml ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!str 5\n", "x.yaml:1:4: tags (!!str) are not allowed; write a plain value"),
        ("a: !local 5\n", "x.yaml:1:4: tags (!local) are not allowed; write a plain value"),
        ("a: &x 1\nb: 2\n", "x.yaml:1:4: anchors (&name) are not allowed; write each value out"),
        ("a: *x\n", "x.yaml:1:4: aliases (*name) are not allowed; write the value out"),
        ("<<: {a: 1}\nb: 2\n", "x.yaml:1:1: merge keys (<<) are not allowed; write the keys out"),
        ("a: 1\n? [b, c]\n: 2\n", "x.yaml:2:3: a key must be plain text or a number, not a list"),
        (
            "a: 1\nb: x\x07y\n",
            "x.yaml:2:5: control character U+0007 is not allowed in YAML; delete it",
        ),
        (
            "a: \ud800\n",
            "x.yaml:1:4: not valid Unicode text (a lone surrogate); save the file as UTF-8",
        ),
        ("a:\n\tb: 1\n", "x.yaml:2:1: YAML syntax: tab character; indent with spaces, never tabs"),
        ("a: 1\na: 2\n", 'x.yaml:2:1: YAML syntax: duplicate key "a"; each key may appear once'),
        (
            "a: [1, 2\nb: 3\n",
            "x.yaml:2:2: YAML syntax: the [ at line 1, column 4 is not closed: "
            "expected ',' or ']', but got ':'",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "x.yaml:2:1: YAML syntax: more than one document (---); a qdb file holds one mapping",
        ),
        ("", "x.yaml:1:1: file is empty; expected a YAML mapping"),
        ("# nothing\n\n   # here\n", "x.yaml:1:1: file is empty; expected a YAML mapping"),
        ("- a\n", "x.yaml:1:1: top level is a list; expected a mapping of keys (key: value lines)"),
        (
            "42\n",
            "x.yaml:1:1: top level is a number; expected a mapping of keys (key: value lines)",
        ),
        (
            "---\n",
            "x.yaml:1:1: top level is empty (null); expected a mapping of keys (key: value lines)",
        ),
    ],
)
def test_parse_yaml_refuses(text: str, expected: str) -> None:
    with pytest.raises(DataError) as exc:
        parse_yaml(text, "x.yaml")
    assert messages(exc) == [expected]


def test_parse_yaml_bytes() -> None:
    assert parse_yaml(b"\xef\xbb\xbfa: 1\n", "x.yaml").data == {"a": 1}  # BOM is fine
    with pytest.raises(DataError) as exc:
        parse_yaml(b"a: 1\nb: caf\xe9\n", "x.yaml")
    assert messages(exc) == ["x.yaml:2:7: not UTF-8 text (byte 0xe9); save the file as UTF-8"]
    with pytest.raises(DataError) as exc:
        parse_yaml(b"a: 1\x00\n", "x.yaml")
    assert messages(exc) == ["x.yaml:1:1: binary file (NUL bytes); expected UTF-8 YAML text"]


def test_depth_limit_is_exact() -> None:
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    parse_yaml(ok, "x.yaml")
    with pytest.raises(DataError, match="nested deeper than 32 levels"):
        parse_yaml("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", "x.yaml")


def test_yaml_12_scalars_and_dates_stay_text() -> None:
    data = parse_yaml("a: yes\nb: 2024-01-01\nc: 1_000\nd: 0o17\ne: .inf\n", "x.yaml").data
    assert data == {"a": "yes", "b": "2024-01-01", "c": 1000, "d": 15, "e": float("inf")}
    assert all(type(v) in (str, int, float) for v in data.values())  # builtins, not ruamel types


def test_comments_do_not_shift_positions() -> None:
    """Comments are skipped by the scanner (linear time); positions stay exact."""
    text = "# head\n" + "# filler line\n" * 5000 + "a:\n  b: 1   # trailing\n  c: [1, 2]\n"
    doc = parse_yaml(text, "x.yaml")
    assert locate(doc.tree, ("a", "b")) == (5003, 6)
    assert locate(doc.tree, ("a", "c", 1)) == (5004, 10)


# --- locate / field_path ---------------------------------------------------------------


def test_locate_and_field_path() -> None:
    doc = parse_yaml("systems:\n  - id: a\n    quantity:\n  - id: b\n    q: {low: 1}\n", "x")
    assert locate(doc.tree, ("systems", 1, "q")) == (5, 5)  # a mapping value: its key
    assert locate(doc.tree, ("systems", 1, "id")) == (4, 9)  # a scalar: the value
    assert locate(doc.tree, ("systems", 0, "quantity")) == (3, 5)  # empty value: the key
    assert locate(doc.tree, ("systems", 0, "id"), key=True) == (2, 5)
    assert locate(doc.tree, ("systems", 7, "id")) == (1, 1)  # beyond the list: deepest found
    assert field_path(doc.tree, ("systems", 1, "q", "low")) == "systems[1].q.low"
    doc = parse_yaml("funding_musd:\n  2025: 1\n", "x")
    assert field_path(doc.tree, ("funding_musd", 2025)) == "funding_musd.2025"
    assert locate(doc.tree, ("funding_musd", 2025), key=True) == (2, 3)


# --- pydantic errors as sentences ----------------------------------------------------


def _inv_errors(old: str, new: str, catalog: object = None) -> list[str]:
    text = INVENTORY.replace(old, new, 1)
    assert text != INVENTORY
    with pytest.raises(DataError) as exc:
        parse_inventory(text, "u.yaml", catalog)  # type: ignore[arg-type]
    return messages(exc)


def test_misspelt_key_is_reported_once(catalog: object) -> None:
    """A misspelling explains the missing key: one line at the misspelt key, not two."""
    assert _inv_errors("    quantity: 400\n", "    quantiy: 400\n") == [
        "u.yaml:29:5: systems[1].quantiy: unknown key 'quantiy'; did you mean 'quantity'?"
    ]


def test_missing_key_without_misspelling_is_reported() -> None:
    assert _inv_errors("    quantity: 400\n", "") == [
        "u.yaml:26:5: systems[1].quantity: required key 'quantity' is missing"
    ]


def test_training_bare_number_says_what_is_expected() -> None:
    assert _inv_errors(
        "  ground: {value: 1.1, rationale: Western training., basis: judgement}", "  ground: 1.2"
    ) == [
        "u.yaml:12:11: training.ground: must be a mapping {value, rationale}, not the number "
        '1.2; e.g. {value: 1.2, rationale: "why, with a source"}'
    ]


def test_system_that_is_a_list_names_the_keys() -> None:
    lines = _inv_errors("  - id: javelin\n", "  - [javelin]\n  - id: javelin\n")
    assert lines[0] == (
        "u.yaml:26:5: systems[1]: must be a mapping with keys id, name, class, quantity, source "
        "(got a list)"
    )


def test_identifier_hints() -> None:
    assert _inv_errors("side: ukraine", "side: Ukraine") == [
        "u.yaml:1:7: side: 'Ukraine' is not a valid identifier (lower-case letters, digits and _,"
        " starting with a letter); did you mean 'ukraine'?"
    ]
    assert _inv_errors("  isr: {value", "  ISR: {value") == [
        "u.yaml:15:3: enablers.ISR: 'ISR' is not a valid key (lower-case letters, digits and _,"
        " starting with a letter); did you mean 'isr'?"
    ]


def test_dates() -> None:
    assert _inv_errors("as_of: 2024-01-01", "as_of: 2024-02-30") == [
        "u.yaml:3:8: as_of: '2024-02-30' is not a real date (day is out of range for month)"
    ]
    assert _inv_errors("as_of: 2024-01-01", "as_of: 01/01/2024") == [
        "u.yaml:3:8: as_of: must be a date YYYY-MM-DD (got '01/01/2024')"
    ]
    assert _inv_errors("as_of: 2024-01-01", "as_of:") == [
        "u.yaml:3:1: as_of: is empty; expected a date YYYY-MM-DD"
    ]


def test_empty_text_and_wrong_kinds() -> None:
    assert _inv_errors("name: Javelin", 'name: ""') == [
        "u.yaml:27:11: systems[1].name: must not be empty"
    ]
    assert _inv_errors("name: Javelin", "name: 5") == [
        "u.yaml:27:11: systems[1].name: must be text (got the number 5)"
    ]
    assert _inv_errors("systems:\n", "systems: 3\nx:\n") == [
        "u.yaml:17:10: systems: must be a list (got the number 3)",
        "u.yaml:18:1: x: unknown key 'x'; allowed: side, name, as_of, description, sources, "
        "training, enablers, systems, dynamics, munitions, raids, notes",
    ]


def test_unknown_top_level_key() -> None:
    assert _inv_errors("enablers:", "enabler:") == [
        "u.yaml:14:1: enabler: unknown key 'enabler'; did you mean 'enablers'?"
    ]
    assert _inv_errors("enablers:", "gadgets:") == [
        "u.yaml:14:1: gadgets: unknown key 'gadgets'; allowed: side, name, as_of, description, "
        "sources, training, enablers, systems, dynamics, munitions, raids, notes"
    ]


def test_commitment_year_keys() -> None:
    text = COMMITMENT.replace("  2024: 1000", "  '2024': 1000").replace(
        "  2025: 800", "  1985: 800"
    )
    with pytest.raises(DataError) as exc:
        parse_commitment(text, "c.yaml")
    assert messages(exc) == [
        "c.yaml:7:3: funding_musd.2024: must be a whole number, not text; write 2024 without quotes",
        "c.yaml:8:3: funding_musd.1985: must be a year from 1990 to 2100 (got 1985)",
    ]


def test_references_listed_with_field_errors(catalog: object) -> None:
    """Unknown classes and sources are listed even when other fields are invalid."""
    lines = _inv_errors("    readiness: 0.7\n", "    readiness: 1.7\n    class2: x\n", catalog)
    text = INVENTORY.replace("class: atgm_team", "class: atgm").replace(
        "source: src\n", "source: s\n", 1
    )
    with pytest.raises(DataError) as exc:
        parse_inventory(text.replace("quantity: 400", "quantity: -4"), "u.yaml", catalog)  # type: ignore[arg-type]
    assert messages(exc) == [
        "u.yaml:23:13: systems[0].source: unknown source 's'; known: src",
        "u.yaml:28:12: systems[1].class: unknown class 'atgm'; did you mean 'atgm_team'?",
        "u.yaml:29:15: systems[1].quantity: must be >= 0 (got -4)",
    ]
    assert lines == [
        "u.yaml:22:16: systems[0].readiness: must be >= 0 and <= 1 (got 1.7)",
        "u.yaml:23:5: systems[0].class2: unknown key 'class2'; did you mean 'class'?",
    ]


def test_commitment_references_listed_with_field_errors(catalog: object) -> None:
    text = COMMITMENT.replace("class: lr_sam", "class: sam").replace(
        "status: pledged", "status: maybe"
    )
    with pytest.raises(DataError) as exc:
        parse_commitment(text, "c.yaml", catalog)  # type: ignore[arg-type]
    assert messages(exc) == [
        "c.yaml:10:12: deliveries[0].class: unknown class 'sam'; did you mean 'lr_sam'?",
        "c.yaml:14:13: deliveries[0].status: must be 'pledged' or 'delivered' (got text 'maybe')",
    ]


def test_catalog_cross_checks_run_beside_field_errors() -> None:
    text = CATALOG_TEXT.replace("cruise_missile, pk: 0.8,", "cruise_missile, pk: 2,").replace(
        "counters: {mbt: 1, atgm_team: 0.3}", "counters: {mbt: 1, atgm: 0.3}"
    )
    text = text.replace(
        "thresholds: {matched: 0.9, offset: 1.1}", "thresholds: {matched: 2, offset: 1}"
    )
    with pytest.raises(DataError) as exc:
        parse_catalog(text, "cat.yaml")
    assert messages(exc) == [
        "cat.yaml:38:38: classes.lr_sam.engages[0].pk: must be >= 0 and <= 1 (got 2)",
        "cat.yaml:62:30: contests[0].counters.atgm: unknown class 'atgm'; did you mean 'atgm_team'?",
        "cat.yaml:72:23: thresholds.matched: matched (2) must be below offset (1)",
    ]


def test_raw_catalog_refs_tolerates_anything() -> None:
    for data in (None, [], {"classes": [], "contests": {}}, {"contests": [1, None, {"id": 3}]}):
        assert raw_catalog_refs(data) == []


# --- public parse/load API ---------------------------------------------------------------


def test_parse_inventory_checks_classes_only_with_a_catalog(catalog: object) -> None:
    text = INVENTORY.replace("class: atgm_team", "class: atgm")
    assert parse_inventory(text, "u.yaml").system("javelin") is not None
    with pytest.raises(DataError, match="unknown class 'atgm'"):
        parse_inventory(text, "u.yaml", catalog)  # type: ignore[arg-type]


def test_load_functions_read_files(data_dir: Path) -> None:
    cat = load_catalog(data_dir / "catalog.yaml")
    inv = load_inventory(data_dir / "force_inventories" / "ukraine-2024.yaml", cat)
    assert inv.side == "ukraine" and len(inv.systems) == 3
    with pytest.raises(DataError) as exc:
        load_catalog(data_dir / "nope.yaml")
    assert messages(exc) == [
        f"{data_dir / 'nope.yaml'}:1:1: cannot read: No such file or directory"
    ]


def test_oversized_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "catalog.yaml"
    with big.open("wb") as f:
        f.truncate(4 * 2**20 + 1)  # sparse: nothing is written, nothing is read
    with pytest.raises(DataError) as exc:
        load_catalog(big)
    assert messages(exc) == [f"{big}:1:1: file is 4.0 MiB; the limit is 4 MiB"]


def test_detect_kind(tmp_path: Path) -> None:
    assert detect_kind({}, Path("x/force_inventories/a.yaml")) == "inventory"
    assert detect_kind({}, Path("x/commitments/a.yaml")) == "commitment"
    assert detect_kind({}, Path("x/catalog-2025.yaml")) == "catalog"
    assert detect_kind({"contests": []}, Path("a.yaml")) == "catalog"
    assert detect_kind({"partner": "x"}, Path("a.yaml")) == "commitment"
    assert detect_kind({"side": "x"}, Path("a.yaml")) == "inventory"


# --- folders ---------------------------------------------------------------------------


def test_load_dataset_valid(data_dir: Path) -> None:
    res = load_dataset(data_dir)
    assert res.dataset.sides() == ["russia", "ukraine"]
    assert res.warnings == []
    assert len(res.dataset.commitments) == 1
    red = res.dataset.matchup().red
    assert [(r.id, r.every_days, r.first_day, r.size["kh101"].value) for r in red.raids] == [
        ("salvo", 7, 2, 20)
    ]
    assert (red.munitions["shell"].stock.value, red.munitions["shell"].per_day.value) == (
        200000,
        8000,
    )
    assert res.dataset.catalog.campaign_days == 30
    assert res.dataset.catalog.iamd is not None and res.dataset.catalog.iamd.layers == ["lr_sam"]
    assert set(res.docs) == {
        str(data_dir / "catalog.yaml"),
        *(str(p) for p in (data_dir / "force_inventories").iterdir()),
        str(data_dir / "commitments" / "us.yaml"),
    }


def test_load_dataset_warnings(data_dir: Path) -> None:
    inv = data_dir / "force_inventories" / "russia-2024.yaml"
    inv.write_text(
        inv.read_text().replace("  c2: {value: 0.9, rationale: Rigid., basis: judgement}\n", "")
    )
    res = load_dataset(data_dir)
    assert [str(w) for w in res.warnings] == [
        f"{inv}:14:1: enablers: warning: no enabler 'c2' (listed for domain 'land'); 1.0 assumed"
    ]


def test_duplicate_as_of_is_an_error(data_dir: Path) -> None:
    src = data_dir / "force_inventories" / "russia-2024.yaml"
    shutil.copy(src, data_dir / "force_inventories" / "russia-2024b.yaml")
    with pytest.raises(DataError) as exc:
        load_dataset(data_dir)
    other = data_dir / "force_inventories" / "russia-2024.yaml"
    assert messages(exc) == [
        f"{data_dir}/force_inventories/russia-2024b.yaml:3:8: as_of: two russia snapshots share "
        f"as_of 2024-01-01 (the other is {other})"
    ]


def test_layout_errors(tmp_path: Path, data_dir: Path) -> None:
    layout = "a data folder holds catalog.yaml, force_inventories/ and optionally commitments/"
    cases = {
        tmp_path / "none": f"{tmp_path / 'none'}:1:1: no such folder; {layout}",
        data_dir / "catalog.yaml": f"{data_dir / 'catalog.yaml'}:1:1: not a folder; {layout}",
        data_dir
        / "commitments": f"{data_dir / 'commitments' / 'catalog.yaml'}:1:1: missing; not a data folder: {layout}",
    }
    for path, expected in cases.items():
        with pytest.raises(DataError) as exc:
            load_dataset(path)
        assert messages(exc) == [expected]
    shutil.rmtree(data_dir / "force_inventories")
    with pytest.raises(DataError) as exc:
        load_dataset(data_dir)
    assert messages(exc) == [f"{data_dir / 'force_inventories'}:1:1: missing; {layout}"]


def test_commitment_recipient_must_be_a_side(data_dir: Path) -> None:
    com = data_dir / "commitments" / "us.yaml"
    com.write_text(com.read_text().replace("bloc: us\n", "bloc: us\nrecipient: ukrain\n"))
    with pytest.raises(DataError) as exc:
        load_dataset(data_dir)
    assert messages(exc) == [
        f"{com}:3:12: recipient: no inventory has side 'ukrain'; did you mean 'ukraine'?"
    ]


def test_every_file_problem_is_collected(data_dir: Path) -> None:
    (data_dir / "catalog.yaml").write_text(CATALOG_TEXT.replace("unit: tank", "unit: ''"))
    inv = data_dir / "force_inventories" / "ukraine-2024.yaml"
    inv.write_text(INVENTORY.replace("quantity: 400", "quantity: .nan"))
    com = data_dir / "commitments" / "us.yaml"
    com.write_text(COMMITMENT.replace("2025: 800", "2025: -1"))
    with pytest.raises(DataError) as exc:
        load_dataset(data_dir)
    assert messages(exc) == [
        f"{data_dir / 'catalog.yaml'}:13:11: classes.mbt.unit: must not be empty",
        f"{com}:8:9: funding_musd.2025: must be >= 0 (got -1)",
        f"{inv}:29:15: systems[1].quantity: must be a finite number, not nan",
    ]


def test_validate_paths_mixed(data_dir: Path, tmp_path: Path) -> None:
    """Files use the catalog of their data folder; a folder without catalog.yaml
    has each of its files checked; warnings are returned, not raised."""
    inv = data_dir / "force_inventories" / "russia-2024.yaml"
    inv.write_text(
        inv.read_text().replace(
            "  strike: {value: 1.0, rationale: Baseline., basis: judgement}\n", ""
        )
    )
    warnings = validate_paths([inv, data_dir / "commitments", data_dir])
    assert [str(w) for w in warnings] == [
        f"{inv}:11:1: training: warning: no training multiplier for branch 'strike' "
        "(used by systems[1]); 1.0 assumed"
    ] * 2  # once for the file, once for its folder
    loose = tmp_path / "loose.yaml"
    loose.write_text(INVENTORY.replace("class: atgm_team", "class: atgm"))
    with pytest.raises(DataError) as exc:
        validate_paths([loose], catalog_path=data_dir / "catalog.yaml")
    assert messages(exc) == [
        f"{loose}:28:12: systems[1].class: unknown class 'atgm'; did you mean 'atgm_team'?"
    ]


def test_validate_paths_bad_catalog_reported_once(data_dir: Path) -> None:
    (data_dir / "catalog.yaml").write_text(CATALOG_TEXT.replace("pk: 0.8,", "pk: 8,"))
    files = sorted((data_dir / "force_inventories").iterdir())
    with pytest.raises(DataError) as exc:
        validate_paths(files)
    assert messages(exc) == [
        f"{data_dir / 'catalog.yaml'}:38:38: classes.lr_sam.engages[0].pk: must be >= 0 and <= 1 (got 8)"
    ]


def test_bundled_data_loads() -> None:
    res = load_dataset(bundled_data_dir())
    assert {"ukraine", "russia"} <= set(res.dataset.sides())
    assert all(w.severity == "warning" for w in res.warnings)


def test_problem_format() -> None:
    p = Problem("a.yaml", 3, 7, "systems[0].quantity", "must be >= 0 (got -1)")
    assert str(p) == "a.yaml:3:7: systems[0].quantity: must be >= 0 (got -1)"
    assert str(Problem("a.yaml", 1, 1, "", "file is empty")) == "a.yaml:1:1: file is empty"
    w = Problem("a.yaml", 1, 1, "training", "no x", "warning")
    assert str(w) == "a.yaml:1:1: training: warning: no x"
    err = DataError([p, Problem("a.yaml", 1, 1, "", "z")])
    assert str(err).splitlines()[0] == "a.yaml:1:1: z"  # sorted by file, line, column
    assert isinstance(err, ValueError)
