"""The bad-input corpus: every malformed file gets its exact messages and exit 1.

Each case under ``tests/bad_input/`` is run through the real command line
(``qdb validate PATH``) in-process; its stderr must be exactly the lines below
(``path:line:col: field: message``, every problem of the file) and the exit
code 1, with nothing on stdout and no traceback. Single files are checked
against the small valid catalog ``tests/bad_input/catalog.yaml`` (the catalog
of their data folder); ``datasets/`` holds whole data folders. Cases that would
be too big to commit (over 4 MiB, too many lines or values) are generated into
``tmp_path``. A few cases also go through a subprocess to prove that no
traceback reaches a user, and hypothesis feeds arbitrary bytes and mangled
files to the parser and the loaders, which may only raise ``DataError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdb.cli import main
from qdb.errors import DataError
from qdb.io.load import parse_catalog, parse_commitment, parse_inventory
from qdb.io.yamlread import MAX_BYTES, MAX_DEPTH, MAX_LINES, MAX_NODES, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path("tests/bad_input")  # relative to ROOT: messages show this path

# {p} stands for the case's own path, tests/bad_input/<case>.
CASES: dict[str, list[str]] = {
    "catalogs/catalog_bad_law.yaml": [
        "{p}:59:10: contests[0].law: must be 'square', 'linear', 'power' or 'iamd' (got text 'lanchester')",
    ],
    "catalogs/catalog_coverage_out_of_range.yaml": [
        "{p}:36:15: classes.lr_sam.coverage: must be >= 0 and <= 1 (got 1.5)",
    ],
    "catalogs/catalog_duplicate_contest.yaml": [
        "{p}:65:9: contests[1].id: duplicate contest id 'armour' (first at contests[0])",
    ],
    "catalogs/catalog_engages_twice.yaml": [
        "{p}:39:18: classes.lr_sam.engages[1].threat: 'cruise_missile' is engaged twice; list each threat once",
    ],
    "catalogs/catalog_engages_unknown_threat.yaml": [
        "{p}:38:18: classes.lr_sam.engages[0].threat: unknown threat class 'cruise_misile'; did you mean 'cruise_missile'?",
    ],
    "catalogs/catalog_fires_unknown_munition.yaml": [
        "{p}:45:23: classes.howitzer.fires.munition: unknown munition class 'shells'; did you mean 'shell'?",
    ],
    "catalogs/catalog_iamd_incomplete.yaml": [
        "{p}:38:38: classes.lr_sam.engages[0].pk: must be >= 0 and <= 1 (got 1.8)",
        "{p}:65:5: contests[1]: iamd contest needs `acceptable_leakage` (0-1, e.g. 0.1)",
    ],
    "catalogs/catalog_iamd_with_lanchester_fields.yaml": [
        "{p}:70:5: contests[1].threat: `threat` belongs to Lanchester contests; an iamd contest is "
        "scored by the campaign's leakage (catalog `iamd.layers`, classes' `engages`)",
    ],
    "catalogs/catalog_iamd_without_layers.yaml": [
        "{p}:66:10: contests[1].law: law iamd needs the catalog's `iamd: {layers: [...]}` "
        "(interceptor classes, outer to inner)",
    ],
    "catalogs/catalog_layer_without_engages.yaml": [
        "{p}:48:12: iamd.layers[0]: layer class 'lr_sam' needs shots_per_raid (rounds a ready unit "
        "fires in one raid) and engages (threat, pk, shots) in classes.lr_sam",
    ],
    "catalogs/catalog_misspelt_top_key.yaml": [
        "{p}:55:1: contest: unknown key 'contest'; did you mean 'contests'?",
    ],
    "catalogs/catalog_power_without_exponent.yaml": [
        "{p}:56:5: contests[0]: power law needs `exponent` (e.g. 1.5)",
    ],
    "catalogs/catalog_thresholds_reversed.yaml": [
        "{p}:72:23: thresholds.matched: matched (1.1) must be below offset (0.9)",
    ],
    "catalogs/catalog_unknown_contest_class.yaml": [
        "{p}:62:30: contests[0].counters.atgm: unknown class 'atgm'; did you mean 'atgm_team'?",
        "{p}:69:15: contests[1].threats[0]: unknown class 'cruise_misile'; did you mean 'cruise_missile'?",
    ],
    # a v1 catalog (engine 1: `layered_defence`, class pk/shots_per_day): every moved key is named
    "catalogs/catalog_v1_layered_defence.yaml": [
        "{p}:29:5: classes.lr_sam.pk: unknown key 'pk'; allowed: domain, branch, unit, unit_cost_musd, "
        "name, description, fires, shots_per_raid, coverage, coverage_per_unit, engages, round_cost_musd, "
        "source, rationale, supply_limit_per_year",
        "{p}:30:5: classes.lr_sam.shots_per_day: unknown key 'shots_per_day'; did you mean 'shots_per_raid'?",
        "{p}:46:10: contests[1].law: must be 'square', 'linear', 'power' or 'iamd' (got text 'layered_defence')",
        "{p}:48:5: contests[1].layers: unknown key 'layers'; allowed: id, title, domain, law, critical, "
        "weight, threat, counters, exponent, threats, acceptable_leakage, rationale, sources",
        "{p}:50:5: contests[1].campaign_days: unknown key 'campaign_days'; allowed: id, title, domain, "
        "law, critical, weight, threat, counters, exponent, threats, acceptable_leakage, rationale, "
        "sources",
    ],
    "commitments/delivery_after_last_year.yaml": [
        "{p}:13:11: deliveries[0].year: year 2031 is after the instrument's last year (2027)",
    ],
    "commitments/funding_year_keys.yaml": [
        "{p}:7:3: funding_musd.twenty24: must be a year like 2025 (got text 'twenty24')",
        "{p}:8:3: funding_musd.2025: must be a whole number, not text; write 2025 without quotes",
    ],
    "commitments/negative_funding.yaml": [
        "{p}:8:9: funding_musd.2025: must be >= 0 (got -800)",
    ],
    "commitments/several_problems.yaml": [
        "{p}:12:5: deliveries[0].quantity: a range needs low, estimate and high; missing high",
        "{p}:15:1: source.url: required key 'url' is missing",
        "{p}:19:3: source.link: unknown key 'link'; allowed: title, publisher, date, url, kind, notes",
    ],
    "commitments/signed_bad_date.yaml": [
        "{p}:4:9: signed: must be a date YYYY-MM-DD (got '13 June 2024')",
    ],
    "commitments/status_typo.yaml": [
        "{p}:14:13: deliveries[0].status: must be 'pledged' or 'delivered' (got text 'promised')",
    ],
    "commitments/unknown_class.yaml": [
        "{p}:10:12: deliveries[0].class: unknown class 'sam'; did you mean 'lr_sam'?",
    ],
    "commitments/years_reversed.yaml": [
        "{p}:5:1: years: first (2027) is after last (2024)",
    ],
    "force_inventories/alias_bomb.yaml": [
        "{p}:1:4: anchors (&name) are not allowed; write each value out",
    ],
    "force_inventories/anchor_reuse.yaml": [
        "{p}:10:11: anchors (&name) are not allowed; write each value out",
    ],
    "force_inventories/bad_date.yaml": [
        "{p}:3:8: as_of: '2024-02-30' is not a real date (day is out of range for month)",
    ],
    "force_inventories/bad_date_text.yaml": [
        "{p}:3:8: as_of: must be a date YYYY-MM-DD (got 'last spring')",
    ],
    "force_inventories/bad_identifiers.yaml": [
        "{p}:1:7: side: 'Ukraine' is not a valid identifier (lower-case letters, digits and _, starting with a letter); did you mean 'ukraine'?",
        "{p}:23:9: systems[1].id: 'jave lin' is not a valid identifier (letters, digits, _ and -, starting with a letter or digit); did you mean 'jave_lin'?",
    ],
    "force_inventories/bad_source.yaml": [
        "{p}:8:11: sources.src.date: '2024-13-01' is not a real date (month must be in 1..12)",
        "{p}:9:10: sources.src.url: must not be empty",
    ],
    "force_inventories/binary.yaml": [
        "{p}:1:1: binary file (NUL bytes); expected UTF-8 YAML text",
    ],
    "force_inventories/bool_quantity.yaml": [
        "{p}:20:15: systems[0].quantity: must be a number or a range {low, estimate, high}, not text 'yes'",
    ],
    "force_inventories/complex_key.yaml": [
        "{p}:15:5: a key must be plain text or a number, not a list",
    ],
    "force_inventories/control_char.yaml": [
        "{p}:2:16: control character U+001B is not allowed in YAML; delete it",
    ],
    "force_inventories/deep_block.yaml": [
        "{p}:33:63: nested deeper than 32 levels; qdb files are shallow",
    ],
    "force_inventories/deep_nesting.yaml": [
        "{p}:1:35: nested deeper than 32 levels; qdb files are shallow",
    ],
    "force_inventories/duplicate_id.yaml": [
        "{p}:22:9: systems[1].id: duplicate system id 't64' (first at systems[0])",
    ],
    "force_inventories/duplicate_key.yaml": [
        '{p}:2:1: YAML syntax: duplicate key "side"; each key may appear once',
    ],
    "force_inventories/empty.yaml": [
        "{p}:1:1: file is empty; expected a YAML mapping",
    ],
    "force_inventories/empty_values.yaml": [
        "{p}:3:1: as_of: is empty; expected a date YYYY-MM-DD",
        "{p}:26:5: systems[1].quantity: must be a number or a range {low, estimate, high}, not empty (null)",
    ],
    "force_inventories/huge_number.yaml": [
        "{p}:26:15: systems[1].quantity: is implausibly large (1e+300); qdb figures stay below 1e12",
        "{p}:33:12: systems[2].stock: is implausibly large (a 30-digit number); qdb figures stay below 1e12",
    ],
    "force_inventories/inf_quantity.yaml": [
        "{p}:20:15: systems[0].quantity: must be a finite number, not inf",
    ],
    "force_inventories/latin1.yaml": [
        "{p}:1:11: not UTF-8 text (byte 0xef); save the file as UTF-8",
    ],
    "force_inventories/low_above_high.yaml": [
        "{p}:20:5: systems[0].quantity: range must satisfy low <= estimate <= high (got 700, 600, 500)",
    ],
    "force_inventories/many_problems.yaml": [
        "{p}:20:15: systems[0].quantity: must be >= 0 (got -1)",
        "{p}:21:16: systems[0].readiness: must be >= 0 and <= 1 (got 2)",
        "{p}:24:11: systems[1].name: must not be empty",
        "{p}:25:12: systems[1].class: unknown class 'atgm_tem'; did you mean 'atgm_team'?",
        "{p}:27:14: systems[1].quality: must be > 0 (got 0)",
        "{p}:28:13: systems[1].source: unknown source 'nowhere'; known: src",
    ],
    "force_inventories/merge_key.yaml": [
        "{p}:12:16: merge keys (<<) are not allowed; write the keys out",
    ],
    "force_inventories/missing_required.yaml": [
        "{p}:17:5: systems[0].name: required key 'name' is missing",
        "{p}:17:5: systems[0].quantity: required key 'quantity' is missing",
    ],
    "force_inventories/misspelt_key.yaml": [
        "{p}:20:5: systems[0].quantitty: unknown key 'quantitty'; did you mean 'quantity'?",
    ],
    "force_inventories/munition_not_fired.yaml": [
        "{p}:41:3: munitions.shells: no class fires munition 'shells' (a munition is named by a "
        "class's `fires: {munition}`); did you mean 'shell'?",
    ],
    "force_inventories/nan_quality.yaml": [
        "{p}:21:14: systems[0].quality: must be a finite number, not nan",
    ],
    "force_inventories/negative_quantity.yaml": [
        "{p}:20:15: systems[0].quantity: must be >= 0 (got -5)",
    ],
    "force_inventories/only_comment.yaml": [
        "{p}:1:1: file is empty; expected a YAML mapping",
    ],
    "force_inventories/python_tag.yaml": [
        "{p}:26:15: tags (!!python/object:os.system) are not allowed; write a plain value",
    ],
    "force_inventories/quoted_number.yaml": [
        "{p}:20:15: systems[0].quantity: must be a number or a range {low, estimate, high}, not text '600'; write 600 without quotes",
    ],
    "force_inventories/range_missing_key.yaml": [
        "{p}:20:5: systems[0].quantity: a range needs low, estimate and high; missing estimate",
    ],
    "force_inventories/raid_duplicate_id.yaml": [
        "{p}:44:9: raids[1].id: duplicate raid id 'salvo' (first at raids[0])",
    ],
    "force_inventories/raid_every_days_zero.yaml": [
        "{p}:44:17: raids[0].every_days: must be >= 1 (got 0)",
        "{p}:45:16: raids[0].first_day: must be >= 0 (got -1)",
    ],
    "force_inventories/raid_unknown_system.yaml": [
        "{p}:46:18: raids[0].size.kh10: russia has no system 'kh10'; did you mean 'kh101'?",
    ],
    "force_inventories/readiness_above_one.yaml": [
        "{p}:21:16: systems[0].readiness: must be >= 0 and <= 1 (got 1.5)",
    ],
    "force_inventories/reserved_id.yaml": [
        "{p}:17:9: systems[0].id: 'training' is reserved (it names the training block in edits)",
    ],
    "force_inventories/string_quantity.yaml": [
        "{p}:20:15: systems[0].quantity: must be a number or a range {low, estimate, high}, not text 'many'",
    ],
    "force_inventories/syntax_indent.yaml": [
        "{p}:3:8: YAML syntax: mapping values are not allowed here; check the indentation, or quote a value that contains ': '",
    ],
    "force_inventories/syntax_unclosed.yaml": [
        "{p}:3:6: YAML syntax: the [ at line 2, column 7 is not closed: expected ',' or ']', but got ':'",
    ],
    "force_inventories/system_is_list.yaml": [
        "{p}:17:5: systems[0]: must be a mapping with keys id, name, class, quantity, source (got a list)",
    ],
    "force_inventories/systems_mapping.yaml": [
        "{p}:16:1: systems: must be a list (got a mapping)",
    ],
    "force_inventories/tabs.yaml": [
        "{p}:4:1: YAML syntax: tab character; indent with spaces, never tabs",
    ],
    "force_inventories/top_level_list.yaml": [
        "{p}:1:1: top level is a list; expected a mapping of keys (key: value lines)",
    ],
    "force_inventories/top_level_scalar.yaml": [
        "{p}:1:1: top level is text; expected a mapping of keys (key: value lines)",
    ],
    "force_inventories/training_bare_number.yaml": [
        '{p}:11:11: training.ground: must be a mapping {value, rationale}, not the number 1.1; e.g. {value: 1.1, rationale: "why, with a source"}',
    ],
    "force_inventories/two_documents.yaml": [
        "{p}:2:1: YAML syntax: more than one document (---); a qdb file holds one mapping",
    ],
    "force_inventories/unknown_class.yaml": [
        "{p}:19:12: systems[0].class: unknown class 'tank'; known: atgm_team, cruise_missile, howitzer, lr_sam, mbt, owa_drone, shell",
        "{p}:24:12: systems[1].class: unknown class 'atgm'; did you mean 'atgm_team'?",
    ],
    "force_inventories/unknown_source.yaml": [
        "{p}:21:13: systems[0].source: unknown source 'scr'; did you mean 'src'?",
    ],
    "force_inventories/unknown_top_key.yaml": [
        "{p}:16:1: system: unknown key 'system'; did you mean 'systems'?",
    ],
    "datasets/broken_catalog": [
        "{p}/catalog.yaml:36:15: classes.lr_sam.coverage: must be >= 0 and <= 1 (got -0.1)",
        "{p}/force_inventories/ukraine-2024.yaml:21:16: systems[0].readiness: must be >= 0 and <= 1 (got 7)",
    ],
    "datasets/cross_file": [
        "{p}/commitments/us.yaml:3:12: recipient: no inventory has side 'ukriane'; did you mean 'ukraine'?",
        "{p}/commitments/us.yaml:11:12: deliveries[0].class: unknown class 'sam_battery'; known: atgm_team, cruise_missile, howitzer, lr_sam, mbt, owa_drone, shell",
        "{p}/force_inventories/ukraine-2024.yaml:22:13: systems[0].source: unknown source 'iiss'; known: src",
        "{p}/force_inventories/ukraine-2024.yaml:25:12: systems[1].class: unknown class 'atgm'; did you mean 'atgm_team'?",
        "{p}/force_inventories/ukraine-2024.yaml:28:13: systems[1].source: unknown source 'iiss'; known: src",
        "{p}/force_inventories/ukraine-2024.yaml:34:13: systems[2].source: unknown source 'iiss'; known: src",
    ],
    "datasets/duplicate_as_of": [
        "{p}/force_inventories/ukraine-2024.yaml:3:8: as_of: two ukraine snapshots share as_of 2024-01-01 (the other is {p}/force_inventories/ukraine-2024-copy.yaml)",
    ],
    "datasets/empty_inventories": [
        "{p}/force_inventories:1:1: no inventory files (*.yaml) in it; a data folder holds catalog.yaml, force_inventories/ and optionally commitments/",
    ],
    "datasets/no_catalog": [
        "{p}/catalog.yaml:1:1: missing; not a data folder: a data folder holds catalog.yaml, force_inventories/ and optionally commitments/",
    ],
    "datasets/no_inventories": [
        "{p}/force_inventories:1:1: missing; a data folder holds catalog.yaml, force_inventories/ and optionally commitments/",
    ],
}


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the checkout root so that messages show ``tests/bad_input/...``."""
    monkeypatch.chdir(ROOT)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``qdb ARGS`` in-process: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_messages(case: str, in_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / case
    code, out, err = run_cli(["validate", str(path)], capsys)
    expected = [line.replace("{p}", str(path)) for line in CASES[case]]
    assert err.splitlines() == expected
    assert code == 1
    assert out == ""


def test_corpus_is_complete() -> None:
    """At least 30 cases, and every file of the corpus has its expected messages."""
    files = {
        str(p.relative_to(ROOT / CORPUS))
        for p in (ROOT / CORPUS).glob("*/*.yaml")
        if p.parent.name != "_valid"
    }
    folders = {str(p.relative_to(ROOT / CORPUS)) for p in (ROOT / CORPUS / "datasets").iterdir()}
    assert files | folders == set(CASES) | set(WARNING_CASES)
    assert len(CASES) >= 30


def test_every_message_is_one_located_line() -> None:
    for case, lines in CASES.items():
        for line in lines:
            head, _, message = line.partition(": ")
            parts = head.split(":")
            assert parts[0].startswith("{p}"), case
            assert len(parts) == 3 and all(x.isdigit() and int(x) >= 1 for x in parts[1:]), line
            assert message and "\n" not in message, line
            assert "Traceback" not in line and "Input should" not in line, line


def test_valid_fixture_is_valid(in_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus differs from a valid data folder only by what each case breaks."""
    assert (ROOT / CORPUS / "catalog.yaml").read_bytes() == (
        ROOT / CORPUS / "_valid" / "catalog.yaml"
    ).read_bytes()
    code, out, err = run_cli(["validate", str(CORPUS / "_valid")], capsys)
    assert (code, out, err) == (0, "ok: 1 path valid\n", "")


# Legal but suspicious data: `validate` warns (exact located lines) and exits 0.
WARNING_CASES: dict[str, list[str]] = {
    "datasets/warnings_only": [
        "{p}/force_inventories/ukraine-2024.yaml:11:1: training: warning: no training "
        "multiplier for branch 'air_defence' (used by systems[2]); 1.0 assumed",
    ],
    # the red side's raids launch only drones: the cruise-missile contest is never fought
    "datasets/warning_iamd_no_raid": [
        "{p}/force_inventories/russia-2024.yaml:50:1: raids: warning: no raid launches a threat "
        "of iamd contest 'strike' (cruise_missile): it is uncontested against russia",
    ],
    # no layer engages cruise missiles: everything launched leaks
    "datasets/warning_unengaged_threat": [
        "{p}/catalog.yaml:68:5: contests[1].threats: warning: no layer engages these threats: "
        "everything launched leaks",
    ],
}


@pytest.mark.parametrize("case", sorted(WARNING_CASES))
def test_warnings_do_not_fail(case: str, in_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / case
    code, out, err = run_cli(["validate", str(path)], capsys)
    expected = [line.replace("{p}", str(path)) for line in WARNING_CASES[case]]
    assert err.splitlines() == expected
    n = len(expected)
    assert (code, out) == (0, f"ok: 1 path valid, {n} warning{'s' if n != 1 else ''}\n")
    code, out, err = run_cli(["validate", "--quiet", str(path)], capsys)
    assert (code, err) == (0, "")


def test_catalog_warning_on_the_catalog_file_alone(
    in_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = CORPUS / "datasets" / "warning_unengaged_threat" / "catalog.yaml"
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert (code, out) == (0, "ok: 1 path valid, 1 warning\n")
    assert err == (
        f"{path}:68:5: contests[1].threats: warning: no layer engages these threats: "
        "everything launched leaks\n"
    )


def test_all_cases_at_once_list_every_problem(
    in_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several paths in one run: every problem of every file, sorted, exit 1."""
    cases = sorted(c for c in CASES if c.startswith(("force_inventories/", "commitments/")))
    code, out, err = run_cli(["validate", *(str(CORPUS / c) for c in cases)], capsys)
    expected = sorted(line.replace("{p}", str(CORPUS / c)) for c in cases for line in CASES[c])
    assert code == 1
    assert sorted(err.splitlines()) == expected


def test_folder_of_files_is_checked_file_by_file(
    in_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder without catalog.yaml but with YAML files: each file is checked."""
    code, _, err = run_cli(["validate", str(CORPUS / "catalogs")], capsys)
    expected = sorted(
        line.replace("{p}", str(CORPUS / c))
        for c in CASES
        if c.startswith("catalogs/")
        for line in CASES[c]
    )
    assert code == 1
    assert err.splitlines() == expected


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.yaml"
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert err == f"{path}:1:1: cannot read: No such file or directory\n"


# --- generated cases (too big to commit) --------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "force_inventories"
    folder.mkdir(exist_ok=True)
    (tmp_path / "catalog.yaml").write_bytes((ROOT / CORPUS / "catalog.yaml").read_bytes())
    path = folder / name
    path.write_bytes(data)
    return path


def test_oversized_file_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "big.yaml", b"side: ukraine\nnotes: " + b"x" * MAX_BYTES + b"\n")
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert err == f"{path}:1:1: file is 4.0 MiB; the limit is 4 MiB\n"
    assert out == ""


def test_too_many_lines_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "lines.yaml", b"side: ukraine\n" + b"\n" * MAX_LINES)
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert (
        err == f"{path}:1:1: file has 50,002 lines; the limit is 50,000 (is this the right file?)\n"
    )


def test_too_many_values_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "values.yaml", b"side: ukraine\nnotes: [" + b"1, " * MAX_NODES + b"]\n")
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert err == (
        f"{path}:2:74994: more than 25,000 values; qdb data files are far smaller "
        "(is this the right file?)\n"
    )


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("notes: " + "[" * 100_000 + "]" * 100_000, "1:39"),
        ("notes: " + "{a: " * 10_000 + "1" + "}" * 10_000, "1:129"),
        ("".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "  " * 2_000 + "x\n", "32:63"),
    ],
    ids=["flow-lists", "flow-mappings", "block-mappings"],
)
def test_absurd_nesting_refused(
    text: str, position: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "deep.yaml", text.encode())
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert (
        err == f"{path}:{position}: nested deeper than {MAX_DEPTH} levels; qdb files are shallow\n"
    )


def test_not_a_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "x.txt"
    file.write_text("hello")
    layout = "a data folder holds catalog.yaml, force_inventories/ and optionally commitments/"
    code, _, err = run_cli(["validate", str(tmp_path)], capsys)
    assert (code, err) == (
        1,
        f"{tmp_path}/catalog.yaml:1:1: missing; not a data folder: {layout}\n",
    )


# --- no traceback, ever: a real process ------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "force_inventories/alias_bomb.yaml",
        "force_inventories/binary.yaml",
        "force_inventories/python_tag.yaml",
        "force_inventories/many_problems.yaml",
        "datasets/cross_file",
    ],
)
def test_subprocess_no_traceback(case: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    proc = subprocess.run(
        [sys.executable, "-m", "qdb", "validate", str(CORPUS / case)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 1
    expected = [line.replace("{p}", str(CORPUS / case)) for line in CASES[case]]
    assert proc.stderr.splitlines() == expected
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_console_script_oversized(tmp_path: Path) -> None:
    """The installed ``qdb`` script (when present beside this Python) refuses a 5 MiB file."""
    script = Path(sys.executable).with_name("qdb")
    if not script.exists():
        pytest.skip("no qdb console script beside this interpreter")
    path = _write(tmp_path, "big.yaml", b"a: 1\n" * (5 * 2**20 // 5 + 1))
    proc = subprocess.run(
        [str(script), "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert proc.stderr == f"{path}:1:1: file is 5.0 MiB; the limit is 4 MiB\n"


# --- hypothesis: only DataError, whatever the input ------------------------------------

_VALID = {
    "inventory": (ROOT / CORPUS / "_valid/force_inventories/ukraine-2024.yaml").read_text(),
    "catalog": (ROOT / CORPUS / "_valid/catalog.yaml").read_text(),
    "commitment": (ROOT / CORPUS / "_valid/commitments/us.yaml").read_text(),
}
_CATALOG = parse_catalog(_VALID["catalog"])
_PARSERS = {
    "inventory": lambda text: parse_inventory(text, "x.yaml", _CATALOG),
    "catalog": lambda text: parse_catalog(text, "x.yaml"),
    "commitment": lambda text: parse_commitment(text, "x.yaml", _CATALOG),
}

_YAMLISH = st.text(
    alphabet=st.sampled_from(
        [*" \t\n-:?,[]{}&*!|>'\"%@`#~.0123456789abcxyz_\\", "\x00", "é", "\ufeff"]
    ),
    max_size=200,
)

_FRAGMENTS = st.sampled_from(
    [
        "",
        "~",
        "-1",
        ".nan",
        "-.inf",
        "1e400",
        "[]",
        "{}",
        "[1, 2]",
        "{low: 3, estimate: 2, high: 1}",
        "'x'",
        '"2024"',
        "2024-02-30",
        "yes",
        "*a",
        "&a 1",
        "!!str 1",
        "{<<: {a: 1}}",
        "? [a]\n  : 1",
        "\t1",
        "99999999999999999999999",
        '"\\ud800"',
        "|\n  text",
        "{value: 1}",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_data_error(raw: bytes) -> None:
    try:
        parse_yaml(raw, "x.yaml")
    except DataError as exc:
        assert all(p.path == "x.yaml" and p.line >= 1 and p.column >= 1 for p in exc.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_YAMLISH, st.sampled_from(sorted(_PARSERS)))
def test_yamlish_text_only_data_error(text: str, kind: str) -> None:
    try:
        _PARSERS[kind](text)
    except DataError as exc:
        assert exc.problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_PARSERS)), st.data())
def test_mangled_valid_files_only_data_error(kind: str, data: st.DataObject) -> None:
    """Replace a value, drop or duplicate a line of a valid file: DataError or a model."""
    lines = _VALID[kind].splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["value", "drop", "dup", "indent"]))
        if op == "value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {data.draw(_FRAGMENTS)}"
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        else:
            lines[i] = "  " + lines[i]
        if not lines:
            lines = [""]
    try:
        _PARSERS[kind]("\n".join(lines) + "\n")
    except DataError as exc:
        for p in exc.problems:
            assert "\n" not in str(p)
            assert "Input should" not in p.message
