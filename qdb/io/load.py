"""Load data files into validated models, every problem located.

Three stages (file -> frozen validated records -> runtime structures):
:func:`parse_yaml` gives plain data plus a position tree; pydantic validates
the records; :mod:`qdb.models.checks` makes the cross-file checks. Every
problem becomes one ``path:line:col: field: message`` line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from qdb.errors import DataError, Problem
from qdb.io.atomic import read_capped
from qdb.io.yamlread import YamlDoc, field_path, locate, parse_yaml
from qdb.models import Catalog, Commitment, Dataset, Inventory
from qdb.models.checks import (
    Finding,
    check_catalog,
    check_commitment,
    check_contest,
    check_dataset,
    check_inventory,
    suggest,
)

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
    raise DataError(
        [Problem(str(here / "_data"), 1, 1, "", "bundled data not found; reinstall qdb")]
    )


def display_path(path: Path) -> str:
    """A path relative to the working directory where that is shorter."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return str(rel)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return str(path)


# --- pydantic errors -> problems -------------------------------------------------

_PATTERN_HINTS = {
    r"^[a-z][a-z0-9_]*$": "lower-case letters, digits and _, starting with a letter",
    r"^[A-Za-z0-9][A-Za-z0-9_\-]*$": "letters, digits, _ and -, starting with a letter or digit",
}

_BOUND_WORDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def _type_at(model: Any, loc: tuple[Any, ...]) -> Any:
    """The annotation the model expects at ``loc`` (None when it cannot tell)."""
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
    return _unwrap(tp)


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str] | None:
    """Keys the model accepts at ``loc`` (for did-you-mean hints)."""
    tp = _type_at(model, loc)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return None


def _required_keys(model: Any, loc: tuple[Any, ...]) -> list[str]:
    tp = _type_at(model, loc)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items() if f.is_required()]
    return []


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


def _got(value: Any) -> str:
    """A value as a user would name it: ``text 'x'``, ``a list``, ``empty (null)``."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, int | float):
        return f"the number {value:g}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {repr(value)[:40]}"


def _message(err: Any, model: type[BaseModel], loc: tuple[Any, ...], is_key: bool) -> str:
    """One pydantic error as a sentence saying what is wrong and what would be right."""
    etype = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1]) or []
        bad = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
        return f"unknown key {bad!r}" + (
            f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
        )
    if etype == "missing":
        return f"required key {loc[-1]!r} is missing" if loc else "required key is missing"
    if etype.startswith("date"):
        if value is None:
            return "is empty; expected a date YYYY-MM-DD"
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value.strip()):
            try:
                dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                return f"{value!r} is not a real date ({exc})"
        return f"must be a date YYYY-MM-DD (got {value!r})"
    if etype == "literal_error":
        return f"must be {ctx.get('expected', '?')} (got {_got(value)})"
    if etype == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        rule = _PATTERN_HINTS.get(pattern, f"matching {pattern}")
        hint = ""
        if isinstance(value, str):
            slug = pattern.startswith("^[a-z]")
            fixed = value.strip().lower() if slug else value.strip()
            fixed = re.sub(r"[^a-z0-9_]+" if slug else r"[^A-Za-z0-9_\-]+", "_", fixed).strip("_")
            if fixed and fixed != value and re.match(pattern, fixed):
                hint = f"; did you mean {fixed!r}?"
        return f"{value!r} is not a valid {'key' if is_key else 'identifier'} ({rule}){hint}"
    if etype == "string_too_short":
        return "must not be empty"
    if etype == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if etype in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return f"must be a whole number, not text; write {value.strip()} without quotes"
        if is_key:
            return f"must be a year like 2025 (got {_got(value)})"
        return f"must be a whole number (got {_got(value)})"
    if etype in ("float_type", "float_parsing"):
        return f"must be a number (got {_got(value)})"
    if etype in _BOUND_WORDS:
        sign, key = _BOUND_WORDS[etype]
        limit = ctx.get(key)
        if limit in (1990, 2100) and isinstance(value, int):
            return f"must be a year from 1990 to 2100 (got {value})"
        return f"must be {sign} {limit} (got {value!r})"
    if etype in ("dict_type", "model_type"):
        required = _required_keys(model, loc)
        from qdb.models import Multiplier

        if _type_at(model, loc) is Multiplier:
            example = (
                value if isinstance(value, int | float) and not isinstance(value, bool) else 1.1
            )
            return (
                f"must be a mapping {{value, rationale}}, not {_got(value)}; "
                f'e.g. {{value: {example}, rationale: "why, with a source"}}'
            )
        if required:
            return f"must be a mapping with keys {', '.join(required)} (got {_got(value)})"
        return f"must be a mapping of keys (got {_got(value)})"
    if etype == "list_type":
        return f"must be a list (got {_got(value)})"
    if etype == "too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} item{'s' if n != 1 else ''}"
    if etype == "too_long":
        n = ctx.get("max_length")
        return f"takes at most {n} item{'s' if n != 1 else ''}"
    if etype == "string_type":
        return f"must be text (got {_got(value)})"
    if etype == "bool_type":
        return f"must be true or false (got {_got(value)})"
    msg = str(err["msg"])
    return msg.replace("Input should be", "must be").replace("Value error, ", "")


def _problems_from_validation(
    doc: YamlDoc, model: type[BaseModel], exc: ValidationError
) -> list[Problem]:
    errors = exc.errors(include_url=False)
    # a misspelt key explains its own missing key: report only the misspelling
    explained: set[tuple[Any, ...]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden" and loc:
            allowed = _allowed_keys(model, loc[:-1]) or []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            if close:
                explained.add((*loc[:-1], close[0]))
    out: list[Problem] = []
    for err in errors:
        raw_loc = tuple(err["loc"])
        if err["type"] == "missing" and raw_loc in explained:
            continue
        is_key = "[key]" in raw_loc
        loc = tuple(p for p in raw_loc if p != "[key]")
        msg = _message(err, model, loc, is_key)
        if err["type"] == "missing":
            line, col = locate(doc.tree, loc[:-1])
        else:
            line, col = locate(doc.tree, loc, key=is_key or err["type"] == "extra_forbidden")
        out.append(Problem(doc.path, line, col, field_path(doc.tree, loc), msg))
    return out


def _validate(doc: YamlDoc, model: type[M], catalog: Catalog | None = None) -> M:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = _problems_from_validation(doc, model, exc)
        # list the reference problems too, so one run shows all of a file's problems
        refs: list[Finding] = []
        if model is Inventory:
            refs = raw_inventory_refs(doc.data, catalog)
        elif model is Commitment:
            refs = raw_commitment_refs(doc.data, catalog)
        elif model is Catalog:
            refs = raw_catalog_refs(doc.data)
        problems += [p for p in _located(doc, refs) if p not in problems]
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
                out.append(
                    Finding(
                        ("systems", i, "id"),
                        f"duplicate system id {sid!r} (first at systems[{seen[sid]}])",
                    )
                )
            seen.setdefault(sid, i)
        cls = s.get("class")
        if catalog is not None and isinstance(cls, str) and cls not in catalog.classes:
            out.append(
                Finding(
                    ("systems", i, "class"),
                    f"unknown class {cls!r}" + suggest(cls, catalog.classes),
                )
            )
        src = s.get("source")
        if isinstance(src, str) and sources and src not in sources:
            out.append(
                Finding(
                    ("systems", i, "source"),
                    f"unknown source {src!r}" + suggest(src, [str(k) for k in sources]),
                )
            )
    return out


def raw_catalog_refs(data: Any) -> list[Finding]:
    """The catalog's cross checks on unvalidated data: each contest that is valid
    on its own is checked against the classes and sources present, and the
    thresholds are checked for order."""
    from qdb.models import CapabilityClass, Contest, Thresholds

    out: list[Finding] = []
    if not isinstance(data, dict):
        return out
    raw_classes: dict[Any, Any] = data["classes"] if isinstance(data.get("classes"), dict) else {}
    classes: dict[str, CapabilityClass | None] = {}
    for cid, body in raw_classes.items():
        try:
            classes[str(cid)] = CapabilityClass.model_validate(body)
        except ValidationError:
            classes[str(cid)] = None
    raw_sources = data.get("sources")
    sources = [str(k) for k in raw_sources] if isinstance(raw_sources, dict) else []
    contests: list[Any] = data["contests"] if isinstance(data.get("contests"), list) else []
    seen: dict[Any, int] = {}
    for i, raw in enumerate(contests):
        cid = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(cid, str):
            if cid in seen:
                out.append(
                    Finding(
                        ("contests", i, "id"),
                        f"duplicate contest id {cid!r} (first at contests[{seen[cid]}])",
                    )
                )
            seen.setdefault(cid, i)
        try:
            con = Contest.model_validate(raw)
        except ValidationError:
            continue
        out.extend(check_contest(i, con, classes, sources))
    try:
        th = Thresholds.model_validate(data.get("thresholds", {}))
    except ValidationError:
        return out
    if th.matched >= th.offset:
        out.append(
            Finding(
                ("thresholds", "matched"),
                f"matched ({th.matched:g}) must be below offset ({th.offset:g})",
            )
        )
    return out


def raw_commitment_refs(data: Any, catalog: Catalog | None) -> list[Finding]:
    """Reference checks on unvalidated commitment data (delivery classes)."""
    out: list[Finding] = []
    if catalog is None or not isinstance(data, dict):
        return out
    deliveries = data.get("deliveries")
    if not isinstance(deliveries, list):
        return out
    for i, d in enumerate(deliveries):
        cls = d.get("class") if isinstance(d, dict) else None
        if isinstance(cls, str) and cls not in catalog.classes:
            out.append(
                Finding(
                    ("deliveries", i, "class"),
                    f"unknown class {cls!r}" + suggest(cls, catalog.classes),
                )
            )
    return out


def _located(doc: YamlDoc, findings: Iterable[Finding]) -> list[Problem]:
    return [
        Problem(
            doc.path, *locate(doc.tree, f.loc), field_path(doc.tree, f.loc), f.message, f.severity
        )
        for f in findings
    ]


def _read(path: Path | str) -> YamlDoc:
    p = Path(path)
    label = display_path(p)
    return parse_yaml(read_capped(p, label), label)


# --- public parse/load per kind ----------------------------------------------------


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Validate catalog YAML text (all problems raised together as DataError)."""
    doc = parse_yaml(text, source)
    cat = _validate(doc, Catalog)
    errs = [p for p in _located(doc, check_catalog(cat)) if p.severity == "error"]
    if errs:
        raise DataError(errs)
    return cat


def parse_inventory(
    text: str, source: str = "<inventory>", catalog: Catalog | None = None
) -> Inventory:
    """Validate inventory YAML text; with ``catalog``, also its classes."""
    doc = parse_yaml(text, source)
    inv = _validate(doc, Inventory, catalog)
    if catalog is not None:
        errs = [p for p in _located(doc, check_inventory(inv, catalog)) if p.severity == "error"]
        if errs:
            raise DataError(errs)
    return inv


def parse_commitment(
    text: str, source: str = "<commitment>", catalog: Catalog | None = None
) -> Commitment:
    """Validate commitment YAML text; with ``catalog``, also its classes."""
    doc = parse_yaml(text, source)
    com = _validate(doc, Commitment, catalog)
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


YAML_SUFFIXES = (".yaml", ".yml")
"""Data file suffixes, matched case-insensitively (``.YAML`` is a data file too)."""


def _yaml_files(folder: Path, problems: list[Problem] | None = None) -> list[Path]:
    """The YAML files of ``folder``, sorted; a folder that cannot be listed is a problem."""
    try:
        if not folder.is_dir():
            return []
        entries = list(folder.iterdir())
    except OSError as exc:
        if problems is not None:
            problems.append(
                Problem(display_path(folder), 1, 1, "", f"cannot list: {exc.strerror or exc}")
            )
        return []
    out = []
    for p in entries:
        if p.suffix.lower() not in YAML_SUFFIXES:
            continue
        try:
            if p.is_dir():
                continue
        except OSError:
            pass  # a symlink loop or unreadable entry: reading it reports the problem
        out.append(p)
    return sorted(out)


@dataclass
class FolderSnapshot:
    """The bytes of a data folder's files, each read once (the cache key and the
    parser see the same bytes).

    ``raw`` maps each file to its bytes or to the problem reading it; ``problems``
    are the folder-level problems (missing catalog, unlistable folder).
    """

    root: Path
    catalog: Path
    inventories: list[Path]
    commitments: list[Path]
    raw: dict[Path, bytes | DataError] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every data file, catalog first."""
        return [self.catalog, *self.inventories, *self.commitments]


_LAYOUT = "a data folder holds catalog.yaml, force_inventories/ and optionally commitments/"


def read_folder(root: Path) -> FolderSnapshot:
    """Read every data file of ``root`` once (capped, see :func:`read_capped`).

    Raises
    ------
    DataError
        ``root`` is not a data folder.
    """
    if not root.exists():
        raise DataError([Problem(display_path(root), 1, 1, "", f"no such folder; {_LAYOUT}")])
    if not root.is_dir():
        raise DataError([Problem(display_path(root), 1, 1, "", f"not a folder; {_LAYOUT}")])
    cat_path = root / "catalog.yaml"
    if not cat_path.exists() and not cat_path.is_symlink():
        raise DataError(
            [Problem(display_path(cat_path), 1, 1, "", f"missing; not a data folder: {_LAYOUT}")]
        )
    problems: list[Problem] = []
    inv_dir = root / "force_inventories"
    inv_files = _yaml_files(inv_dir, problems)
    if not inv_files and not problems:
        what = "no inventory files (*.yaml) in it" if inv_dir.is_dir() else "missing"
        problems.append(Problem(display_path(inv_dir), 1, 1, "", f"{what}; {_LAYOUT}"))
    com_files = _yaml_files(root / "commitments", problems)
    snap = FolderSnapshot(root, cat_path, inv_files, com_files, problems=problems)
    for f in snap.files:
        try:
            snap.raw[f] = read_capped(f, display_path(f))
        except DataError as exc:
            snap.raw[f] = exc
    return snap


def load_dataset(
    data_dir: Path | str | None = None, snapshot: FolderSnapshot | None = None
) -> LoadResult:
    """Load and cross-check a data folder (``catalog.yaml``, ``force_inventories/``,
    optional ``commitments/``). Every problem of every file is collected before
    raising.

    Parameters
    ----------
    data_dir : Path or str, optional
        The folder (default: the bundled data).
    snapshot : FolderSnapshot, optional
        Its files as already read by :func:`read_folder` (they are not read again).

    Raises
    ------
    DataError
        Listing every error; warnings are returned in :class:`LoadResult`.
    """
    root = Path(data_dir) if data_dir is not None else bundled_data_dir()
    snap = snapshot if snapshot is not None else read_folder(root)
    problems: list[Problem] = list(snap.problems)
    docs: dict[str, YamlDoc] = {}
    catalog: Catalog | None = None
    cat_path = snap.catalog

    def read_model(path: Path, model: type[M]) -> M | None:
        try:
            raw = snap.raw[path]
            if isinstance(raw, DataError):
                raise raw
            doc = parse_yaml(raw, display_path(path))
            docs[doc.path] = doc
            return _validate(doc, model, catalog)
        except DataError as exc:
            problems.extend(exc.problems)
            return None

    catalog = read_model(cat_path, Catalog)
    if catalog is not None:
        cat_errors = [
            p
            for p in _located(docs[display_path(cat_path)], check_catalog(catalog))
            if p.severity == "error"
        ]
        problems.extend(cat_errors)
    inventories = [(read_model(p, Inventory), p) for p in snap.inventories]
    commitments = [(read_model(p, Commitment), p) for p in snap.commitments]
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
    cat_errors_seen = [f for f in check_catalog(catalog) if f.severity == "error"]
    for path, finding in check_dataset(ds):
        if path == ds.catalog_path and finding in cat_errors_seen:
            continue  # reported above (the catalog's warnings are reported here)
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

    A data folder (with ``catalog.yaml``) is loaded and cross-checked as a whole;
    another folder has each of its ``*.yaml`` files checked. A single inventory or
    commitment file is checked against ``catalog_path``, else the catalog of its
    data folder (``../catalog.yaml``) if there is one, else the bundled catalog.

    Raises
    ------
    DataError
        Listing every error of every path.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            if not (path / "catalog.yaml").is_file() and _yaml_files(path):
                files.extend(_yaml_files(path))
                continue
            try:
                res = load_dataset(path)
                warnings.extend(res.warnings)
            except DataError as exc:
                problems.extend(exc.problems)
            continue
        files.append(path)
    catalogs: dict[Path, Catalog | None] = {}
    for path in files:
        try:
            doc = _read(path)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        kind = detect_kind(doc.data, path)
        cat: Catalog | None = None
        if kind != "catalog":
            cat_file = catalog_path or path.resolve().parent.parent / "catalog.yaml"
            if not cat_file.is_file():
                cat_file = bundled_data_dir() / "catalog.yaml"
            if cat_file not in catalogs:
                try:
                    catalogs[cat_file] = load_catalog(cat_file)
                except DataError as exc:
                    problems.extend(p for p in exc.problems if p not in problems)
                    catalogs[cat_file] = None
            cat = catalogs[cat_file]
        try:
            model = _validate(doc, KINDS[kind], cat)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        findings: list[Finding] = []
        if isinstance(model, Catalog):
            findings = check_catalog(model)
        elif isinstance(model, Inventory) and cat is not None:
            findings = check_inventory(model, cat)
        elif isinstance(model, Commitment) and cat is not None:
            findings = check_commitment(model, cat)
        for p in _located(doc, findings):
            (problems if p.severity == "error" else warnings).append(p)
    if problems:
        raise DataError(problems)
    return sorted(warnings)
