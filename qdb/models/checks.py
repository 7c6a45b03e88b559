"""Cross-reference checks that a single pydantic model cannot make (pure).

Each check returns :class:`Finding` objects whose ``loc`` is a path into the
file's data (``("systems", 3, "class")``); the loader turns it into
``path:line:col: field: message``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from qdb.models.catalog import CapabilityClass, Catalog, Contest
from qdb.models.commitments import Commitment
from qdb.models.dataset import Dataset
from qdb.models.inventory import RESERVED_SYSTEM_IDS, Inventory

__all__ = [
    "Finding",
    "check_catalog",
    "check_classes",
    "check_commitment",
    "check_contest",
    "check_dataset",
    "check_inventory",
    "check_provenance",
    "suggest",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A problem at ``loc`` in one file; ``severity`` is ``error`` or ``warning``."""

    loc: Loc
    message: str
    severity: str = "error"


def suggest(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for a close match, else the known names if few, else ``""``."""
    import difflib

    known = sorted(known)
    if not known:
        return "; none are defined"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if len(known) <= 8:
        return f"; known: {', '.join(known)}"
    return ""


def check_catalog(cat: Catalog) -> list[Finding]:
    """Contest classes exist, law fields match, munitions, engagements and layers resolve."""
    out: list[Finding] = []
    classes = cat.classes
    if cat.thresholds.matched >= cat.thresholds.offset:
        out.append(
            Finding(
                ("thresholds", "matched"),
                f"matched ({cat.thresholds.matched:g}) must be below offset "
                f"({cat.thresholds.offset:g})",
            )
        )
    for cid, c in classes.items():
        if c.source is not None and c.source not in cat.sources:
            out.append(
                Finding(
                    ("classes", cid, "source"),
                    f"unknown source {c.source!r}" + suggest(c.source, cat.sources),
                )
            )
    for dom, names in cat.enablers_by_domain.items():
        if len(set(names)) != len(names):
            out.append(Finding(("enablers_by_domain", dom), "an enabler is listed twice"))
    seen: dict[str, int] = {}
    for i, con in enumerate(cat.contests):
        if con.id in seen:
            out.append(
                Finding(
                    ("contests", i, "id"),
                    f"duplicate contest id {con.id!r} (first at contests[{seen[con.id]}])",
                )
            )
        seen.setdefault(con.id, i)
        out.extend(check_contest(i, con, cat.classes, cat.sources))
    out.extend(check_classes(cat))
    for i, corr in enumerate(cat.correlations):
        from qdb.targets import parse_target

        for j, t in enumerate(corr.between):
            try:
                parse_target(t)
            except ValueError as exc:
                out.append(Finding(("correlations", i, "between", j), str(exc)))
    return out


def check_contest(
    i: int,
    con: Contest,
    classes: Mapping[str, CapabilityClass | None],
    sources: Collection[str],
) -> list[Finding]:
    """Checks of contest ``i`` against the catalog's classes and sources.

    ``classes`` maps every class id to its model, or to None for a class that
    is present but invalid (its own problems are reported elsewhere).
    """
    out: list[Finding] = []
    here: Loc = ("contests", i)
    for key in ("threat", "counters"):
        for cls in getattr(con, key):
            if cls not in classes:
                out.append(
                    Finding((*here, key, cls), f"unknown class {cls!r}" + suggest(cls, classes))
                )
    for s in con.sources:
        if s not in sources:
            out.append(Finding((*here, "sources"), f"unknown source {s!r}" + suggest(s, sources)))
    for j, cls in enumerate(con.threats):
        if cls not in classes:
            out.append(
                Finding((*here, "threats", j), f"unknown class {cls!r}" + suggest(cls, classes))
            )
    if con.law == "iamd":
        if not con.threats:
            out.append(
                Finding(
                    here, "iamd contest needs `threats` (threat classes whose leakage it scores)"
                )
            )
        if con.acceptable_leakage is None:
            out.append(Finding(here, "iamd contest needs `acceptable_leakage` (0-1, e.g. 0.1)"))
        for f in ("threat", "counters", "exponent"):
            if getattr(con, f):
                out.append(
                    Finding(
                        (*here, f),
                        f"`{f}` belongs to Lanchester contests; an iamd contest is scored by the "
                        "campaign's leakage (catalog `iamd.layers`, classes' `engages`)",
                    )
                )
        return out
    if not con.threat:
        out.append(Finding(here, f"{con.law} law needs `threat` (red classes -> weight)"))
    if not con.counters:
        out.append(Finding((*here, "counters"), f"{con.law} law needs `counters` (blue classes)"))
    for f in ("threats", "acceptable_leakage"):
        if getattr(con, f):
            out.append(Finding((*here, f), f"`{f}` belongs to iamd contests only"))
    if con.law == "power" and con.exponent is None:
        out.append(Finding(here, "power law needs `exponent` (e.g. 1.5)"))
    return out


def check_classes(cat: Catalog) -> list[Finding]:
    """Munitions, engagements and the iamd layers refer to classes that exist."""
    out: list[Finding] = []
    classes = cat.classes
    for cid, c in classes.items():
        if c.fires is not None and c.fires.munition not in classes:
            out.append(
                Finding(
                    ("classes", cid, "fires", "munition"),
                    f"unknown munition class {c.fires.munition!r}"
                    + suggest(c.fires.munition, classes),
                )
            )
        if c.coverage is not None and c.coverage_per_unit is not None:
            out.append(
                Finding(
                    ("classes", cid, "coverage_per_unit"),
                    "give `coverage` (of the class) or `coverage_per_unit` (of one ready unit), "
                    "not both",
                )
            )
        seen: set[str] = set()
        for j, e in enumerate(c.engages):
            if e.threat not in classes:
                out.append(
                    Finding(
                        ("classes", cid, "engages", j, "threat"),
                        f"unknown threat class {e.threat!r}" + suggest(e.threat, classes),
                    )
                )
            if e.threat in seen:
                out.append(
                    Finding(
                        ("classes", cid, "engages", j, "threat"),
                        f"{e.threat!r} is engaged twice; list each threat once",
                    )
                )
            seen.add(e.threat)
    layers = cat.iamd.layers if cat.iamd is not None else []
    if len(set(layers)) != len(layers):
        out.append(Finding(("iamd", "layers"), "a layer class is listed twice"))
    for j, cls in enumerate(layers):
        if cls not in classes:
            out.append(
                Finding(("iamd", "layers", j), f"unknown class {cls!r}" + suggest(cls, classes))
            )
            continue
        k = classes[cls]
        missing = [
            what
            for f, what in (
                ("shots_per_raid", "shots_per_raid (rounds a ready unit fires in one raid)"),
                ("engages", "engages (threat, pk, shots)"),
            )
            if not getattr(k, f)
        ]
        if missing:
            out.append(
                Finding(
                    ("iamd", "layers", j),
                    f"layer class {cls!r} needs {' and '.join(missing)} in classes.{cls}",
                )
            )
    first_iamd = next((i for i, c in enumerate(cat.contests) if c.law == "iamd"), None)
    if first_iamd is not None and not layers:
        # located at the contest that needs it: the catalog has no `iamd` key to point at
        out.append(
            Finding(
                ("iamd",) if cat.iamd is not None else ("contests", first_iamd, "law"),
                "law iamd needs the catalog's `iamd: {layers: [...]}` (interceptor classes, "
                "outer to inner)",
            )
        )
    engaged = {e.threat for cls in layers if cls in classes for e in classes[cls].engages}
    for i, con in enumerate(cat.contests):
        if layers and con.law == "iamd" and con.threats and not set(con.threats) & engaged:
            out.append(
                Finding(
                    ("contests", i, "threats"),
                    "no layer engages these threats: everything launched leaks",
                    "warning",
                )
            )
    return out


def check_inventory(inv: Inventory, cat: Catalog) -> list[Finding]:
    """Classes and sources exist, ids unique; warn on missing training and enablers."""
    out: list[Finding] = []
    seen: dict[str, int] = {}
    branches_used: dict[str, int] = {}
    domains_used: dict[str, int] = {}
    for i, s in enumerate(inv.systems):
        here: Loc = ("systems", i)
        if s.id in RESERVED_SYSTEM_IDS:
            out.append(
                Finding((*here, "id"), f"{s.id!r} is reserved (it names the {s.id} block in edits)")
            )
        if s.id in seen:
            out.append(
                Finding(
                    (*here, "id"), f"duplicate system id {s.id!r} (first at systems[{seen[s.id]}])"
                )
            )
        seen.setdefault(s.id, i)
        if s.class_ not in cat.classes:
            out.append(
                Finding(
                    (*here, "class"),
                    f"unknown class {s.class_!r}" + suggest(s.class_, cat.classes),
                )
            )
        else:
            k = cat.classes[s.class_]
            branches_used.setdefault(k.branch, i)
            domains_used.setdefault(k.domain, i)
        if s.source not in inv.sources:
            out.append(
                Finding(
                    (*here, "source"),
                    f"unknown source {s.source!r}" + suggest(s.source, inv.sources),
                )
            )
    for key in ("training", "enablers"):
        for name, m in getattr(inv, key).items():
            if m.source is not None and m.source not in inv.sources:
                out.append(
                    Finding(
                        (key, name, "source"),
                        f"unknown source {m.source!r}" + suggest(m.source, inv.sources),
                    )
                )
    for cls, d in inv.dynamics.items():
        if cls not in cat.classes:
            out.append(
                Finding(("dynamics", cls), f"unknown class {cls!r}" + suggest(cls, cat.classes))
            )
        if d.source not in inv.sources:
            out.append(
                Finding(
                    ("dynamics", cls, "source"),
                    f"unknown source {d.source!r}" + suggest(d.source, inv.sources),
                )
            )
    fired = {k.fires.munition for k in cat.classes.values() if k.fires is not None}
    for mun, entry in inv.munitions.items():
        if mun not in fired:
            out.append(
                Finding(
                    ("munitions", mun),
                    f"no class fires munition {mun!r} (a munition is named by a class's "
                    "`fires: {munition}`)" + suggest(mun, fired),
                )
            )
        if entry.source not in inv.sources:
            out.append(
                Finding(
                    ("munitions", mun, "source"),
                    f"unknown source {entry.source!r}" + suggest(entry.source, inv.sources),
                )
            )
    limited = {
        cat.classes[s.class_].fires.munition  # type: ignore[union-attr]
        for s in inv.systems
        if s.class_ in cat.classes and cat.classes[s.class_].fires is not None
    }
    for mun in sorted(limited - set(inv.munitions)):
        out.append(
            Finding(
                ("munitions",) if inv.munitions else (),
                f"no `munitions` entry for {mun!r}: the systems that fire it are unlimited",
                "warning",
            )
        )
    raid_ids: dict[str, int] = {}
    for i, raid in enumerate(inv.raids):
        if raid.id in raid_ids:
            out.append(
                Finding(
                    ("raids", i, "id"),
                    f"duplicate raid id {raid.id!r} (first at raids[{raid_ids[raid.id]}])",
                )
            )
        raid_ids.setdefault(raid.id, i)
        if raid.source is not None and raid.source not in inv.sources:
            out.append(
                Finding(
                    ("raids", i, "source"),
                    f"unknown source {raid.source!r}" + suggest(raid.source, inv.sources),
                )
            )
        for sid in raid.size:
            if sid not in seen:
                out.append(
                    Finding(
                        ("raids", i, "size", sid),
                        f"{inv.side} has no system {sid!r}" + suggest(sid, seen),
                    )
                )
    for branch in sorted(set(branches_used) - set(inv.training)):
        out.append(
            Finding(
                ("training",) if inv.training else (),
                f"no training multiplier for branch {branch!r} (used by systems[{branches_used[branch]}]); 1.0 assumed",
                "warning",
            )
        )
    for dom in sorted(domains_used):
        for e in cat.enablers_by_domain.get(dom, []):
            if e not in inv.enablers:
                out.append(
                    Finding(
                        ("enablers",) if inv.enablers else (),
                        f"no enabler {e!r} (listed for domain {dom!r}); 1.0 assumed",
                        "warning",
                    )
                )
    return out + check_provenance(inv)


def check_commitment(com: Commitment, cat: Catalog) -> list[Finding]:
    """Years inside the instrument, delivery classes known."""
    out: list[Finding] = []
    first, last = com.years.first, com.years.last
    if first > last:
        out.append(Finding(("years",), f"first ({first}) is after last ({last})"))
    if com.signed.year > last:
        out.append(
            Finding(("signed",), f"signed {com.signed.isoformat()} after the last year {last}")
        )
    for y in com.funding_musd:
        if first <= last and not first <= y <= last:
            out.append(
                Finding(
                    ("funding_musd", y),
                    f"year {y} is outside the instrument's years ({first}-{last})",
                )
            )
    for i, d in enumerate(com.deliveries):
        if d.class_ not in cat.classes:
            out.append(
                Finding(
                    ("deliveries", i, "class"),
                    f"unknown class {d.class_!r}" + suggest(d.class_, cat.classes),
                )
            )
        if first <= last and d.year > last:
            out.append(
                Finding(
                    ("deliveries", i, "year"),
                    f"year {d.year} is after the instrument's last year ({last})",
                )
            )
        elif d.year < com.signed.year - 3:
            out.append(
                Finding(
                    ("deliveries", i, "year"),
                    f"year {d.year} is more than 3 years before signing "
                    f"({com.signed.isoformat()}); the earliest is {com.signed.year - 3}",
                )
            )
    return out


def check_dataset(ds: Dataset) -> list[tuple[str, Finding]]:
    """Every cross-file check of a data folder, as ``(path, finding)`` pairs."""
    out: list[tuple[str, Finding]] = [(ds.catalog_path, f) for f in check_catalog(ds.catalog)]
    seen: dict[tuple[str, str], str] = {}
    ipaths = ds.inventory_paths or ("",) * len(ds.inventories)
    for inv, path in zip(ds.inventories, ipaths, strict=True):
        out.extend((path, f) for f in check_inventory(inv, ds.catalog))
        key = (inv.side, inv.as_of.isoformat())
        if key in seen:
            out.append(
                (
                    path,
                    Finding(
                        ("as_of",),
                        f"two {inv.side} snapshots share as_of {key[1]} (the other is {seen[key]})",
                    ),
                )
            )
        seen.setdefault(key, path)
        if inv.raids:
            launched = {s.class_ for raid in inv.raids for s in inv.systems if s.id in raid.size}
            held_classes = {s.class_ for s in inv.systems}
            for con in ds.catalog.contests:
                # a side that holds none of the threats (no Shaheds in 2022) is not warned
                threats = set(con.threats)
                if con.law == "iamd" and threats & held_classes and not threats & launched:
                    out.append(
                        (
                            path,
                            Finding(
                                ("raids",),
                                f"no raid launches a threat of iamd contest {con.id!r} "
                                f"({', '.join(con.threats)}): it is uncontested against {inv.side}",
                                "warning",
                            ),
                        )
                    )
    cpaths = ds.commitment_paths or ("",) * len(ds.commitments)
    sides = {inv.side for inv in ds.inventories}
    for com, path in zip(ds.commitments, cpaths, strict=True):
        out.extend((path, f) for f in check_commitment(com, ds.catalog))
        if sides and com.recipient not in sides:
            out.append(
                (
                    path,
                    Finding(
                        ("recipient",),
                        f"no inventory has side {com.recipient!r}" + suggest(com.recipient, sides),
                    ),
                )
            )
        # a delivery to a system the recipient already holds must be of that system's class
        held = {
            s.id: s.class_
            for inv in ds.inventories
            if inv.side == com.recipient
            for s in inv.systems
        }
        for i, d in enumerate(com.deliveries):
            cls = held.get(d.system)
            if cls is not None and cls != d.class_ and d.class_ in ds.catalog.classes:
                msg = f"{com.recipient}'s {d.system!r} is class {cls!r}, not {d.class_!r}"
                out.append((path, Finding(("deliveries", i, "class"), msg)))
    return out


def check_provenance(inv: Inventory) -> list[Finding]:
    """Warn on figures without ``basis`` and sources without ``kind`` (see qdb.provenance)."""
    from qdb.provenance import missing_provenance

    return [Finding(g.loc, g.message, "warning") for g in missing_provenance(inv)]
