"""Back-tests: the engine against what happened (pure; no file or terminal I/O).

* :func:`backtest_raids` replays recorded air raids through the ``iamd``
  campaign of a snapshot and compares predicted with reported leakage, per
  threat class and by raid size. **"Destroyed" is the defender's claim**
  (Ukrainian Air Force reports): *reported leakage* is ``1 - destroyed /
  launched``; *net leakage* also counts "locationally lost" weapons
  (``not_reach_goal``: electronic warfare, decoys falling short) as stopped.
* :func:`backtest_losses` sets each land contest's implied loss-exchange ratio
  ``q * r**(1 - p)`` (red losses per blue loss under the contest's law) beside
  the ratio observed in Oryx's visually confirmed losses over a period, with
  the General Staff claims of Russian losses as an upper bound only.

Replay rules (:func:`replay_matchup`): one raid per recorded attack night
(drones and missiles of a night fly together), on campaign day = nights since
the window start, happening once; the campaign lasts the window; each red
threat system holds exactly what it launched in the window (``stock``) and
produces nothing (``per_day`` 0), so the recorded launches are replayed in
full; blue is the snapshot as it is (stocks, resupply, layers). Weapons with no
red system id, or whose id the red snapshot lacks, are left out and reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qdb.calibrate.raids import GROUPS, ClassCount, Raid, recorded_raids_as_inventory

if TYPE_CHECKING:
    from qdb.models import Matchup
    from qdb.results import Assessment

__all__ = [
    "CLAIM_FIELDS",
    "ORYX_CATEGORIES",
    "SIZE_EDGES",
    "ClassScore",
    "LossComparison",
    "RaidBacktest",
    "RaidComparison",
    "backtest_losses",
    "backtest_raids",
    "compare_raids",
    "period_losses",
    "replay_matchup",
    "size_bucket",
]

NOTE_RAIDS = (
    "launched and destroyed are the Ukrainian Air Force's reports: 'destroyed' is the "
    "defender's claim. reported_leakage = 1 - destroyed/launched; net_leakage also counts "
    "not_reach_goal (locationally lost: EW, decoys falling short) as stopped; predicted "
    "leakage is the iamd campaign's leaked/launched. mean_abs_error is over raids, against "
    "reported leakage (mean_abs_error_net against net leakage)."
)

SIZE_EDGES: dict[str, tuple[int, ...]] = {"drones": (100, 300, 500), "missiles": (10, 20)}
"""Raid-size bucket edges by weapon group (weapons of the group in the night)."""


def size_bucket(group: str, size: float) -> str:
    """The size bucket label of a raid of ``size`` weapons of ``group``.

    Examples
    --------
    >>> size_bucket("drones", 99.5), size_bucket("drones", 300), size_bucket("missiles", 25)
    ('0-99', '300-499', '20+')
    """
    edges = SIZE_EDGES[group]
    lo = 0
    for e in edges:
        if size < e:
            return f"{lo}-{e - 1}"
        lo = e
    return f"{lo}+"


# --------------------------------------------------------------------------- raids


def replay_matchup(
    m: Matchup, raids: Sequence[Raid], start: dt.date, days: int
) -> tuple[Matchup, dict[str, float]]:
    """The matchup whose red ``raids:`` are the recorded raids (module docstring).

    Parameters
    ----------
    m : Matchup
        The snapshot pair to test.
    raids : sequence of Raid
        Recorded raids of nights ``start`` .. ``start + days - 1`` (others are left out).
    start : datetime.date
        Night of campaign day 0.
    days : int
        Campaign length (the window).

    Returns
    -------
    (Matchup, dict)
        The replay matchup, and class -> weapons left out (no system id, a system
        the red snapshot lacks, or outside the window).
    """
    from qdb.models.estimate import Estimate
    from qdb.models.inventory import Raid as InvRaid

    entries, left = recorded_raids_as_inventory(raids, start, days)
    left_out = dict(left)
    have = {s.id: s for s in m.red.systems}
    kept: list[dict[str, Any]] = []
    totals: dict[str, float] = {}
    for e in entries:
        size = {}
        for sid, n in e["size"].items():
            if sid in have:
                size[sid] = n
                totals[sid] = totals.get(sid, 0.0) + n
            else:
                cls = _class_of(raids, sid)
                left_out[cls] = left_out.get(cls, 0.0) + n
        if size:
            kept.append({**e, "size": size})
    systems = [
        s.model_copy(
            update={
                "stock": Estimate.point(totals[s.id] * (1 + 1e-9) + 1e-9),
                "per_day": Estimate.point(0),
            }
        )
        if s.id in totals
        else s
        for s in m.red.systems
    ]
    red = m.red.model_copy(
        update={"raids": [InvRaid.model_validate(e) for e in kept], "systems": systems}
    )
    catalog = m.catalog.model_copy(update={"campaign_days": days})
    return replace(m, catalog=catalog, red=red), dict(sorted(left_out.items()))


def _class_of(raids: Sequence[Raid], system: str) -> str:
    for r in raids:
        for cls, s in r.counts:
            if s == system:
                return cls
    return "unknown"


@dataclass(frozen=True)
class RaidComparison:
    """One recorded raid (night): per class, recorded and predicted."""

    id: str
    night: dt.date
    day: int
    sizes: Mapping[str, float]
    """Weapon group -> weapons of the group replayed that night."""
    recorded: Mapping[str, ClassCount]
    predicted_launched: Mapping[str, float]
    predicted_leaked: Mapping[str, float]

    def predicted_leakage(self, cls: str) -> float | None:
        """Leaked / launched of class ``cls`` in the campaign (None if none launched)."""
        n = self.predicted_launched.get(cls, 0.0)
        return self.predicted_leaked.get(cls, 0.0) / n if n > 0 else None


@dataclass(frozen=True)
class ClassScore:
    """Predicted against reported leakage over a set of raids, for one class."""

    raids: int
    launched: float
    reported_leakage: float | None
    net_leakage: float | None
    predicted_leakage: float | None
    mean_abs_error: float | None
    mean_abs_error_net: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (4 decimals)."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "raids": self.raids,
            "launched": r(self.launched),
            "reported_leakage": r(self.reported_leakage),
            "net_leakage": r(self.net_leakage),
            "predicted_leakage": r(self.predicted_leakage),
            "mean_abs_error": r(self.mean_abs_error),
            "mean_abs_error_net": r(self.mean_abs_error_net),
        }


def _score(items: Sequence[tuple[RaidComparison, str]]) -> ClassScore:
    total = ClassCount()
    p_launched = p_leaked = 0.0
    errs: list[float] = []
    errs_net: list[float] = []
    for rc, cls in items:
        rec = rc.recorded.get(cls, ClassCount())
        total = total + rec
        p_launched += rc.predicted_launched.get(cls, 0.0)
        p_leaked += rc.predicted_leaked.get(cls, 0.0)
        pl = rc.predicted_leakage(cls)
        if pl is not None and rec.reported_leakage is not None:
            errs.append(abs(pl - rec.reported_leakage))
        if pl is not None and rec.net_leakage is not None:
            errs_net.append(abs(pl - rec.net_leakage))
    return ClassScore(
        raids=len(items),
        launched=total.launched,
        reported_leakage=total.reported_leakage,
        net_leakage=total.net_leakage,
        predicted_leakage=p_leaked / p_launched if p_launched > 0 else None,
        mean_abs_error=sum(errs) / len(errs) if errs else None,
        mean_abs_error_net=sum(errs_net) / len(errs_net) if errs_net else None,
    )


@dataclass(frozen=True)
class RaidBacktest:
    """The raid back-test: per raid, per class and by size."""

    start: dt.date
    days: int
    raids: tuple[RaidComparison, ...]
    by_class: Mapping[str, ClassScore]
    by_size: Mapping[str, Mapping[str, ClassScore]]
    left_out: Mapping[str, float]
    snapshot: Mapping[str, str]
    engine_version: str = ""

    def as_dict(self, per_raid: bool = False) -> dict[str, Any]:
        """JSON-ready; ``per_raid`` adds every raid's numbers."""
        out: dict[str, Any] = {
            "window": {
                "from": self.start.isoformat(),
                "to_exclusive": (self.start + dt.timedelta(days=self.days)).isoformat(),
                "days": self.days,
            },
            "as_of": dict(self.snapshot),
            "engine_version": self.engine_version,
            "note": NOTE_RAIDS,
            "raids": len(self.raids),
            "left_out_launched": {k: round(v, 4) for k, v in self.left_out.items()},
            "by_class": {k: v.as_dict() for k, v in self.by_class.items()},
            "by_size": {k: {b: s.as_dict() for b, s in v.items()} for k, v in self.by_size.items()},
        }
        if per_raid:
            out["per_raid"] = [
                {
                    "id": rc.id,
                    "night": rc.night.isoformat(),
                    "day": rc.day,
                    "classes": {
                        cls: {
                            "launched": round(c.launched, 4),
                            "reported_leakage": None
                            if c.reported_leakage is None
                            else round(c.reported_leakage, 4),
                            "predicted_leakage": None
                            if rc.predicted_leakage(cls) is None
                            else round(rc.predicted_leakage(cls) or 0.0, 4),
                        }
                        for cls, c in rc.recorded.items()
                    },
                }
                for rc in self.raids
            ]
        return out


def compare_raids(
    raids: Sequence[Raid],
    outcomes: Sequence[tuple[int, str, Mapping[str, float], Mapping[str, float]]],
    start: dt.date,
    days: int,
    classes: Sequence[str] | None = None,
) -> tuple[tuple[RaidComparison, ...], dict[str, ClassScore], dict[str, dict[str, ClassScore]]]:
    """Match the campaign's per-raid outcomes to the recorded raids and score them.

    Parameters
    ----------
    raids : sequence of Raid
        Recorded raids (one per night and group); only systems with an id count.
    outcomes : sequence of (day, raid id, launched by class, leaked by class)
        The campaign's raids (:attr:`qdb.results.Assessment.raids`), ids ``rYYYYMMDD``.
    start, days : datetime.date, int
        The window (campaign day 0 is night ``start``).
    classes : sequence of str, optional
        Classes to score (default: every class launched).

    Returns
    -------
    (raids, by_class, by_size)
        ``by_size[class][bucket]`` buckets by the weapons of the class's group
        replayed that night (:data:`SIZE_EDGES`).
    """
    group_of = {cls: g for g, cs in GROUPS.items() for cls in cs}
    nights: dict[dt.date, dict[str, ClassCount]] = {}
    for r in raids:
        if not 0 <= (r.night - start).days < days:
            continue
        acc = nights.setdefault(r.night, {})
        for (cls, system), c in r.counts.items():
            if system is not None:
                acc[cls] = acc.get(cls, ClassCount()) + c
    out: list[RaidComparison] = []
    for day, rid, launched, leaked in outcomes:
        try:
            night = dt.datetime.strptime(rid[1:9], "%Y%m%d").date()
        except ValueError:
            continue
        rec = nights.get(night)
        if rec is None:
            continue
        sizes: dict[str, float] = {}
        for cls, n in launched.items():
            g = group_of.get(cls)
            if g is not None:
                sizes[g] = sizes.get(g, 0.0) + n
        out.append(RaidComparison(rid, night, day, sizes, rec, dict(launched), dict(leaked)))
    out.sort(key=lambda rc: (rc.day, rc.id))
    wanted = sorted(set(classes) if classes is not None else {c for rc in out for c in rc.recorded})
    by_class: dict[str, ClassScore] = {}
    by_size: dict[str, dict[str, ClassScore]] = {}
    for cls in wanted:
        items = [(rc, cls) for rc in out if rc.recorded.get(cls, ClassCount()).launched > 0]
        if not items:
            continue
        by_class[cls] = _score(items)
        g = group_of.get(cls)
        if g is None:
            continue
        buckets: dict[str, list[tuple[RaidComparison, str]]] = {}
        for rc, name in items:
            buckets.setdefault(size_bucket(g, rc.sizes.get(g, 0.0)), []).append((rc, name))
        by_size[cls] = {
            b: _score(v)
            for b, v in sorted(buckets.items(), key=lambda kv: int(kv[0].split("-")[0].rstrip("+")))
        }
    return tuple(out), by_class, by_size


def backtest_raids(m: Matchup, raids: Sequence[Raid], start: dt.date, days: int) -> RaidBacktest:
    """Replay recorded raids through the snapshot's iamd campaign (point estimate) and score it.

    Parameters
    ----------
    m : Matchup
        The snapshots to test (``--as-of``).
    raids : sequence of Raid
        Recorded raids (from :func:`qdb.calibrate.raids.group_raids`).
    start : datetime.date
        First night of the window.
    days : int
        Window length in nights (the campaign's length in the replay).

    Returns
    -------
    RaidBacktest
    """
    from qdb.assess import assess

    window = [r for r in raids if 0 <= (r.night - start).days < days]
    m2, left = replay_matchup(m, window, start, days)
    a: Assessment = assess(m2, samples=0, with_critical=False, options=[("backtest", "raids")])
    outcomes = [(r.day, r.raid, dict(r.launched), dict(r.leaked)) for r in a.raids]
    rcs, by_class, by_size = compare_raids(window, outcomes, start, days)
    return RaidBacktest(
        start=start,
        days=days,
        raids=rcs,
        by_class=by_class,
        by_size=by_size,
        left_out=left,
        snapshot=dict(a.as_of),
        engine_version=a.engine_version,
    )


# --------------------------------------------------------------------------- land losses

ORYX_CATEGORIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "mbt": (("Tanks",),),
    "ifv": (
        ("Infantry Fighting Vehicles",),
        ("Armoured Fighting Vehicles",),
        ("Armoured Personnel Carriers",),
        ("Mine-Resistant Ambush Protected",),
    ),
    "tube_artillery": (("Self-Propelled Artillery",), ("Towed Artillery",)),
    "mlrs": (("Multiple Rocket Launchers", "Rocket and Missile Artillery"),),
}
"""Catalog class -> Oryx categories that count its losses; names in one inner tuple
are one tally under successive names (Oryx renamed "Multiple Rocket Launchers" to
"Rocket and Missile Artillery" in June 2025: one running tally). Judgement: classes
with no Oryx category (ATGM teams, FPV drones, counter-battery radars; guided rocket
launchers are inside the rocket artillery tally, counted once under mlrs) are left
out of the observed ratio."""


def _merged(
    tallies: Mapping[tuple[str, str], Sequence[tuple[dt.date, float]]],
    country: str,
    names: Sequence[str],
) -> list[tuple[dt.date, float]]:
    return sorted(x for n in names for x in tallies.get((country, n), ()))


CLAIM_FIELDS: dict[str, tuple[str, ...]] = {
    "mbt": ("tank",),
    "ifv": ("APC",),
    "tube_artillery": ("field artillery",),
    "mlrs": ("MRL",),
}
"""Catalog class -> General Staff claim fields (Russian losses only)."""

NOTE_LOSSES = (
    "implied_ler = q * r**(1-p): red losses per blue loss under the contest's law (point "
    "estimate). observed_ler = Russian / Ukrainian Oryx visually confirmed losses in the "
    "period, each class weighted by the contest's own threat / counter weights (a lower "
    "bound of both sides' losses; Oryx undercounts Ukrainian losses more, which biases the "
    "ratio up). claims_ler_upper = General Staff claims of Russian losses / Oryx Ukrainian "
    "losses: one belligerent's claims, an upper bound only. balance_from_losses = "
    "observed_ler / r, the balance the observed ratio implies (beta = LER / r for any p)."
)


def period_losses(
    series: Sequence[tuple[dt.date, float]], start: dt.date, end: dt.date
) -> float | None:
    """Increase of a running tally from ``start`` to ``end`` (last values at or before each).

    None when the tally has no value at or before ``start`` (the data do not cover it).

    Examples
    --------
    >>> import datetime as dt
    >>> s = [(dt.date(2025, 1, 1), 10.0), (dt.date(2025, 2, 1), 15.0), (dt.date(2025, 3, 1), 30.0)]
    >>> period_losses(s, dt.date(2025, 1, 15), dt.date(2025, 2, 20))
    5.0
    """

    def at(d: dt.date) -> float | None:
        v = None
        for day, x in series:
            if day > d:
                break
            v = x
        return v

    a, b = at(start), at(end)
    if a is None or b is None:
        return None
    return b - a


@dataclass(frozen=True)
class LossComparison:
    """One land contest: implied against observed loss-exchange ratio."""

    contest: str
    law: str
    exponent: float | None
    numbers_ratio: float | None
    quality_ratio: float | None
    balance: float | None
    implied_ler: float | None
    red_losses: float | None
    blue_losses: float | None
    observed_ler: float | None
    claims_red_losses: float | None
    claims_ler_upper: float | None
    balance_from_losses: float | None
    classes_counted: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (6 significant digits)."""

        def r(x: float | None) -> float | None:
            return None if x is None else float(f"{x:.6g}")

        return {
            "contest": self.contest,
            "law": self.law,
            "exponent": r(self.exponent),
            "numbers_ratio": r(self.numbers_ratio),
            "quality_ratio": r(self.quality_ratio),
            "balance": r(self.balance),
            "implied_ler": r(self.implied_ler),
            "red_losses_oryx": r(self.red_losses),
            "blue_losses_oryx": r(self.blue_losses),
            "observed_ler": r(self.observed_ler),
            "claims_red_losses": r(self.claims_red_losses),
            "claims_ler_upper": r(self.claims_ler_upper),
            "balance_from_losses": r(self.balance_from_losses),
            "classes_counted": list(self.classes_counted),
        }


def backtest_losses(
    a: Assessment,
    m: Matchup,
    tallies: Mapping[tuple[str, str], Sequence[tuple[dt.date, float]]],
    start: dt.date,
    end: dt.date,
    claims: Sequence[tuple[dt.date, Mapping[str, float]]] | None = None,
    red_country: str = "Russia",
    blue_country: str = "Ukraine",
) -> list[LossComparison]:
    """Each land Lanchester contest's implied loss-exchange ratio beside the observed one.

    Parameters
    ----------
    a : Assessment
        Point assessment of ``m`` (its contests give q, r and p).
    m : Matchup
        Gives the contests' threat and counter weights (point estimates).
    tallies : mapping
        Oryx running tallies, (country, category) -> [(date, total)].
    start, end : datetime.date
        The period: losses are tally(end) - tally(start).
    claims : sequence, optional
        General Staff cumulative claims [(date, {field: count})] (Russian losses).
    red_country, blue_country : str
        Oryx country names of the red and blue sides.

    Returns
    -------
    list of LossComparison
        One per contest of domain ``land`` with a Lanchester law, in catalog order.
    """
    out: list[LossComparison] = []
    for contest in m.catalog.contests:
        if contest.domain != "land" or contest.law not in ("square", "linear", "power"):
            continue
        res = a.contest(contest.id)
        if res is None:
            continue
        q, r, p = res.quality_ratio, res.numbers_ratio, res.exponent
        implied = (
            q * r ** (1 - p)
            if q is not None and r is not None and p is not None and r > 0
            else None
        )
        red_w = {c: float(w.estimate) for c, w in (contest.threat or {}).items()}
        blue_w = {c: float(w.estimate) for c, w in (contest.counters or {}).items()}
        counted = tuple(sorted(c for c in set(red_w) | set(blue_w) if c in ORYX_CATEGORIES))

        def oryx(country: str, weights: Mapping[str, float]) -> float | None:
            total = 0.0
            for cls, w in weights.items():
                for names in ORYX_CATEGORIES.get(cls, ()):
                    v = period_losses(_merged(tallies, country, names), start, end)
                    if v is None:
                        return None
                    total += w * v
            return total

        red_l, blue_l = oryx(red_country, red_w), oryx(blue_country, blue_w)
        observed = red_l / blue_l if red_l is not None and blue_l else None
        claims_red = None
        if claims:
            claims_red = 0.0
            for cls, w in red_w.items():
                for fld in CLAIM_FIELDS.get(cls, ()):
                    series = [(d, c[fld]) for d, c in claims if fld in c]
                    v = period_losses(series, start, end)
                    if v is None:
                        claims_red = None
                        break
                    claims_red += w * v
                if claims_red is None:
                    break
        upper = claims_red / blue_l if claims_red is not None and blue_l else None
        out.append(
            LossComparison(
                contest=contest.id,
                law=contest.law,
                exponent=p,
                numbers_ratio=r,
                quality_ratio=q,
                balance=res.balance,
                implied_ler=implied,
                red_losses=red_l,
                blue_losses=blue_l,
                observed_ler=observed,
                claims_red_losses=claims_red,
                claims_ler_upper=upper,
                balance_from_losses=observed / r if observed is not None and r else None,
                classes_counted=counted,
            )
        )
    return out
