"""Text renderings of an assessment: rows for tables and Markdown (pure)."""

from __future__ import annotations

from typing import Any

from qdb.explain import fmt_pct, fmt_ratio
from qdb.results import Assessment, ContestResult

__all__ = ["HEADERS", "assessment_markdown", "certification_line", "contest_row"]

HEADERS = (
    "Contest",
    "Law",
    "Red : Blue",
    "Edge needed",
    "Edge held",
    "Balance",
    "Verdict",
)


def contest_row(r: ContestResult, unc: dict[str, Any] | None = None) -> list[str]:
    """One table row of strings for a contest."""
    if r.law == "layered_defence":
        needed = "leak ≤ accept."
        held = f"leak {fmt_pct(r.leakage)}" if r.leakage is not None else "—"
    else:
        needed = "—" if r.required_quality_ratio is None else f"{r.required_quality_ratio:.2f}×"
        held = "—" if r.quality_ratio is None else f"{r.quality_ratio:.2f}×"
    bal = "—" if r.balance is None else f"{r.balance:.2f}"
    if unc and unc.get("balance_p05") is not None:
        bal += f" [{unc['balance_p05']:.2f}–{unc['balance_p95']:.2f}]"
    verdict = r.verdict.upper()
    if unc and unc.get("p_matched_or_offset") is not None:
        verdict += f" (p={unc['p_matched_or_offset']:.2f})"
    title = r.title + (" *" if r.critical else "")
    return [title, r.law.replace("_", " "), fmt_ratio(r.numbers_ratio), needed, held, bal, verdict]


def certification_line(a: Assessment, p_certified: float | None = None) -> str:
    """``CERTIFIED`` / ``NOT CERTIFIED`` with the failing critical contests."""
    crit = [r for r in a.contests if r.critical]
    failing = [r for r in crit if not r.holds]
    idx = "—" if a.index is None else f"{a.index:.2f}"
    prob = "" if p_certified is None else f"; probability of certification {p_certified:.2f}"
    if a.certified:
        return (
            f"CERTIFIED: {a.blue.capitalize()} matches or offsets {a.red.capitalize()} in all "
            f"{len(crit)} critical contests (balance index {idx}{prob})."
        )
    names = ", ".join(r.title for r in failing)
    return (
        f"NOT CERTIFIED: shortfall in {len(failing)} of {len(crit)} critical contests — {names} "
        f"(balance index {idx}{prob})."
    )


def assessment_markdown(
    a: Assessment,
    uncertainty: dict[str, dict[str, Any]] | None = None,
    p_certified: float | None = None,
) -> str:
    """The assessment as a Markdown table plus the certification line."""
    uncertainty = uncertainty or {}
    as_of = ", ".join(f"{k} {v}" for k, v in a.as_of.items())
    out = [
        f"# Qualitative deterrent balance: {a.blue} vs {a.red}",
        "",
        f"Snapshots: {as_of}. Inputs SHA-256 `{a.inputs_sha256[:16]}…`, engine {a.engine_version}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---:", "---"]) + "|",
    ]
    for r in a.contests:
        cells = [c.replace("|", "\\|") for c in contest_row(r, uncertainty.get(r.id))]
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        "`*` critical contest. Balance = quality edge held ÷ edge needed to offset the numbers "
        f"(matched ≥ {a.thresholds['matched']:.2f}, offset ≥ {a.thresholds['offset']:.2f}).",
        "",
        f"**{certification_line(a, p_certified)}**",
    ]
    if a.critical_systems:
        out += ["", "Single points of failure:", ""]
        out += [
            f"- {c.kind} `{c.id}` ({c.name}): losing it flips {', '.join(c.flips)}"
            for c in a.critical_systems
        ]
    return "\n".join(out) + "\n"
