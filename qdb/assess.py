"""Graph + contests -> :class:`~qdb.results.Assessment` (pure).

``certified`` holds when every critical contest is offset, matched or
uncontested; ``index`` is the weight-weighted geometric mean of the balances of
contested contests, each floored at 1e-3 so that losing a capability can never
raise it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from qdb.contests import evaluate
from qdb.graph import build_graph, participants
from qdb.models import Matchup
from qdb.results import Assessment, ContestResult, CriticalSystem

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["BALANCE_FLOOR", "assess", "certify", "critical_systems", "index_of", "inputs_digest"]

BALANCE_FLOOR = 1e-3


def _canonical(obj: Any) -> Any:
    from qdb.models.estimate import Estimate

    if isinstance(obj, Estimate):
        return obj.to_data()
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def inputs_digest(m: Matchup, options: Iterable[tuple[str, Any]] = ()) -> str:
    """SHA-256 of the catalog and both snapshots (after edits) plus result-changing options."""
    payload = {
        "catalog": _canonical(m.catalog.model_dump(mode="python", by_alias=True)),
        "blue": _canonical(m.blue.model_dump(mode="python", by_alias=True)),
        "red": _canonical(m.red.model_dump(mode="python", by_alias=True)),
        "options": {k: _canonical(v) for k, v in sorted([*m.options, *options])},
    }
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def certify(results: Sequence[ContestResult]) -> bool:
    """True when every critical contest holds (offset, matched or uncontested)."""
    return all(r.holds for r in results if r.critical)


def index_of(results: Sequence[ContestResult]) -> float | None:
    """Weight-weighted geometric mean of floored balances over contested contests."""
    num = den = 0.0
    for r in results:
        if r.verdict == "uncontested" or r.balance is None:
            continue
        num += r.weight * math.log(max(r.balance, BALANCE_FLOOR))
        den += r.weight
    return math.exp(num / den) if den > 0 else None


def evaluate_all(m: Matchup, G: nx.MultiDiGraph) -> tuple[ContestResult, ...]:
    """Evaluate every contest of the catalog, in catalog order."""
    return tuple(
        evaluate(
            con,
            participants(G, con.id, "blue"),
            participants(G, con.id, "red"),
            m.catalog.thresholds,
            m.catalog.classes,
        )
        for con in m.catalog.contests
    )


def assess(
    m: Matchup,
    *,
    with_critical: bool = True,
    options: Iterable[tuple[str, Any]] = (),
    engine_version: str | None = None,
) -> Assessment:
    """Assess a matchup: every contest, certification, index, critical systems.

    Parameters
    ----------
    m : Matchup
        Catalog plus the blue and red snapshots (edits already applied).
    with_critical : bool
        Also find the single blue systems and classes whose loss flips critical
        contests into shortfall (one re-evaluation per system and class).
    options : iterable of (name, value)
        Options that change results; they enter ``inputs_sha256``.

    Returns
    -------
    Assessment
    """
    from qdb import ENGINE_VERSION

    G = build_graph(m)
    results = evaluate_all(m, G)
    crit = critical_systems(m, G, results) if with_critical else None
    return Assessment(
        blue=m.blue.side,
        red=m.red.side,
        as_of={m.blue.side: m.blue.as_of.isoformat(), m.red.side: m.red.as_of.isoformat()},
        inputs_sha256=inputs_digest(m, options),
        engine_version=engine_version or ENGINE_VERSION,
        certified=certify(results),
        index=index_of(results),
        contests=results,
        thresholds={"matched": m.catalog.thresholds.matched, "offset": m.catalog.thresholds.offset},
        critical_systems=crit,
    )


def critical_systems(
    m: Matchup, G: nx.MultiDiGraph, baseline: Sequence[ContestResult]
) -> tuple[CriticalSystem, ...]:
    """Single blue systems and classes whose loss flips a critical contest into shortfall.

    A lost system leaves every contest it takes part in (read off the graph),
    with its units, stock and launch capacity; only those contests are
    re-evaluated, from the participants already read off the graph. Sorted by the number
    of flips, then by the index without it, then by id.
    """
    holding = {r.id for r in baseline if r.critical and r.holds}
    if not holding:
        return ()
    by_id = {r.id: r for r in baseline}
    out: list[CriticalSystem] = []

    blue_parts = {c.id: participants(G, c.id, "blue") for c in m.catalog.contests}
    red_parts = {c.id: participants(G, c.id, "red") for c in m.catalog.contests}

    def flips_without(ids: set[str], contest_ids: set[str]) -> tuple[list[str], float | None]:
        flipped = []
        new = dict(by_id)
        for con in m.catalog.contests:
            if con.id not in contest_ids:
                continue
            r = evaluate(
                con,
                [p for p in blue_parts[con.id] if p.system.id not in ids],
                red_parts[con.id],
                m.catalog.thresholds,
                m.catalog.classes,
            )
            new[con.id] = r
            if con.id in holding and not r.holds:
                flipped.append(con.id)
        return flipped, index_of(list(new.values()))

    def contests_of_class(cls: str) -> set[str]:
        return {
            v.split(":", 1)[1]
            for _, v, k in G.out_edges(f"class:{cls}", keys=True)
            if k == "counters"
        }

    blue_classes: dict[str, list[str]] = {}
    for s in m.blue.systems:
        blue_classes.setdefault(s.class_, []).append(s.id)
    for s in m.blue.systems:
        cids = contests_of_class(s.class_) & holding
        if not cids:
            continue
        flipped, idx = flips_without({s.id}, cids)
        if flipped:
            out.append(CriticalSystem("system", s.id, s.name, tuple(flipped), idx))
    for cls, ids in blue_classes.items():
        if len(ids) < 2:
            continue  # same as the single system above
        cids = contests_of_class(cls) & holding
        if not cids:
            continue
        flipped, idx = flips_without(set(ids), cids)
        if flipped:
            name = m.catalog.classes[cls].name or cls
            out.append(CriticalSystem("class", cls, name, tuple(flipped), idx))
    out.sort(
        key=lambda c: (
            -len(c.flips),
            c.index_without if c.index_without is not None else 0,
            c.kind,
            c.id,
        )
    )
    return tuple(out)
