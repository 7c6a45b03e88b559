"""Plain-language explanations of contest results (pure: returns text)."""

from __future__ import annotations

import math
import re
from typing import Any

from qdb.results import Assessment, ContestResult

__all__ = [
    "campaign_story",
    "closing_need",
    "escape_controls",
    "explain_contest",
    "fmt_balance",
    "fmt_prob",
    "fmt_ratio",
    "judgement_sentence",
    "losses_lines",
    "verdict_sentence",
]

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (tab and newline excepted) and bidirectional overrides."""


def escape_controls(text: str) -> str:
    """``text`` safe for a terminal: control characters shown as ``\\xNN`` / ``\\uNNNN``.

    Tabs and newlines are kept; escape sequences (``ESC ]52;...``) cannot reach
    the terminal.

    Examples
    --------
    >>> escape_controls("T \\x1b]52;c;x\\x07 ok\\n")
    'T \\\\x1b]52;c;x\\\\x07 ok\\n'
    """

    def esc(m: re.Match[str]) -> str:
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _UNSAFE.sub(esc, text)


FACTOR_TEXT = {
    "numbers": "numbers (every gun supplied)",
    "sustainment": "sustainment (ammunition supply)",
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
    bal = fmt_balance(r.balance, thresholds)
    if r.law == "iamd":
        return (
            f"{r.verdict.capitalize()}: {fmt_pct(r.leakage)} of the {fmt_num(r.red_units)} threats "
            f"{rd} launches over the campaign get through (acceptable "
            f"{fmt_pct(r.acceptable_leakage)}; balance {bal})."
        )
    assert r.numbers_ratio is not None and r.quality_ratio is not None
    return (
        f"{r.verdict.capitalize()}: {rd} holds a {fmt_ratio(r.numbers_ratio)} numerical advantage; "
        f"offsetting it takes a {r.required_quality_ratio:.2f}× quality edge and {b} holds "
        f"{r.quality_ratio:.2f}× (balance {bal})."
    )


def fmt_balance(b: float | None, thresholds: dict[str, float], digits: int = 2) -> str:
    """A balance with enough digits that the printed number never contradicts its verdict.

    Examples
    --------
    >>> t = {"matched": 0.9, "offset": 1.1}
    >>> fmt_balance(1.0994, t), fmt_balance(0.8999, t), fmt_balance(0.95, t)
    ('1.099', '0.8999', '0.95')
    """
    if b is None:
        return "—"
    from qdb.verdicts import verdict

    m, o = thresholds["matched"], thresholds["offset"]
    want = verdict(b, m, o)
    for d in range(digits, 13):
        text = f"{b:.{d}f}"
        if verdict(float(text), m, o) == want:
            return text
    return f"{b:.12g}"


JUDGEMENT_TEXT = {
    "offset": "offset with confidence",
    "matched": "matched or better with confidence",
    "shortfall": "shortfall with confidence",
    "indeterminate": "indeterminate (the evidence supports neither holding nor failing at the chosen confidence)",
    "uncontested": "uncontested",
}


def judgement_sentence(r: ContestResult, confidence: float) -> str | None:
    """The contest's judgement under uncertainty, with its probabilities (None without samples)."""
    if r.p_holds is None or r.uncertainty is None:
        return None
    u = r.uncertainty
    rng = ""
    if u.get("balance_p05") is not None:
        rng = f"; 90% of draws give a balance between {u['balance_p05']:.2f} and {u['balance_p95']:.2f}"
    return (
        f"Judgement at {100 * confidence:.0f}% confidence: {JUDGEMENT_TEXT[r.judgement]}. "
        f"P(matched or better) = {fmt_prob(r.p_holds)}, P(offset) = {fmt_prob(r.p_offset)}{rng}."
    )


def fmt_prob(p: float | None) -> str:
    """A Monte Carlo probability as a percentage: below 1% as "< 1%", above 99% as "> 99%".

    A share of samples is never certain: none of 4,000 draws is "< 1%", not 0%.

    Examples
    --------
    >>> fmt_prob(0.0), fmt_prob(0.004), fmt_prob(0.33275), fmt_prob(1.0)
    ('< 1%', '< 1%', '33%', '> 99%')
    """
    if p is None:
        return "—"
    if p < 0.01:
        return "< 1%"
    if p > 0.99:
        return "> 99%"
    return f"{100 * p:.0f}%"


def fmt_pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def closing_need(r: ContestResult, thresholds: dict[str, float]) -> str | None:
    """What would bring a shortfall to ``matched`` at today's quality (None if it holds)."""
    if r.verdict != "shortfall" or r.balance is None:
        return None
    target = thresholds["matched"]
    if r.law == "iamd":
        accept = r.acceptable_leakage or 0.1
        return (
            f"cut leakage from {fmt_pct(r.leakage)} to about "
            f"{fmt_pct(math.exp(target * math.log(accept)))} (more interceptor rounds, fire units "
            "or coverage in the layers that engage these threats)"
        )
    if r.balance == 0 or r.exponent is None:
        return "field counter-systems in this contest at all"
    sus = (r.factors or {}).get("sustainment", 0.0)
    if sus < -1e-9:
        supplied = r.balance * math.exp(-sus)
        text = (
            f"rounds before guns: ammunition costs this contest ×{math.exp(sus):.2f} "
            "(factor sustainment), and more guns add nothing while their rounds are short; "
            f"with every gun supplied the balance would be {supplied:.2f}"
        )
        if supplied >= target:
            return text
        k = (target / supplied) ** (1 / r.exponent)
        return text + f", and beyond that {k:.2f}× the counter-force numbers, each supplied"
    k = (target / r.balance) ** (1 / r.exponent)
    q = target / r.balance
    return (
        f"{k:.2f}× today's counter-force numbers at today's quality, or a {q:.2f}× better "
        "quality edge at today's numbers"
    )


def campaign_story(
    a: Assessment, r: ContestResult, names: dict[str, str] | None = None
) -> list[str]:
    """The air campaign in words: which layer killed what, magazines, the worst raid."""
    names = names or {}
    blue, red = a.blue.capitalize(), a.red.capitalize()
    threats = {c.class_ for c in r.contributors_red}
    lines = [
        f"The campaign: {a.campaign_days} days of {red}'s recorded raid pattern against {blue}'s "
        "shared magazines (one campaign serves every air-defence contest)."
    ]
    killed = []
    for s in a.campaign:
        k = sum(v for t, v in s.kills_by_class if t in threats)
        if k > 0:
            killed.append((k, s))
    killed.sort(key=lambda ks: (-ks[0], ks[1].system))
    total = sum(k for k, _ in killed)
    if killed:
        lines.append(f"Kills of these threats ({fmt_num(total)} in all), by system:")
        for k, s in killed[:8]:
            nm = names.get(s.system, s.name or s.system)
            lines.append(f"  {fmt_num(k):>8}  {nm} (layer {s.layer + 1}, {s.class_})")
    else:
        lines.append(f"No {blue} system engages these threats: everything launched leaks.")
    out = [s for s in a.campaign if s.exhausted_day is not None]
    if out:
        lines.append("Magazines that ran dry:")
        for s in sorted(out, key=lambda s: (s.exhausted_day or 0, s.system)):
            nm = names.get(s.system, s.name or s.system)
            lines.append(f"  day {s.exhausted_day}: {nm} ({fmt_num(s.fired)} rounds fired)")
    else:
        lines.append("No magazine ran dry within the campaign.")
    worst = None
    for rec in a.raids:
        lau = sum(v for t, v in rec.launched if t in threats)
        lea = sum(v for t, v in rec.leaked if t in threats)
        if lau > 0 and (worst is None or lea / lau > worst[0]):
            worst = (lea / lau, rec, lau, lea)
    if worst is not None:
        _, rec, lau, lea = worst
        lines.append(
            f"Worst raid: {rec.raid} on day {rec.day}, {fmt_num(lea)} of {fmt_num(lau)} leaked "
            f"({fmt_pct(lea / lau)})."
        )
    lines.append("")
    return lines


def losses_lines(row: Any, blue: str, red: str) -> list[str]:
    """Outcome check of a land contest: implied vs observed loss-exchange ratio (lines).

    ``row`` is a :class:`qdb.backtest.LossComparison`.
    """
    b, rd = blue.capitalize(), red.capitalize()
    lines = ["What the losses say (outcome check):"]
    if row.implied_ler is not None:
        lines.append(
            f"  The model implies {row.implied_ler:.2f} {rd} losses per {b} loss "
            f"(q·r^(1−p) under the {row.law} law)."
        )
    if row.observed_ler is None:
        lines.append("  No Oryx losses were counted for this contest's classes in the period.")
        return lines
    lines.append(
        f"  Oryx visually confirmed losses in the period give {row.observed_ler:.2f} "
        f"({fmt_num(row.red_losses)} {rd} vs {fmt_num(row.blue_losses)} {b}; a lower bound of "
        "both, and Oryx undercounts Ukrainian losses more, which biases the ratio up)."
    )
    if row.balance_from_losses is not None:
        lines.append(
            f"  The balance these losses imply (LER ÷ r): {row.balance_from_losses:.2f}, beside "
            f"the judgement-based {row.balance:.2f}."
            if row.balance is not None
            else f"  The balance these losses imply (LER ÷ r): {row.balance_from_losses:.2f}."
        )
    if row.claims_ler_upper is not None:
        lines.append(
            f"  General Staff claims of {rd} losses give at most {row.claims_ler_upper:.2f} "
            "(one belligerent's claims: an upper bound only)."
        )
    return lines


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
    js = judgement_sentence(r, a.confidence)
    if js:
        lines += [js, ""]
    if r.law == "iamd":
        lines += campaign_story(a, r, names)
    elif r.factors is not None:
        lb = math.log(r.balance) if r.balance else float("-inf")
        lines.append(f"What decides it (natural-log terms that sum to ln balance = {lb:+.3f}):")
        for k in FACTOR_TEXT:
            v = r.factors[k]
            side = blue if v > 0 else red if v < 0 else "neither side"
            lines.append(f"  {FACTOR_TEXT[k]:<42} {v:+.3f}  (×{math.exp(v):.2f}, favours {side})")
        lines.append("")
    for label, contribs, who in (
        ("strength" if r.law != "iamd" else "kills", r.contributors_blue, blue),
        ("strength" if r.law != "iamd" else "leakers", r.contributors_red, red),
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
            lines += ["", "Single points of failure (losing it, this contest no longer holds):"]
            lines += [f"  {c.kind} {c.id}: {c.name}" for c in spof]
    if r.rationale:
        lines += ["", "Why this contest is framed this way:", f"  {r.rationale.strip()}"]
    return escape_controls("\n".join(lines) + "\n")
