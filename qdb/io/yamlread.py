"""Safe YAML reading with positions: ruamel.yaml (YAML 1.2) only.

Refuses, before or while parsing: files over :data:`MAX_BYTES`, non-UTF-8 or
binary content, anchors and aliases (alias bombs), duplicate keys, nesting
deeper than :data:`MAX_DEPTH`. Timestamps stay strings so that pydantic reports
a bad date at its own position instead of the YAML constructor crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qdb.errors import DataError, Problem

__all__ = ["MAX_BYTES", "MAX_DEPTH", "YamlDoc", "field_path", "locate", "parse_yaml", "plain"]

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32

Loc = tuple[Any, ...]


class _Refused(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _yaml() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.events import AliasEvent

    class SafeComposer(Composer):  # type: ignore[misc]
        def compose_node(self, parent: Any, index: Any) -> Any:
            ev = self.parser.peek_event()
            mark = ev.start_mark
            if isinstance(ev, AliasEvent):
                raise _Refused(
                    "aliases (*name) are not allowed; write the value out",
                    mark.line + 1,
                    mark.column + 1,
                )
            if getattr(ev, "anchor", None):
                raise _Refused(
                    "anchors (&name) are not allowed; write each value out",
                    mark.line + 1,
                    mark.column + 1,
                )
            if self.depth >= MAX_DEPTH:
                raise _Refused(
                    f"nested deeper than {MAX_DEPTH} levels; qdb files are shallow",
                    mark.line + 1,
                    mark.column + 1,
                )
            return super().compose_node(parent, index)

    class StrTimestamps(RoundTripConstructor):  # type: ignore[misc]
        pass

    StrTimestamps.add_constructor(
        "tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str
    )
    y = YAML(typ="rt", pure=True)
    y.version = (1, 2)
    y.Composer = SafeComposer
    y.Constructor = StrTimestamps
    y.allow_duplicate_keys = False
    return y


@dataclass(frozen=True)
class YamlDoc:
    """A parsed file: ``data`` as plain Python, ``tree`` with ruamel positions."""

    path: str
    data: Any
    tree: Any
    text: str


def parse_yaml(raw: bytes | str, path: str) -> YamlDoc:
    """Parse one YAML document, refusing unsafe or malformed input.

    Raises
    ------
    DataError
        With one located problem.
    """

    def fail(msg: str, line: int = 1, col: int = 1) -> DataError:
        return DataError([Problem(path, line, col, "", msg)])

    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_BYTES:
        raise fail(f"file is {size / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise fail("binary file (NUL bytes); expected UTF-8 YAML text")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise fail(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line) from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise fail("file is empty; expected a YAML mapping")
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        tree = _yaml().load(text)
    except _Refused as exc:
        raise fail(str(exc), exc.line, exc.column) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(str(p).strip() for p in (exc.context, exc.problem) if p)
        msg = msg.replace("\n", " ")
        if "duplicate key" in msg.lower() or type(exc).__name__ == "DuplicateKeyError":
            msg = "duplicate key " + _dup_key(exc) + "; each key may appear once"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise fail(f"YAML syntax: {msg}", line, col) from None
    except (YAMLError, RecursionError, ValueError) as exc:
        raise fail(f"YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(tree, dict):
        kind = "a list" if isinstance(tree, list) else f"a {type(tree).__name__}"
        raise fail(f"top level is {kind}; expected a mapping of keys")
    return YamlDoc(path, plain(tree), tree, text)


def _dup_key(exc: Any) -> str:
    text = str(exc.problem or "")
    start = text.find('"')
    end = text.find('"', start + 1)
    return text[start : end + 1] if start >= 0 and end > start else ""


def plain(node: Any) -> Any:
    """Convert ruamel's round-trip containers and scalars into builtins."""
    if isinstance(node, dict):
        return {plain(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def locate(tree: Any, loc: Loc) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of ``loc`` that exists in ``tree``."""
    node = tree
    pos = (getattr(getattr(tree, "lc", None), "line", 0) + 1, 1)
    for part in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict):
            key = _match_key(node, part)
            if key is None:
                if lc is not None:
                    pos = (lc.line + 1, lc.col + 1)
                break
            if lc is not None:
                try:
                    ln, col = lc.value(key)
                    if isinstance(node[key], dict | list) and node[key]:
                        ln, col = lc.key(key)
                    pos = (ln + 1, col + 1)
                except (KeyError, TypeError):
                    pass
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lc is not None:
                try:
                    ln, col = lc.item(part)
                    pos = (ln + 1, col + 1)
                except (KeyError, TypeError):
                    pass
            node = node[part]
        else:
            break
    return pos


def _match_key(node: dict[Any, Any], part: Any) -> Any:
    if part in node:
        return part
    for k in node:
        if str(k) == str(part):
            return k
    return None


def field_path(tree: Any, loc: Loc) -> str:
    """``systems[3].readiness`` from ``("systems", 3, "readiness")``."""
    out = ""
    node = tree
    for part in loc:
        if isinstance(part, int) and not (isinstance(node, dict) and _match_key(node, part) is not None):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        else:
            out += f".{part}" if out else str(part)
            if isinstance(node, dict):
                k = _match_key(node, part)
                node = node[k] if k is not None else None
            else:
                node = None
    return out
