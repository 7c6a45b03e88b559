"""Matchup -> :class:`~qdb.results.Assessment` through the engine (pure).

The point assessment is one column of the engine's value matrix; with
``samples`` the Monte Carlo evaluates the same code over drawn columns and
every contest gets ``p_holds``, ``p_offset``, percentiles and a judgement at
``confidence``; the determination follows from P(every critical contest
holds). ``index`` = Σ w·min(β, 1) / Σ w over contested contests: the weighted
share of the requirement met (a surplus never offsets a deficit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from qdb.contests import FACTOR_NAMES, Evaluation, Plan, compile_plan, evaluate
from qdb.contests.plan import IamdContest, LanchesterContest
from qdb.models import Matchup
from qdb.results import (
    Assessment,
    CampaignSystem,
    ContestResult,
    Contributor,
    RaidRecord,
)
from qdb.verdicts import determination, judgement, verdict
from qdb.version import ENGINE_VERSION

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CRITICAL_SAMPLES",
    "assess",
    "certify",
    "index_of",
    "inputs_digest",
]

CRITICAL_SAMPLES = 400
"""Samples (the first of the run, common random numbers) of the critical-system analysis."""


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
    """True when every critical contest's point verdict holds (offset, matched or uncontested)."""
    return all(r.holds for r in results if r.critical)


def index_of(results: Sequence[ContestResult]) -> float | None:
    """Σ w·min(β, 1) / Σ w over contested contests (an empty blue side counts β = 0)."""
    num = den = 0.0
    for r in results:
        if r.verdict == "uncontested" or r.balance is None:
            continue
        num += r.weight * min(r.balance, 1.0)
        den += r.weight
    return num / den if den > 0 else None


def _f(x: Any) -> float | None:
    """A finite float, or None (NaN marks "not applicable" in the engine's arrays)."""
    v = float(x)
    return None if v != v else v


def _contributors(plan: Plan, members: Sequence[tuple[int, float]]) -> tuple[Contributor, ...]:
    """(system index, strength) -> shares, largest first (ties by id)."""
    total = sum(v for _, v in members)
    out = [
        Contributor(
            system=plan.systems[i].id,
            share=(v / total) if total > 0 else 0.0,
            name=plan.systems[i].name,
            class_=plan.systems[i].class_,
        )
        for i, v in members
    ]
    out.sort(key=lambda c: (-c.share, c.system))
    return tuple(out)


def _contest_results(plan: Plan, V: FloatArray, ev: Evaluation) -> list[ContestResult]:
    """The point (column 0) result of every contest, catalog order."""
    cat = plan.matchup.catalog
    out = []
    for con in plan.contests:
        model = cat.contests[con.index]
        i = con.index
        bal = _f(ev.balance[i, 0])
        assert ev.units is not None and ev.q is not None
        if isinstance(con, LanchesterContest):
            blue = [(j, float(V[w, 0] * ev.units[j, 0] * ev.q[j, 0])) for j, w in con.blue]
            red = [(j, float(V[w, 0] * ev.units[j, 0] * ev.q[j, 0])) for j, w in con.red]
            factors = None
            if ev.factors["numbers"][i, 0] == ev.factors["numbers"][i, 0]:
                factors = {k: float(ev.factors[k][i, 0]) for k in FACTOR_NAMES}
            extra: dict[str, Any] = {"exponent": float(V[con.exponent, 0])}
        else:
            assert isinstance(con, IamdContest)
            blue = []
            for layer in plan.layers:
                if any(e.threat in con.threats for e in layer.engages):
                    for j in layer.systems:
                        k = sum(
                            float(ev.kills_by_class[t][j, 0])
                            for t in con.threats
                            if t in ev.kills_by_class
                        )
                        blue.append((j, k))
            red = [
                (j, float(ev.leaked[k, 0]))  # type: ignore[index]
                for k, j in enumerate(plan.threats)
                if plan.systems[j].class_ in con.threats
            ]
            factors = None
            extra = {
                "exponent": None,
                "leakage": _f(ev.leakage[i, 0]),  # type: ignore[index]
                "worst_raid_leakage": _f(ev.worst_raid_leakage[i, 0]),  # type: ignore[index]
                "acceptable_leakage": float(V[con.acceptable, 0]),
            }
        out.append(
            ContestResult(
                id=model.id,
                title=model.title,
                law=model.law,
                domain=model.domain,
                critical=model.critical,
                weight=model.weight.value,
                blue_units=float(ev.blue_units[i, 0]),  # type: ignore[index]
                red_units=float(ev.red_units[i, 0]),  # type: ignore[index]
                numbers_ratio=_f(ev.numbers_ratio[i, 0]),  # type: ignore[index]
                quality_ratio=_f(ev.quality_ratio[i, 0]),  # type: ignore[index]
                required_quality_ratio=_f(ev.required[i, 0]),  # type: ignore[index]
                balance=bal,
                verdict=verdict(bal, plan.matched, plan.offset),
                factors=factors,
                contributors_blue=_contributors(plan, blue),
                contributors_red=_contributors(plan, red),
                rationale=model.rationale,
                **extra,
            )
        )
    return out


def _campaign(plan: Plan, ev: Evaluation) -> tuple[CampaignSystem, ...]:
    if ev.fired is None:
        return ()
    out = []
    for layer in plan.layers:
        for j in layer.systems:
            row = plan.systems[j]
            day = int(ev.exhausted_day[j, 0])
            out.append(
                CampaignSystem(
                    system=row.id,
                    name=row.name,
                    class_=row.class_,
                    layer=layer.position,
                    fired=float(ev.fired[j, 0]),
                    kills=float(ev.kills[j, 0]),  # type: ignore[index]
                    exhausted_day=None if day < 0 else day,
                    kills_by_class=tuple(
                        (t, float(k[j, 0])) for t, k in sorted(ev.kills_by_class.items())
                    ),
                    stock=None if row.stock is None else plan.points[row.stock],
                )
            )
    out.sort(key=lambda s: (s.layer, s.system))
    return tuple(out)


def assess(
    m: Matchup,
    *,
    samples: int = 0,
    seed: int = 0,
    confidence: float = 0.8,
    with_critical: bool = True,
    critical_samples: int = CRITICAL_SAMPLES,
    options: Iterable[tuple[str, Any]] = (),
    engine_version: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Assessment:
    """Assess a matchup: every contest, the index, the determination, critical systems.

    Parameters
    ----------
    m : Matchup
        Catalog plus the blue and red snapshots (edits already applied).
    samples : int
        Monte Carlo samples (0: point estimate only; judgements then follow
        the point verdicts and probabilities are None).
    seed : int
        Seed of the draws (sample ``i`` depends on nothing else).
    confidence : float
        The confidence c of judgements and the determination, in (0.5, 1).
    with_critical : bool
        Also find the single blue systems whose loss changes a critical
        contest's judgement (verdict, with ``samples`` 0).
    critical_samples : int
        Samples of that analysis (the first ones of the run).
    options : iterable of (name, value)
        Options that change results; they enter ``inputs_sha256``.
    engine_version : str, optional
        Recorded in the result (default: this engine's).
    progress : callable, optional
        Called with the number of Monte Carlo samples finished after each chunk.

    Returns
    -------
    Assessment

    Examples
    --------
    >>> # a = assess(matchup, samples=4000); a.determination
    """
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0.5 and 1 (got {confidence:g})")
    plan = compile_plan(m)
    V = plan.values()
    ev = evaluate(plan, V, detail=True, log=True)
    results = _contest_results(plan, V, ev)
    opts = [*options]
    p_cert: float | None = None
    warnings: tuple[str, ...] = ()
    if samples:
        from qdb.uncertainty import monte_carlo

        mc = monte_carlo(m, samples, seed, plan=plan, progress=progress)
        warnings = tuple(mc.warnings)
        opts += [("samples", samples), ("seed", seed), ("confidence", confidence)]
        new = []
        for r in results:
            u = mc.uncertainty[r.id]
            ph, po = float(u["p_matched_or_offset"] or 0.0), mc.p_offset[r.id]
            if r.verdict == "uncontested" and ph >= 1.0 and u["balance_p50"] is None:
                jd = "uncontested"
            else:
                jd = judgement(po, ph, confidence)
            new.append(_replace(r, judgement=jd, p_holds=ph, p_offset=po, uncertainty=u))
        results = new
        p_cert = mc.p_certified
        det = determination(p_cert, confidence)
    else:
        results = [_replace(r, judgement=r.verdict) for r in results]
        det = "certified" if certify(results) else "not_certified"
    a = Assessment(
        blue=m.blue.side,
        red=m.red.side,
        as_of={m.blue.side: m.blue.as_of.isoformat(), m.red.side: m.red.as_of.isoformat()},
        inputs_sha256=inputs_digest(m, opts),
        engine_version=engine_version or ENGINE_VERSION,
        certified=det == "certified",
        index=index_of(results),
        contests=tuple(results),
        thresholds={"matched": plan.matched, "offset": plan.offset},
        determination=det,
        p_certified=p_cert,
        samples=samples,
        seed=seed,
        confidence=confidence,
        campaign=_campaign(plan, ev),
        raids=tuple(
            RaidRecord(
                r.day, r.raid, tuple(sorted(r.launched.items())), tuple(sorted(r.leaked.items()))
            )
            for r in ev.raid_log
        ),
        campaign_days=plan.campaign_days,
        warnings=warnings,
    )
    if with_critical:
        from qdb.critical import critical_systems

        n_crit = min(samples, critical_samples) if samples else 0
        crit = critical_systems(plan, a, seed=seed, samples=n_crit, confidence=confidence)
        a = _replace(a, critical_systems=crit, critical_samples=n_crit)
    return a


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)
