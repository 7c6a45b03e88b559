"""Write what-if changes into data files, keeping everything else byte for byte.

A round-trip dump (even ruamel's) can re-indent, re-quote or re-flow a file.
Here the file text is never re-emitted: ruamel composes the node tree only to
learn where each scalar sits (``start_mark``/``end_mark`` character indices),
and the new number is spliced into the original text in the style of the old
one: an integer stays an integer when the result is whole, and a float stays
a float with at least as many decimals (``0.80`` -> ``0.90``, ``1.0`` ->
``2.0``). So an edit followed by its inverse restores the file exactly as
long as the intermediate result needs no more decimals than the file wrote
(``5`` ``*=0.5`` gives ``2.5``, and ``*=2`` then gives ``5.0``). Values that
are absent (a ``stock``, a training branch) are inserted in the surrounding
style, block or flow.

The result is parsed and validated again and must equal the edited model
before anything is written. Writes are atomic (temporary file, fsync,
rename) and refused when a file's bytes changed since the plan read them.

:func:`plan_write` plans (reads, writes nothing; :meth:`WritePlan.diff` is the
``--dry-run`` output); :func:`write_plan` writes.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qdb.errors import DataError, EditError, Problem
from qdb.models.dataset import Matchup
from qdb.models.estimate import Estimate
from qdb.targets import Target
from qdb.whatif import RATIONALE, AddSystem, Change, RemoveSystem, SetValue, format_number

__all__ = ["FileChange", "WritePlan", "edit_text", "format_like", "plan_write", "write_plan"]

_INT = re.compile(r"[-+]?\d+")
_COMMENT = re.compile(r"(?:(?<=[ \t])|^)#[^\r\n]*", re.M)
"""A comment inside a range (whose keys and values are plain numbers, never ``#``)."""
_FLOAT = re.compile(r"[-+]?(\d*)\.(\d*)")


# --- number text --------------------------------------------------------------------------


def format_like(x: float, token: str | None) -> str:
    """Text of ``x`` in the style of the number ``token`` it replaces.

    Examples
    --------
    >>> format_like(6, "4"), format_like(2, "1.0"), format_like(0.9, "0.80"), format_like(2.5, "2")
    ('6', '2.0', '0.90', '2.5')
    >>> format_like(0.75, "0.375")
    '0.750'
    """
    text = format_number(x)
    if token is None:
        return text
    token = token.strip()
    if _INT.fullmatch(token):
        return text
    m = _FLOAT.fullmatch(token)
    if m:
        want = max(len(m.group(2)), 1)  # a float keeps at least its decimals ("0.80" -> "0.90")
        whole, _dot, frac = text.partition(".")
        if len(frac) < want:
            frac = frac + "0" * (want - len(frac))
        return f"{whole}.{frac}"
    return text


def _estimate_text(e: Estimate, like: str | None = None) -> str:
    if e.ranged:
        return (
            f"{{low: {format_like(e.low, like)}, estimate: {format_like(e.estimate, like)}, "
            f"high: {format_like(e.high, like)}}}"
        )
    return format_like(e.estimate, like)


# --- YAML text of new values ------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_](?:[A-Za-z0-9_\-./ ()]*[A-Za-z0-9_.)])?")
_RESERVED_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def _scalar_text(v: Any) -> str:
    import datetime as dt

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return format_number(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Estimate):
        return _estimate_text(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_scalar_text(k)}: {_scalar_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_scalar_text(x) for x in v) + "]"
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED_WORDS:
        return s
    return json.dumps(s, ensure_ascii=False)


def _source_text(src: Any) -> str:
    data = src.model_dump(mode="python", by_alias=True, exclude_none=True)
    return _scalar_text(data)


# --- the node tree ----------------------------------------------------------------------------


def _compose(text: str) -> Any:
    from qdb.io.yamlread import compose

    return compose(text)


def _is_map(node: Any) -> bool:
    return type(node).__name__ == "MappingNode"


def _is_seq(node: Any) -> bool:
    return type(node).__name__ == "SequenceNode"


def _is_scalar(node: Any) -> bool:
    return type(node).__name__ == "ScalarNode"


def _get(node: Any, key: str) -> tuple[Any, Any] | None:
    if not _is_map(node):
        return None
    for k, v in node.value:
        if _is_scalar(k) and k.value == key:
            return k, v
    return None


def _find_item(seq: Any, key: str, value: str) -> int | None:
    if not _is_seq(seq):
        return None
    for i, item in enumerate(seq.value):
        kv = _get(item, key)
        if kv is not None and _is_scalar(kv[1]) and kv[1].value == value:
            return i
    return None


def _last_end(node: Any) -> int:
    """End index of the last scalar inside ``node`` (block collections' marks run on)."""
    if _is_scalar(node) or node.flow_style:
        return int(node.end_mark.index)
    if not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    return _last_end(last[1] if isinstance(last, tuple) else last)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    """Index of the newline that ends the line holding ``pos - 1`` (or len(text))."""
    if pos > 0 and text[pos - 1] == "\n":
        pos -= 1
        return pos - 1 if pos > 0 and text[pos - 1] == "\r" else pos
    nl = text.find("\n", pos)
    if nl < 0:
        return len(text)
    return nl - 1 if nl > 0 and text[nl - 1] == "\r" else nl


class _Text:
    """The file text being edited, with its newline convention."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.nl = "\r\n" if "\r\n" in text else "\n"

    def splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def root(self) -> Any:
        return _compose(self.text)

    # -- values ----------------------------------------------------------
    def set_value(self, k: Any, v: Any, new: Estimate) -> None:
        """Replace the value ``v`` (of key ``k``) by ``new``."""
        if _is_scalar(v):
            self.splice(v.start_mark.index, v.end_mark.index, _estimate_text(new, v.value))
            return
        parts = {kk.value: vv for kk, vv in v.value if _is_scalar(kk)} if _is_map(v) else {}
        like = parts["estimate"].value if _is_scalar(parts.get("estimate")) else None
        if new.ranged and all(_is_scalar(parts.get(p)) for p in ("low", "estimate", "high")):
            for name, node in sorted(
                ((p, parts[p]) for p in ("low", "estimate", "high")),
                key=lambda pn: -int(pn[1].start_mark.index),
            ):
                self.splice(
                    node.start_mark.index,
                    node.end_mark.index,
                    format_like(getattr(new, name), node.value),
                )
            return
        if v.flow_style:
            start, end, text = v.start_mark.index, v.end_mark.index, _estimate_text(new, like)
        else:
            start, end, text = k.end_mark.index, _last_end(v), ": " + _estimate_text(new, like)
        comments = _COMMENT.findall(self.text[start:end])
        self.splice(start, end, text)
        if comments:  # the range's own comments go above its key, in order
            line = _line_start(self.text, k.start_mark.index)
            indent = " " * k.start_mark.column
            self.splice(line, line, "".join(f"{indent}{c.rstrip()}{self.nl}" for c in comments))

    def insert_key(
        self, mapping: Any, key: str, value_text: str, block_value: str | None = None
    ) -> None:
        """Add ``key: value_text`` at the end of ``mapping`` (block or flow style).

        ``block_value``, when given, is used instead in block style: the text
        after ``key:`` (e.g. a newline and an indented block).
        """
        if mapping.flow_style:
            end = int(mapping.end_mark.index) - 1  # the closing brace
            sep = ", " if mapping.value else ""
            self.splice(end, end, f"{sep}{key}: {value_text}")
            return
        col = mapping.value[0][0].start_mark.column if mapping.value else 2
        pos = _line_end(self.text, _last_end(mapping))
        tail = block_value if block_value is not None else f" {value_text}"
        self.splice(pos, pos, f"{self.nl}{' ' * col}{key}:{tail}")

    def insert_top(self, key: str, body: str, before: str | None = "systems") -> None:
        """Add a top-level ``key:`` with the block ``body`` (already indented)."""
        root = self.root()
        block = f"{key}:{body}{self.nl}"
        kv = _get(root, before) if before else None
        if kv is not None:
            pos = _line_start(self.text, kv[0].start_mark.index)
            self.splice(pos, pos, block)
            return
        if self.text and not self.text.endswith("\n"):
            block = self.nl + block
        self.splice(len(self.text), len(self.text), block)

    def child_indent(self, root: Any) -> int:
        for name in ("sources", "training", "enablers", "classes"):
            kv = _get(root, name)
            if kv is not None and _is_map(kv[1]) and not kv[1].flow_style and kv[1].value:
                return int(kv[1].value[0][0].start_mark.column)
        return 2


def _path_of(t: Target, root: Any, label: str, edit: str) -> tuple[Any, str]:
    """The mapping that holds the value of ``t`` and the key inside it."""

    def missing(what: str) -> EditError:
        return EditError(edit, f"--write cannot find {what} in {label}")

    if t.kind == "system":
        seq = _get(root, "systems")
        i = _find_item(seq[1], "id", t.key) if seq else None
        if seq is None or i is None:
            raise missing(f"system {t.key!r}")
        return seq[1].value[i], t.field
    if t.kind in ("training", "enablers"):
        raise AssertionError("handled by _set_multiplier")
    if t.kind == "munitions":
        muns = _get(root, "munitions")
        mun = _get(muns[1], t.key) if muns and _is_map(muns[1]) else None
        if mun is None or not _is_map(mun[1]):
            raise missing(f"munitions entry {t.key!r}")
        return mun[1], t.field
    if t.kind == "raids":
        seq = _get(root, "raids")
        i = _find_item(seq[1], "id", t.key) if seq else None
        if seq is None or i is None:
            raise missing(f"raid {t.key!r}")
        size = _get(seq[1].value[i], "size")
        if size is None or not _is_map(size[1]):
            raise missing(f"raid {t.key!r} size")
        return size[1], t.field
    if t.kind in ("class", "engages"):
        classes = _get(root, "classes")
        cls = _get(classes[1], t.key) if classes else None
        if cls is None or not _is_map(cls[1]):
            raise missing(f"class {t.key!r}")
        if t.kind == "engages":
            threat, fld = t.field.split(".")
            seq = _get(cls[1], "engages")
            i = _find_item(seq[1], "threat", threat) if seq else None
            if seq is None or i is None:
                raise missing(f"class {t.key!r} engagement of {threat!r}")
            return seq[1].value[i], fld
        if t.field == "fires.rate":
            fires = _get(cls[1], "fires")
            if fires is None or not _is_map(fires[1]):
                raise missing(f"class {t.key!r} fires")
            return fires[1], "rate"
        return cls[1], t.field
    seq = _get(root, "contests")
    i = _find_item(seq[1], "id", t.key) if seq else None
    if seq is None or i is None:
        raise missing(f"contest {t.key!r}")
    con = seq[1].value[i]
    if t.kind in ("threat", "counters"):
        table = _get(con, t.kind)
        if table is None or not _is_map(table[1]):
            raise missing(f"contest {t.key!r} {t.kind}")
        return table[1], t.field
    return con, t.field


def _set(doc: _Text, ch: SetValue, label: str) -> None:
    t = ch.target
    root = doc.root()
    if t.kind in ("training", "enablers"):
        _set_multiplier(doc, root, t, ch.new)
        return
    mapping, key = _path_of(t, root, label, ch.edit)
    kv = _get(mapping, key)
    if kv is not None:
        doc.set_value(kv[0], kv[1], ch.new)
    else:
        doc.insert_key(mapping, key, _estimate_text(ch.new))


def _set_multiplier(doc: _Text, root: Any, t: Target, new: Estimate) -> None:
    value = _estimate_text(new)
    entry = f"{{value: {value}, rationale: {_scalar_text(RATIONALE)}}}"
    table = _get(root, t.kind)
    if table is None:
        indent = " " * doc.child_indent(root)
        doc.insert_top(t.kind, f"{doc.nl}{indent}{t.key}: {entry}")
        return
    k, tv = table
    if not _is_map(tv):  # `training:` with no value (null) or an odd value
        doc.splice(k.end_mark.index, _last_end(tv), f": {{{t.key}: {entry}}}")
        return
    branch = _get(tv, t.key)
    if branch is None:
        doc.insert_key(tv, t.key, entry)
        return
    bk, bv = branch
    if _is_map(bv):
        vk = _get(bv, "value")
        if vk is not None:
            doc.set_value(vk[0], vk[1], new)
            return
        doc.insert_key(bv, "value", value)
        return
    doc.set_value(bk, bv, new)  # a bare number (invalid data; validation will say)


def _remove(doc: _Text, ch: RemoveSystem, label: str) -> None:
    root = doc.root()
    kv = _get(root, "systems")
    i = _find_item(kv[1], "id", ch.system_id) if kv else None
    if kv is None or i is None:
        raise EditError(
            f"{ch.side}:{ch.system_id}", f"--write cannot find the system in {label}", "remove"
        )
    k, seq = kv
    item = seq.value[i]
    if len(seq.value) == 1:
        doc.splice(
            k.end_mark.index, _last_end(seq) if not seq.flow_style else seq.end_mark.index, ": []"
        )
        return
    if seq.flow_style:
        if i + 1 < len(seq.value):
            doc.splice(item.start_mark.index, seq.value[i + 1].start_mark.index, "")
        else:
            doc.splice(_last_end(seq.value[i - 1]), item.end_mark.index, "")
        return
    start = _line_start(doc.text, item.start_mark.index)
    end = _line_end(doc.text, _last_end(item))
    nl = doc.text.find("\n", end)
    doc.splice(start, nl + 1 if nl >= 0 else len(doc.text), "")


def _add(doc: _Text, ch: AddSystem, label: str) -> None:
    root = doc.root()
    for sid, src in ch.sources:
        skv = _get(root, "sources")
        if skv is not None and _is_map(skv[1]) and _get(skv[1], sid) is None:
            doc.insert_key(skv[1], sid, _source_text(src))
            root = doc.root()
    items = list(ch.data.items())
    kv = _get(root, "systems")
    if kv is None or not _is_seq(kv[1]) or (kv[1].flow_style and not kv[1].value):
        indent = doc.child_indent(root)
        body = _block_item(items, indent, indent + 2, doc.nl)
        if kv is None:
            doc.insert_top("systems", doc.nl + body, before=None)
        else:
            doc.splice(kv[0].end_mark.index, _last_end(kv[1]), ":" + doc.nl + body)
        return
    seq = kv[1]
    if seq.flow_style:
        end = int(seq.end_mark.index) - 1
        doc.splice(end, end, ", " + _scalar_text(ch.data))
        return
    dash = seq.start_mark.column
    first = seq.value[0]
    key_col = first.start_mark.column if _is_map(first) and not first.flow_style else dash + 2
    pos = _line_end(doc.text, _last_end(seq))
    doc.splice(pos, pos, doc.nl + _block_item(items, dash, key_col, doc.nl))


def _block_item(items: list[tuple[str, Any]], dash: int, key_col: int, nl: str) -> str:
    lines = []
    for j, (key, value) in enumerate(items):
        lead = " " * dash + "-" + " " * (key_col - dash - 1) if j == 0 else " " * key_col
        lines.append(f"{lead}{key}: {_scalar_text(value)}")
    return nl.join(lines)


def edit_text(text: str, changes: Sequence[Change], label: str = "<file>") -> str:
    """Apply ``changes`` (all for this file) to its ``text``; everything else is kept.

    Parameters
    ----------
    text : str
        The file's text (without a byte-order mark).
    changes : sequence of Change
        Set values, added and removed systems, in order.
    label : str
        The file's name for messages.

    Returns
    -------
    str
        The new text. Not validated here: :func:`plan_write` does that.

    Examples
    --------
    >>> from qdb.targets import parse_target
    >>> from qdb.models.estimate import Estimate
    >>> ch = SetValue(parse_target("ukraine:t64.quantity"), None, Estimate.point(90), "e")
    >>> print(edit_text("systems:\\n  - id: t64  # tanks\\n    quantity: 87  # IISS\\n", [ch]))
    systems:
      - id: t64  # tanks
        quantity: 90  # IISS
    <BLANKLINE>
    """
    doc = _Text(text)
    for ch in changes:
        if isinstance(ch, SetValue):
            _set(doc, ch, label)
        elif isinstance(ch, RemoveSystem):
            _remove(doc, ch, label)
        else:
            _add(doc, ch, label)
    return doc.text


# --- plan and write -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    """One file's bytes before and after."""

    path: Path
    label: str
    before: bytes
    after: bytes

    @property
    def sha256_before(self) -> str:
        """Digest of the bytes the plan read (checked again before writing)."""
        return hashlib.sha256(self.before).hexdigest()

    def diff(self) -> str:
        """Unified diff ``a/label`` -> ``b/label``."""
        a = self.before.decode("utf-8").splitlines(keepends=True)
        b = self.after.decode("utf-8").splitlines(keepends=True)
        lines = list(difflib.unified_diff(a, b, f"a/{self.label}", f"b/{self.label}"))
        return "".join(
            ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines
        )


@dataclass(frozen=True)
class WritePlan:
    """The files ``--write`` would change (unchanged files are left out)."""

    files: tuple[FileChange, ...]

    def diff(self) -> str:
        """Unified diff of every changed file (the ``--dry-run`` output)."""
        return "".join(f.diff() for f in self.files)


def _file_of(before: Matchup, ch: Change, catalog_path: str | None) -> tuple[str, str]:
    """(kind, path) of the file ``ch`` changes."""
    if isinstance(ch, SetValue) and ch.target.scope == "catalog":
        if not catalog_path:
            raise EditError(ch.edit, "--write does not know the catalog file")
        return "catalog", catalog_path
    side = ch.target.scope if isinstance(ch, SetValue) else ch.side
    path = before.blue_path if side == before.blue.side else before.red_path
    if not path:
        what = ch.edit if isinstance(ch, SetValue) else f"{ch.side}"
        raise EditError(what, f"--write does not know the {side} inventory file")
    return side, path


def plan_write(
    before: Matchup,
    after: Matchup,
    changes: Sequence[Change],
    catalog_path: str | None = None,
) -> WritePlan:
    """Read the files ``changes`` touch and compute their new bytes (writes nothing).

    Parameters
    ----------
    before, after : Matchup
        The matchup as loaded (its ``blue_path``/``red_path`` name the files)
        and after the changes.
    changes : sequence of Change
        From :func:`qdb.whatif.plan_edits` or :func:`qdb.whatif.plan_scenario`.
    catalog_path : str, optional
        The catalog file, for ``catalog:`` edits.

    Raises
    ------
    DataError
        A file no longer holds what was loaded (it changed since it was read).
    EditError
        A change cannot be written safely; nothing is written.
    """
    from qdb.io.load import parse_catalog, parse_inventory

    groups: dict[str, tuple[str, list[Change]]] = {}
    for ch in changes:
        kind, path = _file_of(before, ch, catalog_path)
        groups.setdefault(path, (kind, []))[1].append(ch)
    from qdb.io.atomic import read_capped

    files = []
    for path, (kind, chs) in groups.items():
        p = Path(path)
        raw = read_capped(p, path)
        bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
        text = raw.decode("utf-8")[len(bom) :]
        loaded: Any
        try:
            loaded = (
                parse_catalog(text, path)
                if kind == "catalog"
                else parse_inventory(text, path, before.catalog)
            )
        except DataError:
            loaded = None
        expected_before = before.catalog if kind == "catalog" else before.side(kind)
        if loaded != expected_before:
            raise DataError(
                [Problem(path, 1, 1, "", "changed since qdb read it; nothing written, run again")]
            )
        new_text = edit_text(text, chs, path)
        expected = after.catalog if kind == "catalog" else after.side(kind)
        try:
            got: Any = (
                parse_catalog(new_text, path)
                if kind == "catalog"
                else parse_inventory(new_text, path, after.catalog)
            )
        except DataError as exc:
            got = exc
        if got != expected:
            first = chs[0]
            what = first.edit if isinstance(first, SetValue) else f"{first.side}"
            detail = f": {str(got).splitlines()[0]}" if isinstance(got, DataError) else ""
            raise EditError(
                what, f"--write could not change {path} safely{detail}; nothing written"
            )
        new_raw = (bom + new_text).encode("utf-8")
        if new_raw != raw:
            files.append(FileChange(p, path, raw, new_raw))
    return WritePlan(tuple(files))


def write_plan(plan: WritePlan, folder: Path | str | None = None) -> list[str]:
    """Write every file of ``plan``, all or nothing; refuse if any changed since it was read.

    Every file is checked before the first is written. The caller should hold
    :func:`qdb.io.atomic.folder_lock` of the data folder from reading the data
    to this call, so that no other qdb writes in between. Several files are
    committed with a journal in ``folder`` (see :func:`qdb.io.atomic.commit_files`).

    Parameters
    ----------
    plan : WritePlan
        From :func:`plan_write`.
    folder : Path or str, optional
        The data folder (for the journal); default: the first file's folder.

    Returns
    -------
    list of str
        The labels of the files written.

    Raises
    ------
    DataError
        A file's bytes differ from those the plan read (nothing written).
    FileWriteError
        A file could not be written (nothing written, or, after the commit
        point, the next run on the folder completes the commit).
    """
    from qdb.io.atomic import commit_files, read_capped

    for f in plan.files:
        now = read_capped(f.path, f.label)
        if hashlib.sha256(now).hexdigest() != f.sha256_before:
            raise DataError(
                [
                    Problem(
                        f.label, 1, 1, "", "changed since qdb read it; nothing written, run again"
                    )
                ]
            )
    if not plan.files:
        return []
    where = Path(folder) if folder is not None else plan.files[0].path.parent
    commit_files(where, [(f.path, f.after) for f in plan.files])
    return [f.label for f in plan.files]
