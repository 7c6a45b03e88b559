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
        sch = models[kind].model_json_schema(by_alias=True)
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
    for name, model in models.items():
        sch = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        bundle["$defs"].update(sch.pop("$defs", {}))
        bundle["$defs"][model.__name__] = sch
        bundle["anyOf"].append({"$ref": f"#/$defs/{model.__name__}"})
    return bundle
