"""Serialise the capability-offset graph: DOT, GraphML and node-link JSON (pure: returns text)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_dot", "to_graphml", "to_json"]


def _plain_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Only scalar attributes (models are not exported)."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, bool | int | float | str):
            out[k] = v
    m = attrs.get("system") or attrs.get("model")
    if m is not None:
        for f in ("name", "title", "law", "unit", "branch", "domain"):
            val = getattr(m, f, None)
            if isinstance(val, str):
                out[f] = val
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
        H.add_node(n, **_plain_attrs(a))
    for u, v, k, a in G.edges(keys=True, data=True):
        H.add_edge(
            u, v, key=k, relation=k, **{x: y for x, y in a.items() if isinstance(y, int | float)}
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
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(G: nx.MultiDiGraph) -> str:
    """Graphviz DOT: blue systems, red systems, classes (boxes) and contests (diamonds)."""
    lines = ["digraph qdb {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    colors = {"blue": "#1f4e9c", "red": "#b22222"}
    for n, a in G.nodes(data=True):
        if a["kind"] == "system":
            label = f"{a['system'].name}\\n×{a['system'].quantity.value:g}"
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
