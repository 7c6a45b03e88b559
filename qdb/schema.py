"""JSON Schema of the data files, generated from the pydantic models."""

from __future__ import annotations

from typing import Any

from qdb.errors import SelectionError

__all__ = ["json_schema"]


def json_schema(kind: str = "all") -> dict[str, Any]:
    """The JSON Schema of one file kind, or of all three (``kind="all"``).

    Raises
    ------
    SelectionError
        For an unknown kind.
    """
    from qdb.models import Catalog, Commitment, Inventory

    models: dict[str, Any] = {"inventory": Inventory, "catalog": Catalog, "commitment": Commitment}
    if kind in models:
        sch = _tidy(models[kind].model_json_schema(by_alias=True))
        sch["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        sch.setdefault("title", kind)
        return dict(sch)
    if kind != "all":
        raise SelectionError(
            f"unknown schema kind {kind!r}; choose inventory, catalog, commitment or all"
        )
    bundle: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "qdb data file",
        "description": "A qdb force inventory, catalog or commitment file.",
        "$defs": {},
        "anyOf": [],
    }
    for model in models.values():
        sch = _tidy(model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}"))
        bundle["$defs"].update(sch.pop("$defs", {}))
        bundle["$defs"][model.__name__] = sch
        bundle["anyOf"].append({"$ref": f"#/$defs/{model.__name__}"})
    return bundle


_YEAR_KEY = {"pattern": "^(199[0-9]|20[0-9][0-9]|2100)$", "description": "A year, 1990-2100."}


def _tidy(node: Any) -> Any:
    """Make the generated schema say what the loader checks, in place.

    Estimate defaults are written as in the data files (a number or {low,
    estimate, high}); identifier keys go into ``propertyNames`` so that other
    keys are refused; year keys (``funding_musd``) are constrained. Returns
    ``node``.
    """
    if isinstance(node, dict):
        default = node.get("default")
        if isinstance(default, dict) and set(default) == {"low", "estimate", "high", "ranged"}:
            if default["ranged"]:
                node["default"] = {k: default[k] for k in ("low", "estimate", "high")}
            else:
                node["default"] = default["estimate"]
        pattern_props = node.get("patternProperties")
        if isinstance(pattern_props, dict) and len(pattern_props) == 1:
            # keys must match the pattern (pydantic would let other keys through)
            ((pattern, value_schema),) = pattern_props.items()
            del node["patternProperties"]
            node.setdefault("propertyNames", {})["pattern"] = pattern
            node.setdefault("additionalProperties", value_schema)
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("funding_musd"), dict):
            props["funding_musd"].setdefault("propertyNames", dict(_YEAR_KEY))
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)
    return node
