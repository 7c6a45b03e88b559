"""Serialise the capability-offset graph: DOT, GraphML and node-link JSON (pure: returns text)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_dot", "to_graphml", "to_json"]


_NOT_XML = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/FFFF) and the
discouraged C1 controls and DEL."""


def xml_text(s: str) -> str:
    """``s`` with every character XML cannot hold replaced by U+FFFD.

    Examples
    --------
    >>> xml_text("T \x1b]52\x07")
    'T \ufffd]52\ufffd'
    """
    return _NOT_XML.sub("\ufffd", s)


def _plain_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Only scalar attributes (models are not exported); text made XML-safe."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, bool | int | float | str):
            out[k] = xml_text(v) if isinstance(v, str) else v
    m = attrs.get("system") or attrs.get("model")
    if m is not None:
        for f in ("name", "title", "law", "unit", "branch", "domain"):
            val = getattr(m, f, None)
            if isinstance(val, str):
                out[f] = xml_text(val)
        if hasattr(m, "class_"):
            out["class"] = m.class_
        q = getattr(m, "quantity", None)
        if q is not None:
            out["quantity"] = q.value
        if hasattr(m, "critical"):
            out["critical"] = m.critical
    return out


def _plain_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    import networkx as nx

    H = nx.MultiDiGraph()
    for n, a in G.nodes(data=True):
        H.add_node(xml_text(str(n)), **_plain_attrs(a))
    for u, v, k, a in G.edges(keys=True, data=True):
        H.add_edge(
            xml_text(str(u)),
            xml_text(str(v)),
            key=k,
            relation=k,
            **{x: y for x, y in a.items() if isinstance(y, int | float)},
        )
    return H


def to_json(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Node-link JSON with scalar attributes."""
    import networkx as nx

    data: dict[str, Any] = nx.node_link_data(_plain_graph(G), edges="edges")
    return data


def to_graphml(G: nx.MultiDiGraph) -> str:
    """GraphML text."""
    import networkx as nx

    return "\n".join(nx.generate_graphml(_plain_graph(G))) + "\n"


def _q(s: str) -> str:
    r"""A DOT quoted string; a line break in ``s`` becomes DOT's ``\n`` (a centred break).

    Examples
    --------
    >>> print(_q('T-64 "BV"\n×987'))
    "T-64 \"BV\"\n×987"
    """
    s = _NOT_XML.sub("\ufffd", s.replace("\r\n", "\n"))
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r", "\\n").replace("\n", "\\n").replace("\t", " ") + '"'


def to_dot(G: nx.MultiDiGraph) -> str:
    """Graphviz DOT: blue systems, red systems, classes (boxes) and contests (diamonds)."""
    lines = ["digraph qdb {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    colors = {"blue": "#1f4e9c", "red": "#b22222"}
    for n, a in G.nodes(data=True):
        if a["kind"] == "system":
            label = f"{a['system'].name}\n×{a['system'].quantity.value:g}"
            lines.append(
                f"  {_q(n)} [label={_q(label)}, color={_q(colors[a['role']])}, shape=ellipse];"
            )
        elif a["kind"] == "class":
            if G.degree(n) == 0:
                continue
            lines.append(f"  {_q(n)} [label={_q(a['id'])}, shape=box];")
        else:
            m = a["model"]
            style = ", style=bold" if m.critical else ""
            lines.append(f"  {_q(n)} [label={_q(m.title)}, shape=diamond{style}];")
    for u, v, k, a in G.edges(keys=True, data=True):
        if k == "is_of_class":
            lines.append(f"  {_q(u)} -> {_q(v)} [color=gray];")
        else:
            w = a.get("weight", 1.0)
            color = "#b22222" if k == "threatens" else "#1f4e9c"
            lines.append(f"  {_q(u)} -> {_q(v)} [label={_q(f'{k} {w:g}')}, color={_q(color)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
