"""The capability-offset graph: systems, classes and contests (pure).

One ``networkx.MultiDiGraph``:

* node ``"SIDE:SYSTEM_ID"`` (``kind="system"``; attributes ``side``, ``role``
  ``blue``/``red``, ``system`` — the :class:`~qdb.models.System` —, ``q``,
  ``quality``, ``training``, ``technology``);
* node ``"class:CLASS"`` (``kind="class"``, ``model``);
* node ``"contest:ID"`` (``kind="contest"``, ``model``, ``order``);
* edge system -> class, key ``"is_of_class"``;
* edge class -> contest, key ``"threatens"`` (``weight``) and/or ``"counters"``
  (``weight`` = offset coefficient; for ``iamd`` contests the layer classes
  that engage its threats, with ``layer`` = position, outer first);
* edge class -> class, key ``"engages"`` (interceptor -> threat, ``pk``) and
  ``"fires"`` (gun or launcher -> its munition class).

Explanations, exports, critical-system analysis and the Monte Carlo incidence
matrices are read off this graph with :func:`participants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from qdb.models import Contest, Inventory, Matchup, System

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Participant", "build_graph", "participants", "quality_parts"]


def quality_parts(m: Matchup, inv: Inventory, s: System) -> tuple[float, float, float]:
    """``(quality, training, technology)`` multipliers of one system (point values).

    ``training`` is the side's multiplier of the class's branch (1.0 if absent);
    ``technology`` the product of the side's enablers listed for the class's domain.
    """
    cls = m.catalog.classes[s.class_]
    tr = inv.training.get(cls.branch)
    training = tr.value.value if tr is not None else 1.0
    tech = 1.0
    for e in m.catalog.enablers_by_domain.get(cls.domain, ()):
        mult = inv.enablers.get(e)
        if mult is not None:
            tech *= mult.value.value
    return s.quality.value, training, tech


def build_graph(m: Matchup) -> nx.MultiDiGraph:
    """Build the capability-offset graph of a matchup.

    Examples
    --------
    >>> # G = build_graph(matchup); G.nodes["contest:armour"]["model"].law
    """
    import networkx as nx

    G = nx.MultiDiGraph(blue=m.blue.side, red=m.red.side)
    for cid, cls in m.catalog.classes.items():
        G.add_node(f"class:{cid}", kind="class", id=cid, model=cls, domain=cls.domain)
    for role, inv in (("blue", m.blue), ("red", m.red)):
        for s in inv.systems:
            qual, tr, tech = quality_parts(m, inv, s)
            node = f"{inv.side}:{s.id}"
            G.add_node(
                node,
                kind="system",
                id=s.id,
                side=inv.side,
                role=role,
                system=s,
                quality=qual,
                training=tr,
                technology=tech,
                q=qual * tr * tech,
            )
            G.add_edge(node, f"class:{s.class_}", key="is_of_class")
    for order, con in enumerate(m.catalog.contests):
        cnode = f"contest:{con.id}"
        G.add_node(cnode, kind="contest", id=con.id, model=con, order=order)
        for cls_id, w in con.threat.items():
            G.add_edge(f"class:{cls_id}", cnode, key="threatens", weight=w.value)
        for cls_id, w in con.counters.items():
            G.add_edge(f"class:{cls_id}", cnode, key="counters", weight=w.value)
        if con.law == "iamd":
            for cls_id in con.threats:
                G.add_edge(f"class:{cls_id}", cnode, key="threatens", weight=1.0)
            layers = m.catalog.iamd.layers if m.catalog.iamd is not None else []
            for pos, cls_id in enumerate(layers):
                if any(e.threat in con.threats for e in m.catalog.classes[cls_id].engages):
                    G.add_edge(f"class:{cls_id}", cnode, key="counters", weight=1.0, layer=pos)
    for cid, cls in m.catalog.classes.items():
        for e in cls.engages:
            G.add_edge(f"class:{cid}", f"class:{e.threat}", key="engages", pk=e.pk.value)
        if cls.fires is not None and cls.fires.munition in m.catalog.classes:
            G.add_edge(f"class:{cid}", f"class:{cls.fires.munition}", key="fires")
    return G


@dataclass(frozen=True)
class Participant:
    """A system taking part in a contest, with its weight and quality parts."""

    node: str
    system: System
    class_: str
    weight: float
    quality: float
    training: float
    technology: float
    layer: int | None = None

    @cached_property
    def q(self) -> float:
        """Combined quality multiplier ``quality * training * technology``."""
        return self.quality * self.training * self.technology

    @cached_property
    def units(self) -> float:
        """``n_s = weight * quantity * readiness``."""
        return self.weight * self.system.quantity.value * self.system.readiness.value


def participants(G: nx.MultiDiGraph, contest_id: str, role: str) -> list[Participant]:
    """The systems of side ``role`` (``blue`` or ``red``) in a contest, read off the graph.

    Red systems are those of classes that threaten the contest; blue systems
    those of classes that counter it (layers, for layered defence). Ordered by
    layer (if any), then class order in the contest, then inventory order.
    """
    cnode = f"contest:{contest_id}"
    key = "threatens" if role == "red" else "counters"
    out: list[Participant] = []
    for cls_node, _, k, data in G.in_edges(cnode, keys=True, data=True):
        if k != key:
            continue
        for sys_node, _, k2 in G.in_edges(cls_node, keys=True):
            if k2 != "is_of_class":
                continue
            attrs: dict[str, Any] = G.nodes[sys_node]
            if attrs["role"] != role:
                continue
            out.append(
                Participant(
                    node=sys_node,
                    system=attrs["system"],
                    class_=G.nodes[cls_node]["id"],
                    weight=data["weight"],
                    quality=attrs["quality"],
                    training=attrs["training"],
                    technology=attrs["technology"],
                    layer=data.get("layer"),
                )
            )
    return out


def contest_of(G: nx.MultiDiGraph, contest_id: str) -> Contest:
    """The contest model stored on its node."""
    model: Contest = G.nodes[f"contest:{contest_id}"]["model"]
    return model


def finite(x: float) -> bool:
    return math.isfinite(x)
