"""Assessment + matchup (+ optional extras) -> the report context (pure data).

The context is a plain, JSON-serialisable ``dict``: every number the reader
sees is already formatted here, so the Markdown, HTML and PDF templates print
the same words. Optional analyses plug in as plain dicts through ``extras``;
a section appears only when its dict is present:

``uncertainty``
    The assessment JSON augmented by ``qdb.uncertainty`` (``p_certified``,
    ``samples``, ``seed`` and per contest ``uncertainty`` with
    ``p_matched_or_offset``, ``balance_p05``, ``balance_p50``, ``balance_p95``).
``sensitivity``
    Per contest id, a list of bars ``{input, low, high}`` (balance when the
    input is at its low and high bound); ``{"contests": {...}}`` and lists of
    ``{contest, bars}`` are accepted too.
``obligations``
    ``qdb.obligations.obligations(...).to_json()``: ``partners`` (with
    ``pledged_value_musd``, ``delivered_value_musd``, ``funding_total_musd``,
    ``status``), ``slipped`` and ``burden`` (bloc -> sums). Without it the
    section is computed from the matchup's commitments.
``projection``
    ``qdb.projection.project(...).to_json()``: ``years`` (``[{year,
    certified, contests: [{id, balance, verdict}]}]``), ``closes``,
    ``triggers``, ``first_certified``, ``assumptions``.
``optimization``
    ``qdb.optimize.optimize(...).to_json()``: ``package`` (``[{class,
    system, quantity, cost_musd, new_system}]``), ``total_cost_musd``,
    ``feasible``, ``message``, ``unreachable``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from qdb.models import Matchup
from qdb.models.estimate import Estimate
from qdb.report.fmt import (
    DASH,
    fmt_balance,
    fmt_date_long,
    fmt_estimate,
    fmt_money,
    fmt_mult,
    fmt_num,
    fmt_pct,
    fmt_ratio,
    fmt_sig,
)
from qdb.results import Assessment, ContestResult, Contributor

__all__ = ["EXTRA_SECTIONS", "build_context", "side_label"]

EXTRA_SECTIONS = ("uncertainty", "sensitivity", "obligations", "projection", "optimization")

VERDICT_LABEL = {
    "offset": "Offset",
    "matched": "Matched",
    "shortfall": "Shortfall",
    "uncontested": "Uncontested",
}
FACTOR_LABEL = {
    "numbers": "Numbers",
    "equipment": "Equipment",
    "training": "Training",
    "technology": "Technology",
    "interaction": "Interaction",
}
BLOC_LABEL = {"us": "United States", "europe": "Europe", "other": "Other partners"}
SIDE_NAMES = {"ukraine": "Ukraine", "russia": "Russia"}
SIDE_ADJECTIVES = {"ukraine": "Ukrainian", "russia": "Russian"}
TOP_CONTRIBUTORS = 5


def side_label(slug: str) -> str:
    """Display name of a side slug (``ukraine`` -> ``Ukraine``).

    Examples
    --------
    >>> side_label("russia")
    'Russia'
    >>> side_label("north_korea")
    'North Korea'
    """
    return SIDE_NAMES.get(slug, slug.replace("_", " ").title())


def side_adjective(slug: str) -> str:
    """Adjective of a side (``russia`` -> ``Russian``); the name where none is known.

    Examples
    --------
    >>> side_adjective("ukraine")
    'Ukrainian'
    """
    return SIDE_ADJECTIVES.get(slug, side_label(slug))


def _law_text(c: ContestResult) -> str:
    if c.law == "square":
        return "Square law (aimed fire), p = 2"
    if c.law == "linear":
        return "Linear law (area fire), p = 1"
    if c.law == "power":
        return f"Power law, p = {fmt_sig(c.exponent, 3)}"
    return "Layered defence (leakage)"


def _est(e: Estimate | None) -> str:
    if e is None:
        return DASH
    return fmt_estimate(e.low, e.estimate, e.high)


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --------------------------------------------------------------------------- contests


def _gap_text(
    c: ContestResult, th: Mapping[str, float], blue: str, red: str, acceptable: float | None
) -> str:
    """What would close the gap (shortfall) or how much margin there is (holding)."""
    matched, offset = th["matched"], th["offset"]
    if c.verdict == "uncontested":
        return f"No {red} capability is assessed in this contest."
    if c.balance is None:
        return DASH
    if c.law == "layered_defence":
        if acceptable is None or c.leakage is None:
            return DASH
        need = acceptable**matched
        if c.verdict == "shortfall":
            return (
                f"Cut leakage from {fmt_pct(c.leakage)} to at most {fmt_pct(need)}: more "
                "interceptor launchers and stocks, or a higher kill probability per shot."
            )
        worst = acceptable**matched
        return f"Holds: leakage {fmt_pct(c.leakage)}; a shortfall begins above {fmt_pct(worst)}."
    if c.balance <= 0:
        return f"{blue} fields no counter to this threat: any listed counter capability would contest it."
    p = c.exponent or 1.0
    if c.verdict == "shortfall":
        need_q = matched / c.balance
        k = need_q ** (1.0 / p)
        held = c.quality_ratio
        parts = [
            f"Raise the quality edge from {fmt_mult(held)} to {fmt_mult((held or 0) * need_q)}",
            f"or field {fmt_mult(k)} the counter-force (+{fmt_num(c.blue_units * (k - 1))} "
            "weighted units)",
            f"or reduce the {red} force by {fmt_pct(1 - 1 / k)}",
        ]
        return ", ".join(parts) + "."
    margin = 1 - matched / c.balance
    if c.verdict == "matched":
        return (
            f"Holds with a {fmt_pct(margin)} margin; an offset needs a further "
            f"{fmt_mult(offset / c.balance)} in quality."
        )
    return f"Holds with a {fmt_pct(margin)} margin before the balance falls below matched."


def _contributors(cs: Iterable[Contributor]) -> list[dict[str, Any]]:
    out = []
    for c in list(cs)[:TOP_CONTRIBUTORS]:
        out.append(
            {
                "system": c.system,
                "name": c.name or c.system,
                "share": c.share,
                "share_text": fmt_pct(c.share),
            }
        )
    return out


def _factors(c: ContestResult) -> list[dict[str, Any]] | None:
    if c.factors is None:
        return None
    return [
        {
            "name": k,
            "label": FACTOR_LABEL[k],
            "log": c.factors[k],
            "mult": math.exp(c.factors[k]),
            "mult_text": fmt_mult(math.exp(c.factors[k])),
        }
        for k in ("numbers", "equipment", "training", "technology", "interaction")
    ]


def _layered(c: ContestResult, m: Matchup) -> dict[str, Any] | None:
    if c.law != "layered_defence":
        return None
    con = m.catalog.contest(c.id)
    acceptable = con.acceptable_leakage.value if con and con.acceptable_leakage else None
    days = con.campaign_days.value if con and con.campaign_days else None
    matched = m.catalog.thresholds.matched
    layers = []
    flying = c.red_units
    for lay in c.layers:
        cls = m.catalog.classes.get(str(lay["class"]))
        entering = flying
        flying = max(0.0, flying - float(lay["kills"]))
        layers.append(
            {
                "class": lay["class"],
                "name": (cls.name if cls and cls.name else str(lay["class"])),
                "capacity": lay["capacity"],
                "capacity_text": fmt_num(lay["capacity"]),
                "rationed_text": fmt_num(lay["rationed"]),
                "stock_text": "unlimited" if lay["stock"] is None else fmt_num(lay["stock"]),
                "pk_text": fmt_pct(lay["pk"]),
                "shots_text": fmt_num(lay["shots"]),
                "kills_text": fmt_num(lay["kills"]),
                "entering": entering,
                "entering_text": fmt_num(entering),
                "leaving": flying,
                "leaving_text": fmt_num(flying),
            }
        )
    return {
        "arrivals": c.red_units,
        "arrivals_text": fmt_num(c.red_units),
        "leakage": c.leakage,
        "leakage_text": fmt_pct(c.leakage),
        "acceptable": acceptable,
        "acceptable_text": fmt_pct(acceptable),
        "required_leakage": None if acceptable is None else acceptable**matched,
        "required_leakage_text": DASH if acceptable is None else fmt_pct(acceptable**matched),
        "days": c.days_of_interceptors,
        "days_text": "not limited by stocks"
        if c.days_of_interceptors is None
        else f"{fmt_sig(c.days_of_interceptors, 3)} days",
        "campaign_days": days,
        "campaign_days_text": DASH if days is None else f"{fmt_num(days)} days",
        "layers": layers,
    }


def _contest(
    c: ContestResult, m: Matchup, th: Mapping[str, float], blue: str, red: str
) -> dict[str, Any]:
    con = m.catalog.contest(c.id)
    layered = _layered(c, m)
    acceptable = layered["acceptable"] if layered else None
    contested = c.verdict != "uncontested"
    if not contested:
        held = required = DASH
    elif c.law == "layered_defence":
        held = DASH if c.leakage is None else f"leakage {fmt_pct(c.leakage)}"
        required = DASH if layered is None else f"leakage ≤ {layered['required_leakage_text']}"
    else:
        held = fmt_mult(c.quality_ratio)
        required = fmt_mult(c.required_quality_ratio)
    return {
        "id": c.id,
        "title": c.title,
        "domain": c.domain,
        "law": c.law,
        "law_text": _law_text(c),
        "critical": c.critical,
        "weight": c.weight,
        "verdict": c.verdict,
        "verdict_label": VERDICT_LABEL[c.verdict],
        "holds": c.holds,
        "contested": contested,
        "balance": c.balance,
        "balance_text": fmt_balance(c.balance),
        "numbers_ratio": c.numbers_ratio,
        "advantage_text": fmt_ratio(c.numbers_ratio) if contested else DASH,
        "quality_ratio": c.quality_ratio,
        "held_text": held,
        "required_quality_ratio": c.required_quality_ratio,
        "required_text": required,
        "blue_units_text": fmt_num(c.blue_units),
        "red_units_text": fmt_num(c.red_units),
        "gap_text": _gap_text(c, th, blue, red, acceptable),
        "factors": _factors(c),
        "contributors_blue": _contributors(c.contributors_blue),
        "contributors_red": _contributors(c.contributors_red),
        "rationale": c.rationale,
        "sources": list(con.sources) if con else [],
        "layered": layered,
        "uncertainty": None,
        "sensitivity": None,
        "charts": {
            "waterfall": f"waterfall_{c.id}" if c.factors is not None else None,
            "layered": f"layered_{c.id}" if layered and c.red_units > 0 else None,
            "tornado": None,
        },
    }


# --------------------------------------------------------------------------- extras


def _uncertainty(unc: Mapping[str, Any], contests: list[dict[str, Any]]) -> dict[str, Any] | None:
    by_id = {
        c.get("id"): c.get("uncertainty") for c in unc.get("contests", []) if isinstance(c, Mapping)
    }
    rows = []
    for c in contests:
        u = by_id.get(c["id"])
        if not isinstance(u, Mapping):
            continue
        p = u.get("p_matched_or_offset")
        c["uncertainty"] = {
            "p": p,
            "p_text": fmt_pct(p),
            "p05": u.get("balance_p05"),
            "p50": u.get("balance_p50"),
            "p95": u.get("balance_p95"),
            "p05_text": fmt_balance(u.get("balance_p05")),
            "p50_text": fmt_balance(u.get("balance_p50")),
            "p95_text": fmt_balance(u.get("balance_p95")),
        }
        rows.append(c["id"])
    if not rows and unc.get("p_certified") is None:
        return None
    pc = unc.get("p_certified")
    return {
        "samples": unc.get("samples"),
        "samples_text": fmt_num(unc.get("samples")) if unc.get("samples") is not None else DASH,
        "seed": unc.get("seed"),
        "p_certified": pc,
        "p_certified_text": fmt_pct(pc),
        "contests": rows,
        "chart": "uncertainty" if rows else None,
    }


def _sensitivity(sens: Any, contests: list[dict[str, Any]]) -> list[str]:
    """Attach tornado bars to contests; returns the ids that got some."""
    table: dict[str, Any] = {}
    if isinstance(sens, Mapping):
        inner = sens.get("contests", sens)
        if isinstance(inner, Mapping):
            table = dict(inner)
        elif isinstance(inner, list):
            sens = inner
    if isinstance(sens, list):
        for item in sens:
            if isinstance(item, Mapping) and "contest" in item:
                table[str(item["contest"])] = item.get("bars", item.get("inputs", []))
    done = []
    for c in contests:
        bars_in = table.get(c["id"])
        if not isinstance(bars_in, list) or not bars_in:
            continue
        bars: list[dict[str, Any]] = []
        for b in bars_in:
            if not isinstance(b, Mapping):
                continue
            label = b.get("input", b.get("target", b.get("name", b.get("parameter"))))
            lo = b["balance_low"] if "balance_low" in b else b.get("low")
            hi = b["balance_high"] if "balance_high" in b else b.get("high")
            if label is None or lo is None or hi is None:
                continue
            bars.append(
                {
                    "input": str(label),
                    "low": float(lo),
                    "high": float(hi),
                    "low_text": fmt_balance(float(lo)),
                    "high_text": fmt_balance(float(hi)),
                    "swing": abs(float(hi) - float(lo)),
                }
            )
        if not bars:
            continue
        bars.sort(key=lambda b: (-float(b["swing"]), str(b["input"])))
        c["sensitivity"] = bars[:10]
        c["charts"]["tornado"] = f"tornado_{c['id']}"
        done.append(c["id"])
    return done


def _delivery_value(m: Matchup, cls: str, quantity: float, value: float | None) -> float:
    if value is not None:
        return value
    k = m.catalog.classes.get(cls)
    return quantity * (k.unit_cost_musd.value if k else 0.0)


def _commitments_from_matchup(m: Matchup) -> dict[str, Any] | None:
    if not m.commitments:
        return None
    partners: dict[str, dict[str, Any]] = {}
    for com in m.commitments:
        row = partners.setdefault(
            com.partner,
            {
                "partner": com.partner,
                "bloc": com.bloc,
                "funding_musd": 0.0,
                "pledged_musd": 0.0,
                "delivered_musd": 0.0,
            },
        )
        row["funding_musd"] += sum(v.value for v in com.funding_musd.values())
        for d in com.deliveries:
            v = _delivery_value(
                m, d.class_, d.quantity.value, d.value_musd.value if d.value_musd else None
            )
            row["pledged_musd"] += v
            if d.status == "delivered":
                row["delivered_musd"] += v
    blocs: dict[str, float] = {}
    for row in partners.values():
        blocs[row["bloc"]] = blocs.get(row["bloc"], 0.0) + row["funding_musd"] + row["pledged_musd"]
    total = sum(blocs.values())
    share = {b: (v / total if total > 0 else 0.0) for b, v in blocs.items()}
    return {
        "partners": sorted(
            partners.values(), key=lambda r: (-r["pledged_musd"] - r["funding_musd"], r["partner"])
        ),
        "burden_share": share,
        "basis": "funding committed plus the value of equipment pledged",
    }


def _num(p: Mapping[str, Any], *keys: str) -> float | None:
    """The first of ``keys`` present in ``p`` as a number."""
    for k in keys:
        v = p.get(k)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return None


def _burden(data: Mapping[str, Any]) -> dict[str, float]:
    """Bloc -> share of funding plus equipment pledged (or the shares given)."""
    b = data.get("burden_share")
    if isinstance(b, Mapping):
        vals = {str(k): float(v) for k, v in b.items() if isinstance(v, int | float)}
        tot = sum(vals.values())
        return {k: v / tot for k, v in vals.items()} if tot > 0 else {}
    b = data.get("burden")
    if isinstance(b, Mapping):
        sums = {}
        for bloc, row in b.items():
            if isinstance(row, Mapping):
                sums[str(bloc)] = (_num(row, "funding_musd") or 0.0) + (
                    _num(row, "pledged_value_musd") or 0.0
                )
        tot = sum(sums.values())
        return {k: v / tot for k, v in sums.items() if v > 0} if tot > 0 else {}
    return {}


def _system_name(m: Matchup, item: Mapping[str, Any]) -> str:
    """Display name of a delivery's system: the blue inventory's name, else the id or class."""
    sid = str(item.get("system", ""))
    s = m.blue.system(sid) if sid else None
    if s is not None:
        return s.name
    return sid or str(item.get("class", ""))


def _commitments(m: Matchup, obligations: Mapping[str, Any] | None) -> dict[str, Any] | None:
    data: Mapping[str, Any] | None = obligations
    if not (isinstance(data, Mapping) and isinstance(data.get("partners"), list)):
        data = _commitments_from_matchup(m)
    if data is None:
        return None
    rows = []
    for p in data["partners"]:
        if not isinstance(p, Mapping):
            continue
        pledged = _num(p, "pledged_value_musd", "pledged_musd") or 0.0
        delivered = _num(p, "delivered_value_musd", "delivered_musd") or 0.0
        funding = _num(p, "funding_total_musd", "funding_musd")
        bloc = str(p.get("bloc", "other"))
        slipped = p.get("slipped") if isinstance(p.get("slipped"), list) else []
        rows.append(
            {
                "partner": str(p.get("partner", "?")),
                "bloc": bloc,
                "bloc_label": BLOC_LABEL.get(bloc, bloc),
                "funding_musd": funding,
                "funding_text": fmt_money(funding) if funding is not None else DASH,
                "pledged_musd": pledged,
                "pledged_text": fmt_money(pledged),
                "delivered_musd": delivered,
                "delivered_text": fmt_money(delivered),
                "delivered_share_text": fmt_pct(delivered / pledged) if pledged > 0 else DASH,
                "status": str(p.get("status", "behind" if slipped else "on track")),
            }
        )
    slipped_rows = []
    for sl in data.get("slipped", []) or []:
        if isinstance(sl, Mapping):
            slipped_rows.append(
                {
                    "partner": str(sl.get("partner", "")),
                    "what": f"{fmt_num(_num(sl, 'quantity'))} × {_system_name(m, sl)}",
                    "year": str(sl.get("year", "")),
                    "late_text": _plural(int(_num(sl, "years_late") or 0), "year"),
                    "value_text": fmt_money(_num(sl, "value_musd")),
                }
            )
    shares = _burden(data)
    burden = [
        {
            "bloc": b,
            "label": BLOC_LABEL.get(b, b),
            "share": shares[b],
            "share_text": fmt_pct(shares[b]),
        }
        for b in [*(x for x in BLOC_LABEL if x in shares), *sorted(set(shares) - set(BLOC_LABEL))]
    ]
    pledged_total = sum(float(r["pledged_musd"] or 0.0) for r in rows)
    delivered_total = sum(float(r["delivered_musd"] or 0.0) for r in rows)
    return {
        "partners": rows,
        "slipped": slipped_rows,
        "burden": burden,
        "basis": str(data.get("basis", "funding committed plus the value of equipment pledged")),
        "pledged_total_text": fmt_money(pledged_total),
        "delivered_total_text": fmt_money(delivered_total),
        "delivered_share_text": fmt_pct(delivered_total / pledged_total)
        if pledged_total > 0
        else DASH,
        "chart": "commitments" if rows else None,
    }


def _year_runs(years: list[int]) -> str:
    """``2025–2027, 2030`` from a list of years.

    Examples
    --------
    >>> _year_runs([2025, 2026, 2027, 2030])
    '2025–2027, 2030'
    """
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _projection(
    proj: Mapping[str, Any], contests: list[dict[str, Any]], matched: float
) -> dict[str, Any] | None:
    years_in = proj.get("years")
    if not isinstance(years_in, list) or not years_in:
        return None
    titles = {c["id"]: c["title"] for c in contests}
    years: list[int] = []
    series: dict[str, list[float | None]] = {}
    certified: list[bool | None] = []
    for y in years_in:
        if not isinstance(y, Mapping) or "year" not in y:
            return None
        years.append(int(y["year"]))
        certified.append(y.get("certified"))
        cs = y.get("contests", {})
        vals: dict[str, Any] = {}
        if isinstance(cs, Mapping):
            vals = {
                str(k): (v.get("balance") if isinstance(v, Mapping) else v) for k, v in cs.items()
            }
        elif isinstance(cs, list):
            vals = {str(c.get("id")): c.get("balance") for c in cs if isinstance(c, Mapping)}
        for cid in titles:
            series.setdefault(cid, []).append(vals.get(cid))
    rows = []
    closing = proj.get("closes", proj.get("closing_years")) or {}
    for cid, bals in series.items():
        if all(v is None for v in bals):
            continue
        cy = closing.get(cid) if isinstance(closing, Mapping) else None
        short = any(v is not None and v < matched for v in bals)
        if not short:
            cy_text = "holds"
        elif cy is None:
            cy_text = f"after {years[-1]}"
        else:
            cy_text = str(cy)
        rows.append(
            {
                "id": cid,
                "title": titles[cid],
                "balances": bals,
                "balances_text": [fmt_balance(v) for v in bals],
                "closing_year_text": cy_text,
            }
        )
    by_contest: dict[str, list[tuple[int, float | None]]] = {}
    for t in proj.get("triggers", []) or []:
        if isinstance(t, Mapping) and isinstance(t.get("year"), int):
            by_contest.setdefault(str(t.get("contest", "")), []).append(
                (int(t["year"]), _num(t, "balance"))
            )
    triggers = []
    for cid, hits in by_contest.items():
        hits.sort()
        lows = [b for _, b in hits if b is not None]
        triggers.append(
            {
                "contest": titles.get(cid, cid),
                "years": _year_runs([y for y, _ in hits]),
                "message": f"balance {fmt_balance(min(lows)) if lows else DASH} at worst, below the "
                f"consultation threshold of {fmt_balance(_num(proj, 'trigger_threshold') or matched)}",
            }
        )
    first = proj.get("first_certified")
    return {
        "years": years,
        "years_text": [str(y) for y in years],
        "certified_text": ["yes" if c else ("no" if c is not None else DASH) for c in certified],
        "rows": rows,
        "triggers": triggers,
        "first_certified_text": (
            f"The balance is certified from {first} through the end of the horizon."
            if isinstance(first, int)
            else f"The balance is not certified in any year through {years[-1]}."
        ),
        "assumptions": [str(x) for x in proj.get("assumptions", []) or []],
        "chart": "projection" if rows else None,
    }


def _optimization(opt: Mapping[str, Any], m: Matchup) -> dict[str, Any] | None:
    pkg = opt.get("package")
    if not isinstance(pkg, list):
        return None
    items = []
    for it in pkg:
        if not isinstance(it, Mapping):
            continue
        cls = str(it.get("class", it.get("class_", "")))
        k = m.catalog.classes.get(cls)
        cost = it.get("cost_musd", it.get("cost"))
        sysm = m.blue.system(str(it.get("system", "")))
        what = (
            it.get("name")
            or (sysm.name if sysm else None)
            or it.get("system")
            or (k.name if k and k.name else cls)
        )
        if it.get("new_system"):
            what = f"{what} (new to the inventory)"
        items.append(
            {
                "what": str(what),
                "class": cls,
                "quantity_text": fmt_num(it.get("quantity")),
                "cost_text": fmt_money(float(cost)) if cost is not None else DASH,
            }
        )
    total = opt.get("total_cost_musd")
    feasible = opt.get("feasible", True) is not False
    unreachable = [str(u) for u in opt.get("unreachable", []) or []]
    return {
        "rows": items,
        "feasible": feasible,
        "total_text": fmt_money(float(total)) if total is not None else DASH,
        "message": (
            f"The cheapest package found that brings every critical contest to matched or better costs "
            f"{fmt_money(float(total))}."
            if feasible and total is not None
            else str(
                opt.get("message")
                or "No package within the budget and supply limits closes every gap."
            )
        ),
        "unreachable": unreachable,
    }


# --------------------------------------------------------------------------- annex


def _annex(m: Matchup, blue: str, red: str) -> dict[str, Any]:
    cat = m.catalog
    classes = [
        {
            "id": cid,
            "name": k.name or cid,
            "domain": k.domain,
            "branch": k.branch,
            "unit": k.unit,
            "cost_text": _est(k.unit_cost_musd),
            "pk_text": _est(k.pk),
            "shots_text": _est(k.shots_per_day),
            "rationale": k.rationale or "",
        }
        for cid, k in sorted(cat.classes.items())
    ]
    contests = []
    for con in cat.contests:
        if con.law == "layered_defence":
            counters = ", ".join(con.layers) + " (layers, outer to inner)"
            extra = f"acceptable leakage {_est(con.acceptable_leakage)}, campaign {_est(con.campaign_days)} days"
        else:
            counters = ", ".join(f"{k} {_est(v)}" for k, v in con.counters.items())
            extra = f"exponent {_est(con.exponent)}" if con.law == "power" else ""
        contests.append(
            {
                "id": con.id,
                "title": con.title,
                "law": con.law,
                "critical": con.critical,
                "weight_text": _est(con.weight),
                "threat": ", ".join(f"{k} {_est(v)}" for k, v in con.threat.items()),
                "counters": counters,
                "extra": extra,
                "rationale": con.rationale,
                "sources": ", ".join(con.sources) or DASH,
            }
        )
    multipliers = []
    for inv in (m.blue, m.red):
        for kind, table in (("training", inv.training), ("enabler", inv.enablers)):
            for name, mult in sorted(table.items()):
                multipliers.append(
                    {
                        "side": side_label(inv.side),
                        "kind": kind,
                        "name": name,
                        "value_text": _est(mult.value),
                        "rationale": mult.rationale,
                        "source": mult.source or DASH,
                    }
                )
    inventories = []
    for inv, path in ((m.blue, m.blue_path), (m.red, m.red_path)):
        inventories.append(
            {
                "side": side_label(inv.side),
                "name": inv.name,
                "as_of": inv.as_of.isoformat(),
                "path": path,
                "systems": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "class": s.class_,
                        "quantity_text": _est(s.quantity),
                        "readiness_text": _est(s.readiness),
                        "quality_text": _est(s.quality),
                        "stock_text": _est(s.stock),
                        "per_day_text": _est(s.per_day),
                        "source": s.source,
                    }
                    for s in inv.systems
                ],
            }
        )
    commitments = [
        {
            "partner": c.partner,
            "instrument": c.instrument,
            "signed": c.signed.isoformat(),
            "years": f"{c.years.first}–{c.years.last}",
            "funding_text": fmt_money(sum(v.value for v in c.funding_musd.values()))
            if c.funding_musd
            else DASH,
            "deliveries": len(c.deliveries),
        }
        for c in m.commitments
    ]
    correlations = [
        {"between": " ~ ".join(c.between), "rho": fmt_sig(c.rho, 2), "rationale": c.rationale}
        for c in cat.correlations
    ]
    # sources: one row per distinct source, with where it is cited
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(sid: str, src: Any, scope: str) -> None:
        key = (sid, src.title, src.url)
        row = seen.get(key)
        if row is None:
            row = seen[key] = {
                "id": sid,
                "title": src.title,
                "publisher": src.publisher,
                "date": src.date.isoformat(),
                "url": src.url,
                "scopes": [],
            }
        if scope not in row["scopes"]:
            row["scopes"].append(scope)

    for sid, src in cat.sources.items():
        add(sid, src, "catalog")
    for inv in (m.blue, m.red):
        for sid, src in inv.sources.items():
            add(sid, src, side_label(inv.side))
    for c in m.commitments:
        add(f"{c.partner}", c.source, "commitments")
    sources = sorted(seen.values(), key=lambda r: (r["id"].lower(), r["title"]))
    for r in sources:
        r["scope_text"] = ", ".join(r["scopes"])
    return {
        "classes": classes,
        "contests": contests,
        "multipliers": multipliers,
        "inventories": inventories,
        "commitments": commitments,
        "correlations": correlations,
        "options": [{"name": str(k), "value": str(v)} for k, v in m.options],
        "sources": sources,
    }


# --------------------------------------------------------------------------- prose


def _determination(
    contests: list[dict[str, Any]], certified: bool, blue: str, red: str
) -> dict[str, Any]:
    critical = [c for c in contests if c["critical"]]
    short_crit = [c for c in critical if c["verdict"] == "shortfall"]
    short_other = [c for c in contests if not c["critical"] and c["verdict"] == "shortfall"]

    def named(cs: list[dict[str, Any]]) -> str:
        return _join([f"{c['title']} (balance {c['balance_text']})" for c in cs])

    if certified:
        text = (
            f"{blue}'s equipment, training and technology match or offset {red}'s numerical "
            f"advantages in every critical contest assessed ({len(critical)} of {len(critical)})."
        )
    else:
        text = (
            f"{blue}'s capabilities do not match or offset {red}'s numerical advantages in "
            f"{len(short_crit)} of {len(critical)} critical contests: {named(short_crit)}."
        )
    also = ""
    if short_other:
        also = (
            f"Outside the critical contests, the balance also falls short in {named(short_other)}."
        )
    return {
        "certified": certified,
        "label": "CERTIFIED" if certified else "NOT CERTIFIED",
        "text": text,
        "also": also,
        "critical_total": len(critical),
        "critical_short": len(short_crit),
        "shortfalls": [c["title"] for c in short_crit],
    }


def _summary(ctx: dict[str, Any], a: Assessment, blue: str, red: str) -> list[str]:
    contests = ctx["contests"]
    counts = {v: sum(1 for c in contests if c["verdict"] == v) for v in VERDICT_LABEL}
    parts = [f"{counts[v]} {VERDICT_LABEL[v].lower()}" for v in VERDICT_LABEL if counts[v]]
    out = [
        f"{_plural(len(contests), 'contest')} assessed: {_join(parts)}. "
        f"The weighted balance index is {fmt_balance(a.index)} (1.00 means quality exactly offsets numbers; "
        f"matched from {fmt_balance(a.thresholds['matched'])}, offset from {fmt_balance(a.thresholds['offset'])})."
    ]
    short = [c for c in contests if c["verdict"] == "shortfall"]
    if short:
        worst = min(
            short, key=lambda c: (c["balance"] if c["balance"] is not None else 0.0, c["id"])
        )
        out.append(
            f"The widest gap is in {worst['title']}: balance {worst['balance_text']} against "
            f"{red}'s numerical advantage of {worst['advantage_text']}. {worst['gap_text']}"
        )
    for c in contests:
        lay = c["layered"]
        if lay and c["contested"]:
            out.append(
                f"{c['title']}: {lay['leakage_text']} of the {lay['arrivals_text']} missiles and drones "
                f"expected a day get through (acceptable: {lay['acceptable_text']}); interceptor stocks "
                f"last {lay['days_text']} of unrationed fire."
            )
    crit = ctx["critical_systems"]
    if crit["rows"]:
        first = crit["rows"][0]
        out.append(
            f"{_plural(len(crit['rows']), 'single point')} of failure identified; the most consequential is "
            f"{first['name']}, whose loss alone would turn {first['flips_text']} into a shortfall."
        )
    unc = ctx.get("uncertainty")
    if unc and unc.get("p_certified") is not None:
        out.append(
            f"Across {unc['samples_text']} draws of the stated input ranges, the probability that every "
            f"critical contest holds is {unc['p_certified_text']}."
        )
    com = ctx.get("commitments")
    if com and com["partners"]:
        txt = (
            f"Partners have delivered {com['delivered_total_text']} of {com['pledged_total_text']} in equipment "
            f"pledged ({com['delivered_share_text']})."
        )
        if com["burden"]:
            txt += (
                " Burden share: "
                + ", ".join(f"{b['label']} {b['share_text']}" for b in com["burden"])
                + "."
            )
        out.append(txt)
    opt = ctx.get("optimization")
    if opt and opt["rows"] and opt["feasible"]:
        out.append(
            "The cheapest delivery package found that brings every critical contest to matched or better "
            f"costs {opt['total_text']}."
        )
    return out


def _methodology(th: Mapping[str, float]) -> list[str]:
    text = resources.files("qdb.report").joinpath("templates/methodology.txt").read_text("utf-8")
    text = text.replace("{matched}", fmt_balance(th["matched"])).replace(
        "{offset}", fmt_balance(th["offset"])
    )
    return [p.strip().replace("\n", " ") for p in text.split("\n\n") if p.strip()]


# --------------------------------------------------------------------------- build


def build_context(
    assessment: Assessment,
    matchup: Matchup,
    *,
    report_date: dt.date,
    extras: Mapping[str, Any] | None = None,
    notes: Iterable[str] = (),
) -> dict[str, Any]:
    """Turn an assessment into the report context (plain, JSON-serialisable dict).

    Parameters
    ----------
    assessment : Assessment
        The result of :func:`qdb.assess.assess` on ``matchup``.
    matchup : Matchup
        The catalog, snapshots and commitments assessed (the assumptions annex).
    report_date : datetime.date
        The date printed on the report (fixed for byte-identical output).
    extras : mapping, optional
        Optional analyses as plain dicts, keyed by :data:`EXTRA_SECTIONS`
        (see the module docstring); a section appears only when present.
    notes : iterable of str
        Extra disclosures printed under the title (e.g. what-if edits applied).

    Returns
    -------
    dict
        Keys ``meta``, ``determination``, ``summary``, ``contests``,
        ``critical_systems``, ``uncertainty``, ``sensitivity``,
        ``commitments``, ``projection``, ``optimization``, ``methodology``,
        ``annex``, ``charts``.

    Examples
    --------
    >>> # ctx = build_context(assess(m), m, report_date=dt.date(2025, 1, 31))
    >>> # ctx["determination"]["label"]  -> 'NOT CERTIFIED'
    """
    a, m = assessment, matchup
    extras = dict(extras or {})
    blue, red = side_label(a.blue), side_label(a.red)
    red_adj = side_adjective(a.red)
    th = {"matched": a.thresholds.get("matched", 0.9), "offset": a.thresholds.get("offset", 1.1)}
    contests = [_contest(c, m, th, blue, red_adj) for c in a.contests]
    titles = {c["id"]: c["title"] for c in contests}

    dates = sorted({d for d in a.as_of.values()})
    if len(dates) == 1:
        position = f"Position as of {fmt_date_long(dt.date.fromisoformat(dates[0]))}"
    else:
        position = "Position as of " + "; ".join(
            f"{side_label(s)} {fmt_date_long(dt.date.fromisoformat(d))}" for s, d in a.as_of.items()
        )

    crit_items = []
    for cs in a.critical_systems or ():
        crit_items.append(
            {
                "kind": cs.kind,
                "kind_text": "System" if cs.kind == "system" else "Whole class",
                "id": cs.id,
                "name": cs.name,
                "flips": list(cs.flips),
                "flips_text": _join([titles.get(f, f) for f in cs.flips]),
                "index_without_text": fmt_balance(cs.index_without),
            }
        )

    ctx: dict[str, Any] = {
        "meta": {
            "title": "Qualitative Deterrent Balance",
            "subtitle": f"Certification report on the military balance between {blue} and {red}",
            "question": (
                f"Does {blue} receive sufficient support from its partners for its equipment, training "
                f"and technology to match or offset {red}'s numerical military advantages?"
            ),
            "blue": blue,
            "red": red,
            "blue_adj": side_adjective(a.blue),
            "red_adj": red_adj,
            "blue_name": m.blue.name,
            "red_name": m.red.name,
            "position": position,
            "report_date": report_date.isoformat(),
            "report_date_text": fmt_date_long(report_date),
            "inputs_sha256": a.inputs_sha256,
            "engine_version": a.engine_version,
            "matched_text": fmt_balance(th["matched"]),
            "offset_text": fmt_balance(th["offset"]),
            "index_text": fmt_balance(a.index),
            "notes": list(notes),
            "snapshots": [{"side": side_label(s), "as_of": d} for s, d in a.as_of.items()],
        },
        "thresholds": th,
        "contests": contests,
        "critical_systems": {
            "available": a.critical_systems is not None,
            "rows": crit_items,
            "any_holding": any(c["critical"] and c["holds"] and c["contested"] for c in contests),
        },
        "uncertainty": None,
        "sensitivity": None,
        "commitments": None,
        "projection": None,
        "optimization": None,
    }
    if isinstance(extras.get("uncertainty"), Mapping):
        ctx["uncertainty"] = _uncertainty(extras["uncertainty"], contests)
    if extras.get("sensitivity") is not None:
        ids = _sensitivity(extras["sensitivity"], contests)
        ctx["sensitivity"] = {"contests": ids} if ids else None
    obligations = extras.get("obligations")
    ctx["commitments"] = _commitments(m, obligations if isinstance(obligations, Mapping) else None)
    if isinstance(extras.get("projection"), Mapping):
        ctx["projection"] = _projection(extras["projection"], contests, th["matched"])
    if isinstance(extras.get("optimization"), Mapping):
        ctx["optimization"] = _optimization(extras["optimization"], m)

    ctx["determination"] = _determination(contests, a.certified, blue, red)
    ctx["summary"] = _summary(ctx, a, blue, red)
    ctx["methodology"] = _methodology(th)
    ctx["annex"] = _annex(m, blue, red)
    ctx["layered"] = [c["id"] for c in contests if c["layered"] is not None]
    ctx["charts"] = _chart_list(ctx)
    return ctx


def _chart_list(ctx: Mapping[str, Any]) -> list[str]:
    """Every chart key the templates may reference, in document order."""
    keys = ["balance"] if any(c["balance"] is not None for c in ctx["contests"]) else []
    for c in ctx["contests"]:
        keys += [k for k in (c["charts"]["waterfall"], c["charts"]["layered"]) if k]
    for part in ("uncertainty", "commitments", "projection"):
        sec = ctx.get(part)
        if sec and sec.get("chart"):
            keys.append(sec["chart"])
    for c in ctx["contests"]:
        if c["charts"]["tornado"]:
            keys.append(c["charts"]["tornado"])
    return keys
