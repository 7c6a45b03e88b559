"""Plain-language explanations of contest results (pure: returns text)."""

from __future__ import annotations

import math

from qdb.results import Assessment, ContestResult

__all__ = ["closing_need", "explain_contest", "fmt_ratio", "verdict_sentence"]

FACTOR_TEXT = {
    "numbers": "numbers",
    "equipment": "equipment (system quality)",
    "training": "training",
    "technology": "technology (enablers: ISR, EW, C2, ...)",
    "interaction": "interaction (mix effects)",
}


def fmt_ratio(x: float | None) -> str:
    """``3.46 : 1`` style, or an em dash."""
    if x is None:
        return "—"
    if x >= 1:
        return f"{x:.2f} : 1"
    if x > 0:
        return f"1 : {1 / x:.2f}"
    return "0"


def fmt_num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.{digits}g}"
    return f"{x:,.{digits}f}" if abs(x) < 100 else f"{x:,.0f}"


def verdict_sentence(r: ContestResult, thresholds: dict[str, float], blue: str, red: str) -> str:
    """One sentence: the verdict and why, in the terms a staffer uses."""
    b, rd = blue.capitalize(), red.capitalize()
    if r.verdict == "uncontested":
        return f"Uncontested: {rd} fields nothing in this contest."
    if r.balance == 0:
        return f"Shortfall: {b} fields nothing that counters {rd} here."
    if r.law == "layered_defence":
        return (
            f"{r.verdict.capitalize()}: {fmt_pct(r.leakage)} of {rd}'s daily salvo gets through "
            f"(balance {r.balance:.2f}; matched at {thresholds['matched']:.2f})."
        )
    assert r.numbers_ratio is not None and r.quality_ratio is not None
    return (
        f"{r.verdict.capitalize()}: {rd} holds a {fmt_ratio(r.numbers_ratio)} numerical advantage; "
        f"offsetting it takes a {r.required_quality_ratio:.2f}× quality edge and {b} holds "
        f"{r.quality_ratio:.2f}× (balance {r.balance:.2f})."
    )


def fmt_pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def closing_need(r: ContestResult, thresholds: dict[str, float]) -> str | None:
    """What would bring a shortfall to ``matched`` at today's quality (None if it holds)."""
    if r.verdict != "shortfall" or r.balance is None:
        return None
    target = thresholds["matched"]
    if r.law == "layered_defence":
        return (
            f"cut leakage from {fmt_pct(r.leakage)} to about "
            f"{fmt_pct(math.exp(target * math.log(_accept_from(r))))} (more interceptors, "
            "capacity or better kill probability in the layers)"
        )
    if r.balance == 0 or r.exponent is None:
        return "field counter-systems in this contest at all"
    k = (target / r.balance) ** (1 / r.exponent)
    q = target / r.balance
    return (
        f"{k:.2f}× today's counter-force numbers at today's quality, or a {q:.2f}× better "
        "quality edge at today's numbers"
    )


def _accept_from(r: ContestResult) -> float:
    # acceptable leakage from the balance identity: β = ln(leak)/ln(a)
    if r.leakage is None or r.balance in (None, 0) or r.leakage <= 0 or r.leakage >= 1:
        return 0.1
    assert r.balance is not None
    return math.exp(math.log(max(r.leakage, 1e-6)) / r.balance)


def explain_contest(a: Assessment, contest_id: str, names: dict[str, str] | None = None) -> str:
    """A plain-text account of one contest: what offsets what, and why.

    Parameters
    ----------
    a : Assessment
    contest_id : str
    names : dict, optional
        System id -> display name.
    """
    r = a.contest(contest_id)
    if r is None:
        raise KeyError(contest_id)
    names = names or {}
    blue, red = a.blue.capitalize(), a.red.capitalize()
    lines = [
        f"{r.title}",
        f"  contest {r.id} · {r.law.replace('_', ' ')} law · {'critical' if r.critical else 'not critical'}"
        f" · weight {r.weight:g}",
        "",
        verdict_sentence(r, a.thresholds, a.blue, a.red),
        f"Thresholds: matched ≥ {a.thresholds['matched']:.2f}, offset ≥ {a.thresholds['offset']:.2f}.",
        "",
    ]
    if r.law == "layered_defence":
        lines.append(
            f"{red} launches {fmt_num(r.red_units)} threats a day (weighted); {blue}'s layers can fire "
            f"{fmt_num(r.blue_units)} rationed shots a day."
        )
        for i, layer in enumerate(r.layers, 1):
            stock = "unlimited" if layer["stock"] is None else fmt_num(layer["stock"])
            lines.append(
                f"  layer {i} {layer['class']}: capacity {fmt_num(layer['capacity'])}/day, "
                f"rationed {fmt_num(layer['rationed'])}/day, stock {stock}, Pk {layer['pk']:.2f} "
                f"→ {fmt_num(layer['shots'])} shots, {fmt_num(layer['kills'])} kills"
            )
        lines.append(f"Leakage {fmt_pct(r.leakage)}.")
        if r.days_of_interceptors is not None:
            lines.append(
                f"Interceptor stocks last {r.days_of_interceptors:.1f} days if every layer fires "
                "at full capacity."
            )
        lines.append("")
    elif r.factors is not None:
        lb = math.log(r.balance) if r.balance else float("-inf")
        lines.append(f"What decides it (natural-log terms that sum to ln balance = {lb:+.3f}):")
        for k in ("numbers", "equipment", "training", "technology", "interaction"):
            v = r.factors[k]
            side = blue if v > 0 else red if v < 0 else "neither side"
            lines.append(f"  {FACTOR_TEXT[k]:<42} {v:+.3f}  (×{math.exp(v):.2f}, favours {side})")
        lines.append("")
    for label, contribs, who in (
        ("strength" if r.law != "layered_defence" else "expected kills", r.contributors_blue, blue),
        ("strength" if r.law != "layered_defence" else "arrivals", r.contributors_red, red),
    ):
        if not contribs:
            lines.append(f"{who}: nothing in this contest.")
            continue
        lines.append(f"{who}'s share of {label}:")
        for c in contribs[:8]:
            nm = names.get(c.system, c.name or c.system)
            lines.append(f"  {100 * c.share:5.1f}%  {nm} ({c.system}, {c.class_})")
        if len(contribs) > 8:
            rest = sum(c.share for c in contribs[8:])
            lines.append(f"  {100 * rest:5.1f}%  {len(contribs) - 8} others")
    need = closing_need(r, a.thresholds)
    if need:
        lines += ["", f"To reach matched: {need}."]
    if a.critical_systems:
        spof = [c for c in a.critical_systems if r.id in c.flips]
        if spof:
            lines += ["", "Single points of failure (losing it flips this contest to shortfall):"]
            lines += [f"  {c.kind} {c.id}: {c.name}" for c in spof]
    if r.rationale:
        lines += ["", "Why this contest is framed this way:", f"  {r.rationale.strip()}"]
    return "\n".join(lines) + "\n"
