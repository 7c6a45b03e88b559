"""Load data files into validated models, every problem located.

Three stages (file -> frozen validated records -> runtime structures):
:func:`parse_yaml` gives plain data plus a position tree; pydantic validates
the records; :mod:`qdb.models.checks` makes the cross-file checks. Every
problem becomes one ``path:line:col: field: message`` line.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from qdb.errors import DataError, Problem
from qdb.io.yamlread import YamlDoc, field_path, locate, parse_yaml
from qdb.models import Catalog, Commitment, Dataset, Inventory
from qdb.models.checks import Finding, check_catalog, check_commitment, check_dataset, check_inventory

__all__ = [
    "LoadResult",
    "bundled_data_dir",
    "detect_kind",
    "load_catalog",
    "load_commitment",
    "load_dataset",
    "load_inventory",
    "parse_catalog",
    "parse_commitment",
    "parse_inventory",
    "validate_paths",
]

M = TypeVar("M", bound=BaseModel)

KINDS: dict[str, type[BaseModel]] = {
    "inventory": Inventory,
    "catalog": Catalog,
    "commitment": Commitment,
}


def bundled_data_dir() -> Path:
    """The data folder shipped with qdb (wheel: ``qdb/_data``; checkout: ``data/``)."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "_data", here.parent / "data"):
        if (cand / "catalog.yaml").is_file():
            return cand
    raise DataError([Problem(str(here / "_data"), 1, 1, "", "bundled data not found; reinstall qdb")])


def display_path(path: Path) -> str:
    """A path relative to the working directory where that is shorter."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return str(rel)
    except ValueError:
        return str(path)


# --- pydantic errors -> problems -------------------------------------------------

_MESSAGES = {
    "missing": "required key is missing",
    "bool_type": "must be true or false",
    "date_from_datetime_parsing": "must be a date YYYY-MM-DD",
}


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str] | None:
    """Keys the model accepts at ``loc`` (for did-you-mean hints)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = None
            for name, f in tp.model_fields.items():
                if part in (name, f.alias):
                    field = f
                    break
            if field is None:
                return None
            tp = field.annotation
        else:
            origin = typing.get_origin(tp)
            args = typing.get_args(tp)
            if origin in (list, tuple) and args:
                tp = args[0]
            elif origin is dict and len(args) == 2:
                tp = args[1]
            else:
                return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _problems_from_validation(doc: YamlDoc, model: type[BaseModel], exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        etype = err["type"]
        msg = _MESSAGES.get(etype, err["msg"])
        if etype == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1]) or []
            bad = str(loc[-1]) if loc else ""
            close = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
            msg = f"unknown key {bad!r}" + (
                f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
            )
        elif etype == "missing":
            msg = f"required key {loc[-1]!r} is missing" if loc else msg
        elif etype.startswith("date"):
            msg = f"must be a date YYYY-MM-DD (got {err.get('input')!r})"
        elif etype == "literal_error":
            msg = f"{err['msg'].replace('Input should be', 'must be')} (got {err.get('input')!r})"
        elif etype == "string_pattern_mismatch":
            msg = f"{err.get('input')!r} is not a valid identifier (lower-case letters, digits, _)"
        elif etype in ("int_type", "int_parsing", "int_from_float"):
            msg = f"must be a whole number (got {err.get('input')!r})"
        elif etype in ("dict_type", "model_type"):
            msg = f"must be a mapping of keys (got {type(err.get('input')).__name__})"
        elif etype == "list_type":
            msg = f"must be a list (got {type(err.get('input')).__name__})"
        elif etype in ("string_type",):
            msg = f"must be text (got {type(err.get('input')).__name__} {err.get('input')!r})"
        else:
            msg = msg.replace("Input should be", "must be").replace("Value error, ", "")
        line, col = locate(doc.tree, loc if etype != "missing" else loc[:-1])
        out.append(Problem(doc.path, line, col, field_path(doc.tree, loc), msg))
    return out


def _validate(doc: YamlDoc, model: type[M], catalog: Catalog | None = None) -> M:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = _problems_from_validation(doc, model, exc)
        if model is Inventory:
            # list the reference problems too, so one run shows all of a file's problems
            problems += [p for p in _located(doc, raw_inventory_refs(doc.data, catalog)) if p not in problems]
        raise DataError(problems) from None


def raw_inventory_refs(data: Any, catalog: Catalog | None) -> list[Finding]:
    """Reference checks on unvalidated inventory data (ids, classes, sources)."""
    out: list[Finding] = []
    if not isinstance(data, dict) or not isinstance(data.get("systems"), list):
        return out
    sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
    seen: dict[Any, int] = {}
    for i, s in enumerate(data["systems"]):
        if not isinstance(s, dict):
            continue
        sid = s.get("id")
        if isinstance(sid, str):
            if sid in seen:
                out.append(Finding(("systems", i, "id"), f"duplicate system id {sid!r} (first at systems[{seen[sid]}])"))
            seen.setdefault(sid, i)
        cls = s.get("class")
        if catalog is not None and isinstance(cls, str) and cls not in catalog.classes:
            close = difflib.get_close_matches(cls, list(catalog.classes), n=1, cutoff=0.6)
            out.append(
                Finding(("systems", i, "class"), f"unknown class {cls!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
            )
        src = s.get("source")
        if isinstance(src, str) and sources and src not in sources:
            close = difflib.get_close_matches(src, [str(k) for k in sources], n=1, cutoff=0.6)
            out.append(
                Finding(("systems", i, "source"), f"unknown source {src!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
            )
    return out


def _located(doc: YamlDoc, findings: Iterable[Finding]) -> list[Problem]:
    return [
        Problem(doc.path, *locate(doc.tree, f.loc), field_path(doc.tree, f.loc), f.message, f.severity)
        for f in findings
    ]


def _read(path: Path | str) -> YamlDoc:
    p = Path(path)
    label = display_path(p)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    from qdb.io.yamlread import MAX_BYTES

    if size > MAX_BYTES:
        raise DataError(
            [Problem(label, 1, 1, "", f"file is {size / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")]
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_yaml(raw, label)


# --- public parse/load per kind ----------------------------------------------------


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Validate catalog YAML text (all problems raised together as DataError)."""
    doc = parse_yaml(text, source)
    cat = _validate(doc, Catalog)
    errs = [p for p in _located(doc, check_catalog(cat)) if p.severity == "error"]
    if errs:
        raise DataError(errs)
    return cat


def parse_inventory(text: str, source: str = "<inventory>", catalog: Catalog | None = None) -> Inventory:
    """Validate inventory YAML text; with ``catalog``, also its classes."""
    doc = parse_yaml(text, source)
    inv = _validate(doc, Inventory)
    if catalog is not None:
        errs = [p for p in _located(doc, check_inventory(inv, catalog)) if p.severity == "error"]
        if errs:
            raise DataError(errs)
    return inv


def parse_commitment(text: str, source: str = "<commitment>", catalog: Catalog | None = None) -> Commitment:
    """Validate commitment YAML text; with ``catalog``, also its classes."""
    doc = parse_yaml(text, source)
    com = _validate(doc, Commitment)
    if catalog is not None:
        errs = [p for p in _located(doc, check_commitment(com, catalog)) if p.severity == "error"]
        if errs:
            raise DataError(errs)
    return com


def load_catalog(path: Path | str) -> Catalog:
    """Read and validate a catalog file."""
    doc = _read(path)
    return parse_catalog(doc.text, doc.path)


def load_inventory(path: Path | str, catalog: Catalog | None = None) -> Inventory:
    """Read and validate an inventory file."""
    doc = _read(path)
    return parse_inventory(doc.text, doc.path, catalog)


def load_commitment(path: Path | str, catalog: Catalog | None = None) -> Commitment:
    """Read and validate a commitment file."""
    doc = _read(path)
    return parse_commitment(doc.text, doc.path, catalog)


# --- whole folders ---------------------------------------------------------------------


class LoadResult:
    """A loaded dataset with its warnings and the parsed documents (for positions)."""

    def __init__(self, dataset: Dataset, warnings: list[Problem], docs: dict[str, YamlDoc]) -> None:
        self.dataset = dataset
        self.warnings = warnings
        self.docs = docs


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_dataset(data_dir: Path | str | None = None) -> LoadResult:
    """Load and cross-check a data folder (``catalog.yaml``, ``force_inventories/``,
    optional ``commitments/``). Every problem of every file is collected before
    raising.

    Raises
    ------
    DataError
        Listing every error; warnings are returned in :class:`LoadResult`.
    """
    root = Path(data_dir) if data_dir is not None else bundled_data_dir()
    if not root.is_dir():
        raise DataError([Problem(display_path(root), 1, 1, "", "not a folder; --data wants a folder laid out like data/")])
    cat_path = root / "catalog.yaml"
    if not cat_path.is_file():
        raise DataError([Problem(display_path(cat_path), 1, 1, "", "missing: a data folder needs catalog.yaml")])
    problems: list[Problem] = []
    docs: dict[str, YamlDoc] = {}
    catalog: Catalog | None = None

    def read_model(path: Path, model: type[M]) -> M | None:
        try:
            doc = _read(path)
            docs[doc.path] = doc
            return _validate(doc, model, catalog)
        except DataError as exc:
            problems.extend(exc.problems)
            return None

    catalog = read_model(cat_path, Catalog)
    if catalog is not None:
        cat_errors = [p for p in _located(docs[display_path(cat_path)], check_catalog(catalog)) if p.severity == "error"]
        problems.extend(cat_errors)
    inv_files = _yaml_files(root / "force_inventories")
    if not inv_files:
        problems.append(
            Problem(display_path(root / "force_inventories"), 1, 1, "", "no inventory files (*.yaml) found")
        )
    inventories = [(read_model(p, Inventory), p) for p in inv_files]
    commitments = [(read_model(p, Commitment), p) for p in _yaml_files(root / "commitments")]
    if problems or catalog is None:
        raise DataError(problems)
    invs = [(m, display_path(p)) for m, p in inventories if m is not None]
    coms = [(m, display_path(p)) for m, p in commitments if m is not None]
    ds = Dataset(
        catalog=catalog,
        inventories=tuple(m for m, _ in invs),
        commitments=tuple(m for m, _ in coms),
        catalog_path=display_path(cat_path),
        inventory_paths=tuple(p for _, p in invs),
        commitment_paths=tuple(p for _, p in coms),
    )
    located: list[Problem] = []
    for path, finding in check_dataset(ds):
        if path == ds.catalog_path and finding in check_catalog(catalog):
            continue  # reported above
        located.extend(_located(docs[path], [finding]))
    errors = [p for p in located if p.severity == "error"]
    if errors:
        raise DataError(errors)
    return LoadResult(ds, sorted(p for p in located if p.severity == "warning"), docs)


def detect_kind(data: Any, path: Path) -> str:
    """Guess a file's kind from its folder, then from its keys."""
    parent = path.parent.name
    if parent == "force_inventories":
        return "inventory"
    if parent == "commitments":
        return "commitment"
    if path.name.startswith("catalog"):
        return "catalog"
    if isinstance(data, dict):
        if "classes" in data or "contests" in data:
            return "catalog"
        if "partner" in data or "instrument" in data:
            return "commitment"
    return "inventory"


def validate_paths(paths: list[Path], catalog_path: Path | None = None) -> list[Problem]:
    """Validate files or data folders; returns warnings, raises DataError on errors.

    A single inventory or commitment file is checked against the catalog of its
    data folder (``../../catalog.yaml``) if there is one, else the bundled catalog.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for path in paths:
        if path.is_dir():
            try:
                res = load_dataset(path)
                warnings.extend(res.warnings)
            except DataError as exc:
                problems.extend(exc.problems)
            continue
        try:
            doc = _read(path)
            kind = detect_kind(doc.data, path)
            model = _validate(doc, KINDS[kind])
            findings: list[Finding] = []
            if kind == "catalog":
                assert isinstance(model, Catalog)
                findings = check_catalog(model)
            else:
                cat_file = catalog_path or path.resolve().parent.parent / "catalog.yaml"
                cat = load_catalog(cat_file) if cat_file.is_file() else load_catalog(
                    bundled_data_dir() / "catalog.yaml"
                )
                if isinstance(model, Inventory):
                    findings = check_inventory(model, cat)
                elif isinstance(model, Commitment):
                    findings = check_commitment(model, cat)
            for p in _located(doc, findings):
                (problems if p.severity == "error" else warnings).append(p)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return sorted(warnings)
