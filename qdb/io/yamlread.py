"""Safe YAML reading with positions: ruamel.yaml (YAML 1.2) only.

Refused before parsing: files over :data:`MAX_BYTES` or :data:`MAX_LINES`,
binary (NUL bytes) or non-UTF-8 content. Refused while composing, before any
value is built: anchors and aliases (alias bombs), explicit tags
(``!!python/object``, ``!!binary``, ...), nesting deeper than
:data:`MAX_DEPTH`, more than :data:`MAX_NODES` values (pure-Python parsing costs
about 50 microseconds a value: the cap keeps every answer near a second).
Refused after: merge keys, keys that are lists or mappings; duplicate keys are
a syntax error. Comments are skipped by the scanner (ruamel's round-trip
scanner is quadratic in runs of comment lines); positions are exact.
Timestamps stay strings so that pydantic reports a bad date at its own
position instead of the YAML constructor crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qdb.errors import DataError, Problem

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_LINES",
    "MAX_NODES",
    "YamlDoc",
    "field_path",
    "locate",
    "parse_yaml",
    "plain",
]

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 25_000
"""Most values (keys count too) a file may hold; real files hold a few thousand."""
MAX_LINES = 50_000
"""Most lines a file may have; real files have a few hundred."""

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
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.scanner import Scanner

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
            tag = getattr(ev, "tag", None)
            if tag:
                shown = str(tag).replace("tag:yaml.org,2002:", "!!")
                raise _Refused(
                    f"tags ({shown}) are not allowed; write a plain value",
                    mark.line + 1,
                    mark.column + 1,
                )
            if self.depth >= MAX_DEPTH:
                raise _Refused(
                    f"nested deeper than {MAX_DEPTH} levels; qdb files are shallow",
                    mark.line + 1,
                    mark.column + 1,
                )
            self.qdb_nodes = getattr(self, "qdb_nodes", 0) + 1
            if self.qdb_nodes > MAX_NODES:
                raise _Refused(
                    f"more than {MAX_NODES:,} values; qdb data files are far smaller "
                    "(is this the right file?)",
                    mark.line + 1,
                    mark.column + 1,
                )
            return super().compose_node(parent, index)

    class StrTimestamps(RoundTripConstructor):  # type: ignore[misc]
        pass

    StrTimestamps.add_constructor(
        "tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str
    )

    class TabScanner(Scanner):  # type: ignore[misc]
        """YAML 1.2 separation: a tab after content on a line is white space.

        ruamel's scanner only skips spaces between tokens in block context, so a
        tab after a value (``a: 1<TAB># note``) was refused as if it were
        indentation. Tabs in indentation are still refused.
        """

        def scan_to_next_token(self) -> Any:
            reader = self.reader
            srp, srf = reader.peek, reader.forward
            if reader.index == 0 and srp() == "\ufeff":
                srf()
            found = False
            while not found:
                while True:
                    ch = srp()
                    if ch == " " or (
                        ch == "\t" and (self.flow_level > 0 or _after_content(reader))
                    ):
                        srf()
                    else:
                        break
                if srp() == "#":
                    while srp() not in "\0\r\n":
                        srf()
                if self.scan_line_break():
                    if not self.flow_level:
                        self.allow_simple_key = True
                else:
                    found = True

    y = YAML(typ="rt", pure=True)
    y.version = (1, 2)
    # the plain scanner skips comments: positions are kept, and parsing stays linear
    # (ruamel's round-trip scanner is quadratic in runs of comment lines)
    y.Scanner = TabScanner
    y.Parser = Parser
    y.Composer = SafeComposer
    y.Constructor = StrTimestamps
    y.allow_duplicate_keys = False
    return y


def _after_content(reader: Any) -> bool:
    """True when something other than white space precedes the reader on its line."""
    buf, ptr = reader.buffer, reader.pointer
    start = max(buf.rfind("\n", 0, ptr), buf.rfind("\r", 0, ptr)) + 1
    return bool(buf[start:ptr].strip(" \t"))


# YAML 1.1 line breaks that YAML 1.2 treats as ordinary characters; ruamel still
# breaks lines at them (so U+2028 in a comment ended the comment). They are
# mapped one-for-one to private-use characters while parsing (positions are
# unchanged) and mapped back in the values.
_NOT_BREAKS = {"\x85": "\ue085", "\u2028": "\ue028", "\u2029": "\ue029"}
_TO_PRIVATE = str.maketrans(_NOT_BREAKS)
_FROM_PRIVATE = str.maketrans({v: k for k, v in _NOT_BREAKS.items()})


def yaml12_text(text: str) -> str:
    """``text`` with U+0085, U+2028 and U+2029 made ordinary characters for ruamel."""
    if any(c in text for c in _NOT_BREAKS):
        return text.translate(_TO_PRIVATE)
    return text


def _unmap(s: str) -> str:
    return s.translate(_FROM_PRIVATE) if any(c in s for c in _FROM_PRIVATE_CHARS) else s


_FROM_PRIVATE_CHARS = tuple(_NOT_BREAKS.values())


def compose(text: str) -> Any:
    """The node tree of ``text`` (positions are character indices into ``text``)."""
    return _yaml().compose(yaml12_text(text))


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

    if isinstance(raw, str):
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError as exc:
            line, col = _position(raw, exc.start)
            raise fail(
                "not valid Unicode text (a lone surrogate); save the file as UTF-8", line, col
            ) from None
    else:
        size = len(raw)
    if size > MAX_BYTES:
        raise fail(f"file is {size / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise fail("binary file (NUL bytes); expected UTF-8 YAML text")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise fail(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col
            ) from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise fail(
            f"file has {lines:,} lines; the limit is {MAX_LINES:,} (is this the right file?)"
        )
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise fail("file is empty; expected a YAML mapping")
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    # a file already holding our private-use characters is parsed as ruamel does
    mapped = None if any(c in text for c in _FROM_PRIVATE_CHARS) else yaml12_text(text)
    try:
        tree = _yaml().load(mapped if mapped is not None else text)
        _check_tree(tree)
    except _Refused as exc:
        raise fail(str(exc), exc.line, exc.column) from None
    except ReaderError as exc:
        line, col = _position(text, exc.position) if isinstance(exc.position, int) else (1, 1)
        char = exc.character
        code = ord(char) if isinstance(char, str) else int(char)
        raise fail(
            f"control character U+{code:04X} is not allowed in YAML; delete it", line, col
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise fail(f"YAML syntax: {_syntax_message(exc)}", line, col) from None
    except (YAMLError, RecursionError, ValueError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"YAML: {first}") from None
    if not isinstance(tree, dict):
        raise fail(f"top level is {_kind(tree)}; expected a mapping of keys (key: value lines)")
    return YamlDoc(path, plain(tree), tree, text)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _syntax_message(exc: Any) -> str:
    """A one-line message for a ruamel syntax error, with a hint for the common ones."""
    msg = " ".join(str(p).strip() for p in (exc.context, exc.problem) if p).replace("\n", " ")
    low = msg.lower()
    if "duplicate key" in low or type(exc).__name__ == "DuplicateKeyError":
        return "duplicate key " + _dup_key(exc) + "; each key may appear once"
    if "'\\t'" in msg or "\t" in str(exc.problem or ""):
        return "tab character; indent with spaces, never tabs"
    if "mapping values are not allowed here" in low:
        return (
            "mapping values are not allowed here; check the indentation, "
            "or quote a value that contains ': '"
        )
    if "expected a single document" in low:
        return "more than one document (---); a qdb file holds one mapping"
    start = exc.context_mark
    for kind, closer in (("flow sequence", "]"), ("flow mapping", "}")):
        if start is not None and kind in str(exc.context or ""):
            opener = "[" if closer == "]" else "{"
            problem = str(exc.problem or "").strip().replace("\n", " ")
            return (
                f"the {opener} at line {start.line + 1}, column {start.column + 1} "
                f"is not closed: {problem}"
            )
    return msg


def _kind(value: Any) -> str:
    """How a user would name the kind of a YAML value."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple | set):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _check_tree(node: Any) -> None:
    """Refuse merge keys and keys that are not plain scalars (positions from ruamel)."""
    from ruamel.yaml.comments import merge_attrib

    if isinstance(node, dict):
        lc = getattr(node, "lc", None)
        here = (lc.line + 1, lc.col + 1) if lc is not None else (1, 1)
        if getattr(node, merge_attrib, None):
            raise _Refused("merge keys (<<) are not allowed; write the keys out", *here)
        for key, value in node.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                try:
                    ln, col = getattr(node, "lc").key(key)  # noqa: B009
                    here = (ln + 1, col + 1)
                except (AttributeError, KeyError, TypeError):
                    pass
                raise _Refused(f"a key must be plain text or a number, not {_kind(key)}", *here)
            _check_tree(value)
    elif isinstance(node, list):
        for value in node:
            _check_tree(value)


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
        return _unmap(str(node))
    return node


def locate(tree: Any, loc: Loc, key: bool = False) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of ``loc`` that exists in ``tree``.

    With ``key=True`` the position of the last mapping key of ``loc`` itself
    (for a problem with the key, e.g. a year that is not a number).
    """
    node = tree
    pos = (getattr(getattr(tree, "lc", None), "line", 0) + 1, 1)
    for i, part in enumerate(loc):
        lc = getattr(node, "lc", None)
        if isinstance(node, dict):
            k = _match_key(node, part)
            if k is None:
                if lc is not None:
                    pos = (lc.line + 1, lc.col + 1)
                break
            if lc is not None:
                try:
                    ln, col = lc.value(k)
                    # containers and empty values: point at the key (an empty
                    # value's own position is on the next line)
                    if (
                        (isinstance(node[k], dict | list) and node[k])
                        or node[k] is None
                        or (key and i == len(loc) - 1)
                    ):
                        ln, col = lc.key(k)
                    pos = (ln + 1, col + 1)
                except (KeyError, TypeError):
                    pass
            node = node[k]
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
        if isinstance(part, int) and not (
            isinstance(node, dict) and _match_key(node, part) is not None
        ):
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
