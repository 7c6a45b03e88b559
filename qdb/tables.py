"""Text renderings of an assessment: rows for tables, the headline and Markdown (pure)."""

from __future__ import annotations

from qdb.explain import fmt_balance, fmt_pct, fmt_prob, fmt_ratio
from qdb.results import Assessment, ContestResult

__all__ = [
    "HEADERS",
    "INDETERMINATE_NOTE",
    "assessment_markdown",
    "certification_line",
    "contest_row",
    "headline",
]

HEADERS = (
    "Contest",
    "Law",
    "Red : Blue",
    "Balance",
    "5–95%",
    "P(holds)",
    "Judgement",
)

INDETERMINATE_NOTE = (
    "indeterminate = the probability of holding is between {lo} and {hi}: the data's ranges "
    "support neither a verdict of holding nor of failing at {c} confidence."
)


def contest_row(r: ContestResult, thresholds: dict[str, float]) -> list[str]:
    """One table row of strings for a contest."""
    if r.law == "iamd":
        numbers = "—" if r.leakage is None else f"leak {fmt_pct(r.leakage)}"
    else:
        numbers = fmt_ratio(r.numbers_ratio)
    u = r.uncertainty or {}
    rng = "—"
    if u.get("balance_p05") is not None:
        rng = f"{u['balance_p05']:.2f}–{u['balance_p95']:.2f}"
    ph = fmt_prob(r.p_holds) if r.p_holds is not None else "—"
    judgement = (r.judgement or r.verdict).upper()
    if r.p_holds is None and r.verdict != "uncontested":
        judgement += " (point)"
    title = r.title + (" *" if r.critical else "")
    return [
        title,
        r.law,
        numbers,
        fmt_balance(r.balance, thresholds),
        rng,
        ph,
        judgement,
    ]


def _weakest(a: Assessment) -> ContestResult | None:
    crit = [r for r in a.contests if r.critical and r.balance is not None]
    if not crit:
        return None
    if all(r.p_holds is not None for r in crit):
        return min(crit, key=lambda r: (r.p_holds or 0.0, r.balance or 0.0, r.id))
    return min(crit, key=lambda r: (r.balance or 0.0, r.id))


def headline(a: Assessment) -> list[str]:
    """The determination first, then P(all critical contests hold), the weakest, the index."""
    crit = [r for r in a.contests if r.critical]
    det = a.determination.replace("_", " ").upper()
    lines = []
    if a.p_certified is not None:
        lines.append(
            f"{det}: the probability that all {len(crit)} critical contests hold is "
            f"{fmt_prob(a.p_certified)} (certified at ≥ {100 * a.confidence:.0f}%, not certified "
            f"at ≤ {100 * (1 - a.confidence):.0f}%; {a.samples:,} samples, seed {a.seed})."
        )
    else:
        holding = sum(1 for r in crit if r.holds)
        lines.append(
            f"{det} (point estimates only): {holding} of {len(crit)} critical contests hold at "
            "their point balance; run with --samples for probabilities."
        )
    w = _weakest(a)
    if w is not None:
        extra = f", P(holds) {fmt_prob(w.p_holds)}" if w.p_holds is not None else ""
        lines.append(
            f"Weakest critical contest: {w.title} — balance "
            f"{fmt_balance(w.balance, a.thresholds)}{extra}, judged {w.judgement or w.verdict}."
        )
    idx = "—" if a.index is None else f"{a.index:.2f}"
    lines.append(
        f"Balance index {idx}: the weighted share of the requirement met across contested "
        "contests (a surplus in one contest never offsets a deficit in another)."
    )
    return lines


def certification_line(a: Assessment, p_certified: float | None = None) -> str:
    """The first headline line (kept for callers that want one line)."""
    return headline(a)[0]


def assessment_markdown(a: Assessment) -> str:
    """The assessment as a Markdown table, the headline and single points of failure."""
    as_of = ", ".join(f"{k} {v}" for k, v in a.as_of.items())
    out = [
        f"# Qualitative deterrent balance: {a.blue.capitalize()} vs {a.red.capitalize()}",
        "",
        *[f"**{line}**" if i == 0 else line for i, line in enumerate(headline(a))],
        "",
        f"Snapshots: {as_of}. Inputs SHA-256 `{a.inputs_sha256[:16]}…`, engine {a.engine_version}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---:", "---"]) + "|",
    ]
    for r in a.contests:
        cells = [c.replace("|", "\\|") for c in contest_row(r, a.thresholds)]
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        "`*` critical contest. Balance = quality edge held ÷ edge needed to offset the numbers "
        f"(matched ≥ {a.thresholds['matched']:.2f}, offset ≥ {a.thresholds['offset']:.2f}); "
        "for air defence, ln(leakage) ÷ ln(acceptable leakage).",
    ]
    if a.p_certified is not None:
        c = a.confidence
        out += [
            "",
            INDETERMINATE_NOTE.format(
                lo=f"{100 * (1 - c):.0f}%", hi=f"{100 * c:.0f}%", c=f"{100 * c:.0f}%"
            ),
        ]
    if a.critical_systems:
        out += ["", "Single points of failure (losing one, a holding critical contest fails):", ""]
        for cs in a.critical_systems:
            drop = (
                f"; P(certified) falls by {fmt_prob(cs.p_certified_drop)}"
                if cs.p_certified_drop
                else ""
            )
            out.append(f"- {cs.name} (`{cs.id}`): {', '.join(cs.flips)}{drop}")
    return "\n".join(out) + "\n"
