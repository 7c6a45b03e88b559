"""``qdb schema``: valid JSON Schema (2020-12) that the data files satisfy.

``jsonschema`` is not a dependency, so the structure is checked here and the
instances are checked by a small validator of the keywords the schema uses;
the test fails if the schema starts using a keyword the validator does not know.
With ``jsonschema`` installed, it checks the schema and the data too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from qdb.cli import main
from qdb.io.load import bundled_data_dir, detect_kind
from qdb.io.yamlread import parse_yaml
from qdb.schema import json_schema

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "bad_input" / "_valid"

ANNOTATIONS = {"title", "description", "default", "$schema", "$defs"}
ASSERTIONS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "oneOf",
    "anyOf",
    "$ref",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "minProperties",
    "propertyNames",
}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


def errors(schema: dict[str, Any], root: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Violations of ``schema`` by ``value`` (a small validator of the keywords above)."""
    out: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        out += errors(root["$defs"][name], root, value, path)
    t = schema.get("type")
    if t is not None:
        ok = isinstance(value, TYPES[t]) and not (isinstance(value, bool) and t != "boolean")
        if not ok:
            return [f"{path}: not {t}: {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: {value!r} != {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        for key, bad in (
            ("minimum", lambda lim: value < lim),
            ("maximum", lambda lim: value > lim),
            ("exclusiveMinimum", lambda lim: value <= lim),
            ("exclusiveMaximum", lambda lim: value >= lim),
        ):
            if key in schema and bad(schema[key]):
                out.append(f"{path}: {value} violates {key} {schema[key]}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e9):
            out.append(f"{path}: length of {value!r}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                out.append(f"{path}: {value!r} is not a date")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e9):
            out.append(f"{path}: {len(value)} items")
        if "items" in schema:
            for i, v in enumerate(value):
                out += errors(schema["items"], root, v, f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing {key}")
        if len(value) < schema.get("minProperties", 0):
            out.append(f"{path}: too few properties")
        for key, v in value.items():
            if "propertyNames" in schema:
                out += errors(schema["propertyNames"], root, key, f"{path}.<{key}>")
            if key in props:
                out += errors(props[key], root, v, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: unexpected {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += errors(schema["additionalProperties"], root, v, f"{path}.{key}")
    for key in ("oneOf", "anyOf"):
        if key in schema:
            passing = sum(not errors(sub, root, value, path) for sub in schema[key])
            if passing == 0 or (key == "oneOf" and passing > 1):
                out.append(f"{path}: {passing} of {key} match")
    return out


def keywords(node: Any, in_properties: bool = False) -> set[str]:
    """Every schema keyword used (property names are not keywords)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not in_properties:
                found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    found |= keywords(sub)
            elif key not in ("default", "enum", "const", "required"):
                found |= keywords(value, False)
    elif isinstance(node, list):
        for value in node:
            found |= keywords(value)
    return found


def instance(path: Path) -> Any:
    """A data file as JSON would carry it (keys become strings)."""
    return json.loads(json.dumps(parse_yaml(path.read_bytes(), str(path)).data))


def data_files(root: Path) -> list[Path]:
    return [root / "catalog.yaml", *sorted(root.glob("*/*.yaml"))]


def run(args: list[str]) -> None:
    """``qdb ARGS`` in-process; a clean exit is fine."""
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema as ``qdb schema -o FILE`` writes it."""
    out = tmp_path_factory.mktemp("schema") / "qdb.schema.json"
    run(["schema", "-o", str(out)])
    return dict(json.loads(out.read_text()))


def test_stdout_equals_file(bundle: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    run(["schema"])
    assert json.loads(capsys.readouterr().out) == bundle


def test_structure(bundle: dict[str, Any]) -> None:
    assert bundle["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    refs = [alt["$ref"] for alt in bundle["anyOf"]]
    assert refs == ["#/$defs/Inventory", "#/$defs/Catalog", "#/$defs/Commitment"]
    text = json.dumps(bundle)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        assert ref.removeprefix("#/$defs/") in bundle["$defs"], ref
    used = keywords(bundle)
    assert used <= ANNOTATIONS | ASSERTIONS | {"anyOf"}, used - ANNOTATIONS - ASSERTIONS
    for name, sub in bundle["$defs"].items():
        assert sub["type"] == "object" and sub["additionalProperties"] is False, name
        assert set(sub.get("required", [])) <= set(sub["properties"]), name
    for pattern in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text):
        re.compile(json.loads(f'"{pattern}"'))


def test_keys_and_descriptions(bundle: dict[str, Any]) -> None:
    system = bundle["$defs"]["System"]
    assert "class" in system["properties"] and "class_" not in system["properties"]
    assert system["required"] == ["id", "name", "class", "quantity", "source"]
    assert system["properties"]["readiness"]["default"] == 1  # written as in the data files
    assert "ranged" not in json.dumps(bundle)
    funding = bundle["$defs"]["Commitment"]["properties"]["funding_musd"]
    assert funding["propertyNames"]["pattern"] == "^(199[0-9]|20[0-9][0-9]|2100)$"


def test_defaults_satisfy_their_schemas(bundle: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "default" in node and node["default"] is not None:
                assert errors(node, bundle, node["default"]) == [], node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)


@pytest.mark.parametrize("kind", ["inventory", "catalog", "commitment"])
def test_single_kind(kind: str, bundle: dict[str, Any]) -> None:
    sch = json_schema(kind)
    assert sch["$schema"] == bundle["$schema"]
    name = kind.capitalize()
    assert set(sch["properties"]) == set(bundle["$defs"][name]["properties"])


def test_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schema", "graph"])
    assert exc.value.code == 1
    assert capsys.readouterr().err == (
        "qdb: unknown schema kind 'graph'; choose inventory, catalog, commitment or all\n"
    )


@pytest.mark.parametrize("root", [VALID, bundled_data_dir()], ids=["fixture", "bundled"])
def test_data_files_validate(root: Path, bundle: dict[str, Any]) -> None:
    for path in data_files(root):
        kind = detect_kind({}, path).capitalize()
        assert errors(bundle["$defs"][kind], bundle, instance(path)) == [], path
        assert errors(bundle, bundle, instance(path)) == [], path


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("quantity: 400", "quantity: -4", "systems[1].quantity: 0 of oneOf match"),
        ("readiness: 0.7", "readiness: 1.7", "systems[0].readiness: 0 of oneOf match"),
        ("  isr: {value", "  ISR: {value", "$.enablers.<ISR>: 'ISR' does not match"),
        ("class: mbt", "class: 5", "not string"),
        ("side: ukraine", "side: Ukraine", "does not match"),
        ("    quality: 1.3", "    quality: 1.3\n    colour: red", "unexpected colour"),
        ("as_of: 2024-01-01", "as_of: 2024-02-30", "is not a date"),
    ],
)
def test_schema_rejects_what_the_loader_rejects(
    old: str, new: str, problem: str, bundle: dict[str, Any]
) -> None:
    text = (VALID / "force_inventories" / "ukraine-2024.yaml").read_text().replace(old, new, 1)
    data = json.loads(json.dumps(parse_yaml(text, "x").data))
    found = errors(bundle["$defs"]["Inventory"], bundle, data)
    assert any(problem in e for e in found), found


def test_with_jsonschema_if_installed(bundle: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(bundle)
    validator = jsonschema.Draft202012Validator(bundle)
    for path in data_files(VALID) + data_files(bundled_data_dir()):
        validator.validate(instance(path))


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("pk: 0.8,", "pk: 1.8,", "engages[0].pk: 0 of oneOf match"),
        ("coverage: 0.5", "coverage: 1.5", "lr_sam.coverage: 0 of anyOf match"),
        ("campaign_days: 30", "campaign_days: 0", "campaign_days: 0 violates minimum 1"),
        ("campaign_days: 30", "campaign_days: 2.5", "campaign_days: not integer"),
        ("layers: [lr_sam]", "layers: []", "$.iamd: 0 of anyOf match"),
        (
            "    threats: [cruise_missile]",
            "    threats: [cruise_missile]\n    layers: [x]",
            "unexpected layers",
        ),
        (
            "fires: {munition: shell, rate: 20}",
            "fires: {munition: shell, rate: 0}",
            "howitzer.fires: 0 of anyOf match",
        ),
    ],
)
def test_schema_rejects_what_the_loader_rejects_in_the_catalog(
    old: str, new: str, problem: str, bundle: dict[str, Any]
) -> None:
    """Optional blocks are ``anyOf [block, null]``: a bad value inside shows at the block."""
    text = (VALID / "catalog.yaml").read_text()
    assert old in text
    data = json.loads(json.dumps(parse_yaml(text.replace(old, new, 1), "x").data))
    found = errors(bundle["$defs"]["Catalog"], bundle, data)
    assert any(problem in e for e in found), found


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("every_days: 7", "every_days: 0", "every_days: 0 violates minimum 1"),
        ("first_day: 2", "first_day: -1", "first_day: -1 violates minimum 0"),
        ("size: {kh101: 20}", "size: {}", "too few properties"),
        ("stock: 200000", "stock: -1", "stock: 0 of oneOf match"),
    ],
)
def test_schema_rejects_bad_raids_and_munitions(
    old: str, new: str, problem: str, bundle: dict[str, Any]
) -> None:
    text = (VALID / "force_inventories" / "russia-2024.yaml").read_text()
    assert old in text
    data = json.loads(json.dumps(parse_yaml(text.replace(old, new, 1), "x").data))
    found = errors(bundle["$defs"]["Inventory"], bundle, data)
    assert any(problem in e for e in found), found
