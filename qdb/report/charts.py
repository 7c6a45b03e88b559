"""Report charts as SVG text (matplotlib, imported only here and only when called).

Byte-stable: a fixed ``svg.hashsalt``, no date in the metadata, text drawn as
paths (so the SVG needs no font and looks the same in a browser and in the
PDF), and figures made with :class:`matplotlib.figure.Figure` directly — no
pyplot, no global state.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

__all__ = ["COLORS", "render_charts"]

COLORS = {
    "offset": "#1e6b3a",
    "matched": "#5a9e6f",
    "shortfall": "#a61b1b",
    "uncontested": "#8a8f98",
    "ink": "#1b2a3a",
    "navy": "#1f3a5f",
    "blue": "#2f6db5",
    "grid": "#d5d9de",
    "band_short": "#f6e3e1",
    "band_match": "#e6f1e8",
    "delivered": "#1f3a5f",
    "pledged": "#a9bcd3",
    "us": "#1f3a5f",
    "europe": "#e0a526",
    "other": "#8a8f98",
}

RC = {
    "svg.hashsalt": "qdb-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": "#5b6470",
    "axes.labelcolor": COLORS["ink"],
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "xtick.color": "#3b4450",
    "ytick.color": "#3b4450",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}

WIDTH = 6.4  # inches: the text width of the PDF


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        metadata={"Date": None, "Creator": "qdb"},
        bbox_inches="tight",
        pad_inches=0.05,
    )
    return buf.getvalue()


def _wrap(text: str, width: int = 42) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _log_ticks(ax: Any, lo: float, hi: float, axis: str = "x") -> None:
    from matplotlib.ticker import FixedLocator, NullLocator

    cands = [
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1,
        2,
        5,
        10,
        20,
        50,
        100,
        200,
        500,
        1000,
    ]
    ticks = [t for t in cands if lo <= t <= hi]
    loc = FixedLocator(ticks)
    labels = [f"{t:g}" for t in ticks]
    if axis == "x":
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels(labels)
    else:
        ax.yaxis.set_major_locator(loc)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticklabels(labels)


def _limits(values: Sequence[float], th: Mapping[str, float]) -> tuple[float, float]:
    vals = [v for v in values if v is not None and v > 0] + [th["matched"], th["offset"], 1.0]
    lo = min(vals) / 1.8
    hi = max(vals) * 1.8
    return max(lo, 1e-3), min(hi, 1e3)


def _threshold_bands(
    ax: Any, th: Mapping[str, float], lo: float, hi: float, vertical: bool = True
) -> None:
    span = ax.axvspan if vertical else ax.axhspan
    line = ax.axvline if vertical else ax.axhline
    span(lo, th["matched"], color=COLORS["band_short"], zorder=0, lw=0)
    span(th["matched"], th["offset"], color=COLORS["band_match"], zorder=0, lw=0)
    line(th["matched"], color=COLORS["shortfall"], lw=0.9, ls="--", zorder=1)
    line(th["offset"], color=COLORS["offset"], lw=0.9, ls="--", zorder=1)


def balance_chart(ctx: Mapping[str, Any]) -> str:
    """Balance of each contested contest against the matched and offset thresholds."""
    from matplotlib.figure import Figure

    th = ctx["thresholds"]
    rows = [c for c in ctx["contests"] if c["balance"] is not None]
    n = len(rows)
    fig = Figure(figsize=(WIDTH, 0.9 + 0.42 * n))
    ax = fig.add_subplot()
    vals = [max(c["balance"], 1e-3) for c in rows]
    lo, hi = _limits(vals, th)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    _threshold_bands(ax, th, lo, hi)
    ys = list(range(n))[::-1]
    for y, c, v in zip(ys, rows, vals, strict=True):
        ax.barh(y, v - lo, left=lo, height=0.6, color=COLORS[c["verdict"]], zorder=2)
        ax.annotate(
            c["balance_text"],
            (v, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=8,
            fontweight="bold",
            color=COLORS["ink"],
            zorder=4,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [_wrap(("* " if c["critical"] else "") + c["title"], 46) for c in rows], fontsize=7.5
    )
    ax.set_ylim(-0.6, n - 0.4)
    _log_ticks(ax, lo, hi)
    ax.set_xlabel("Balance β (log scale): quality edge held ÷ edge needed to offset the numbers")
    ax.text(
        th["matched"],
        n - 0.35,
        f" matched {ctx['meta']['matched_text']}",
        color=COLORS["shortfall"],
        fontsize=7,
        ha="right",
        va="bottom",
    )
    ax.text(
        th["offset"],
        n - 0.35,
        f" offset {ctx['meta']['offset_text']}",
        color=COLORS["offset"],
        fontsize=7,
        ha="left",
        va="bottom",
    )
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def waterfall_chart(contest: Mapping[str, Any], th: Mapping[str, float]) -> str:
    """Factor decomposition of one contest's balance as a waterfall (log scale)."""
    from matplotlib.figure import Figure

    factors = contest["factors"]
    fig = Figure(figsize=(WIDTH, 2.5))
    ax = fig.add_subplot()
    ax.set_yscale("log")
    level = 1.0
    xs, tops = [], [1.0]
    labels = ["Parity"]
    ax.bar(0, 0, bottom=1.0)  # keep x=0 for the parity anchor
    for i, f in enumerate(factors, start=1):
        new = level * f["mult"]
        lo_, hi_ = sorted((level, new))
        color = COLORS["blue"] if f["log"] >= 0 else COLORS["shortfall"]
        if abs(f["log"]) < 1e-12:
            ax.plot([i - 0.3, i + 0.3], [level, level], color="#5b6470", lw=1)
        else:
            ax.bar(i, hi_ - lo_, bottom=lo_, width=0.6, color=color, zorder=2)
        ax.text(
            i,
            hi_ * 1.08,
            f["mult_text"],
            ha="center",
            va="bottom",
            fontsize=7.5,
            color=COLORS["ink"],
        )
        if i < len(factors):
            ax.plot([i + 0.3, i + 0.7], [new, new], color="#5b6470", lw=0.6)
        xs.append(i)
        tops += [lo_, hi_]
        labels.append(f["label"])
        level = new
    end = len(factors) + 1
    b = max(contest["balance"], 1e-3)
    ax.bar(
        end,
        abs(b - 1.0) or 1e-9,
        bottom=min(b, 1.0),
        width=0.6,
        color=COLORS[contest["verdict"]],
        zorder=2,
    )
    ax.text(
        end,
        max(b, 1.0) * 1.08,
        f"β {contest['balance_text']}",
        ha="center",
        va="bottom",
        fontsize=7.5,
        fontweight="bold",
        color=COLORS["ink"],
    )
    labels.append("Balance")
    tops += [b, th["matched"], th["offset"]]
    lo = max(min(tops) / 1.6, 1e-3)
    hi = max(tops) * 1.9
    ax.set_ylim(lo, hi)
    ax.axhline(1.0, color="#5b6470", lw=0.6, zorder=1)
    ax.axhline(th["matched"], color=COLORS["shortfall"], lw=0.8, ls="--", zorder=1)
    ax.axhline(th["offset"], color=COLORS["offset"], lw=0.8, ls="--", zorder=1)
    ax.set_xticks(range(0, end + 1))
    ax.set_xticklabels(labels, fontsize=7.5)
    ax.set_xlim(0.4, end + 0.6)
    _log_ticks(ax, lo, hi, axis="y")
    ax.set_ylabel("Cumulative multiplier (log)")
    return _svg(fig)


def layered_chart(contest: Mapping[str, Any]) -> str:
    """Threats still flying after each defensive layer, against the acceptable leakage."""
    from matplotlib.figure import Figure

    lay = contest["layered"]
    # the class name without its parenthesised list of systems keeps one row one line
    names = ["Arriving"] + [f"After {x['name'].split(' (')[0]}" for x in lay["layers"]]
    vals = [lay["arrivals"]] + [x["leaving"] for x in lay["layers"]]
    fig = Figure(figsize=(WIDTH, max(2.4, 0.3 * len(vals) + 0.9)))
    ax = fig.add_subplot()
    ys = list(range(len(vals)))[::-1]
    top = max(vals) if vals else 1.0
    for y, v, i in zip(ys, vals, range(len(vals)), strict=True):
        color = (
            COLORS["navy"]
            if i == 0
            else (COLORS["shortfall"] if i == len(vals) - 1 else COLORS["blue"])
        )
        ax.barh(y, v, height=0.6, color=color, zorder=2)
        share = v / lay["arrivals"] if lay["arrivals"] else 0.0
        ax.text(
            v + top * 0.01, y, f"{v:,.0f} a day ({100 * share:.0f}%)", va="center", fontsize=7.5
        )
    if lay["acceptable"] is not None:
        x = lay["acceptable"] * lay["arrivals"]
        ax.axvline(x, color=COLORS["offset"], ls="--", lw=0.9)
        ax.text(
            x,
            len(vals) - 0.45,
            f" acceptable {lay['acceptable_text']}",
            color=COLORS["offset"],
            fontsize=7,
            va="bottom",
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(n, 44) for n in names], fontsize=7.5)
    ax.set_ylim(-0.6, len(vals) - 0.2)
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("Missiles and drones still flying, per day")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def uncertainty_chart(ctx: Mapping[str, Any]) -> str:
    """5th-95th percentile of each contest's balance, median marked, P(holds) at the right."""
    from matplotlib.figure import Figure

    th = ctx["thresholds"]
    rows = [c for c in ctx["contests"] if c["uncertainty"] and c["uncertainty"]["p50"] is not None]
    n = max(len(rows), 1)
    fig = Figure(figsize=(WIDTH, 0.9 + 0.42 * n))
    ax = fig.add_subplot()
    vals = [
        v for c in rows for v in (c["uncertainty"]["p05"], c["uncertainty"]["p95"]) if v is not None
    ]
    lo, hi = _limits([max(v, 1e-3) for v in vals], th)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    _threshold_bands(ax, th, lo, hi)
    ys = list(range(len(rows)))[::-1]
    for y, c in zip(ys, rows, strict=True):
        u = c["uncertainty"]
        p05 = max(u["p05"] if u["p05"] is not None else u["p50"], 1e-3)
        p95 = max(u["p95"] if u["p95"] is not None else u["p50"], 1e-3)
        ax.plot([p05, p95], [y, y], color=COLORS["navy"], lw=3, solid_capstyle="butt", zorder=2)
        ax.plot(
            [max(u["p50"], 1e-3)],
            [y],
            marker="o",
            color="white",
            mec=COLORS["navy"],
            ms=5,
            zorder=3,
        )
        ax.text(
            1.01,
            y,
            f"P(holds) {u['p_text']}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7.5,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(c["title"], 40) for c in rows], fontsize=7.5)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    _log_ticks(ax, lo, hi)
    ax.set_xlabel("Balance β, 5th–95th percentile (log scale); circle = median")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def commitments_chart(ctx: Mapping[str, Any]) -> str:
    """Pledged vs delivered by partner, and the burden share by bloc."""
    from matplotlib.figure import Figure

    com = ctx["commitments"]
    rows = com["partners"]
    burden = com["burden"]
    n = len(rows)
    fig = Figure(figsize=(WIDTH, 1.2 + 0.36 * n + (0.7 if burden else 0)))
    if burden:
        gs = fig.add_gridspec(2, 1, height_ratios=[max(n, 1) * 0.36 + 0.6, 0.55], hspace=0.7)
        ax = fig.add_subplot(gs[0])
        bx = fig.add_subplot(gs[1])
    else:
        ax = fig.add_subplot()
        bx = None
    ys = list(range(n))[::-1]
    for y, r in zip(ys, rows, strict=True):
        ax.barh(
            y + 0.17,
            r["pledged_musd"],
            height=0.32,
            color=COLORS["pledged"],
            zorder=2,
            label="Pledged" if y == ys[0] else None,
        )
        ax.barh(
            y - 0.17,
            r["delivered_musd"],
            height=0.32,
            color=COLORS["delivered"],
            zorder=2,
            label="Delivered" if y == ys[0] else None,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([r["partner"] for r in rows], fontsize=7.5)
    ax.set_xlabel("Equipment value, million USD")
    ax.legend(loc="lower right", frameon=False, fontsize=7.5)
    ax.grid(axis="x", color=COLORS["grid"], lw=0.5, zorder=0)
    ax.tick_params(axis="y", length=0)
    ax.set_title("Pledged and delivered equipment by partner")
    if bx is not None:
        left = 0.0
        for b in burden:
            bx.barh(
                0, b["share"], left=left, color=COLORS.get(b["bloc"], COLORS["other"]), height=0.6
            )
            if b["share"] >= 0.25:
                bx.text(
                    left + b["share"] / 2,
                    0,
                    f"{b['label']} {b['share_text']}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if b["bloc"] != "europe" else COLORS["ink"],
                )
            left += b["share"]
        bx.set_xlim(0, max(1.0, left))
        bx.set_yticks([])
        bx.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        bx.set_xticklabels(["0%", "25%", "50%", "75%", "100%"])
        bx.spines["left"].set_visible(False)
        bx.set_title(
            "Burden share: " + ", ".join(f"{b['label']} {b['share_text']}" for b in burden)
        )
    return _svg(fig)


def tornado_chart(contest: Mapping[str, Any], th: Mapping[str, float]) -> str:
    """Balance at each input's low and high bound, widest swing first."""
    from matplotlib.figure import Figure

    bars = contest["sensitivity"]
    n = len(bars)
    fig = Figure(figsize=(WIDTH, 0.9 + 0.34 * n))
    ax = fig.add_subplot()
    base = contest["balance"] or 0.0
    ys = list(range(n))[::-1]
    for y, b in zip(ys, bars, strict=True):
        for v, col in ((b["low"], COLORS["pledged"]), (b["high"], COLORS["navy"])):
            ax.barh(y, v - base, left=base, height=0.6, color=col, zorder=2)
    ax.axvline(base, color=COLORS["ink"], lw=0.8)
    ax.axvline(th["matched"], color=COLORS["shortfall"], lw=0.8, ls="--")
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(b["input"], 40) for b in bars], fontsize=7.5)
    ax.set_xlabel("Balance β with the input at its low (light) and high (dark) bound")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def projection_chart(ctx: Mapping[str, Any]) -> str:
    """Each contest's balance year by year under the commitments."""
    from matplotlib.figure import Figure

    th = ctx["thresholds"]
    proj = ctx["projection"]
    n = len(proj["rows"])
    fig = Figure(figsize=(WIDTH, 2.8 + 0.17 * ((n + 1) // 2)))
    ax = fig.add_subplot()
    years = proj["years"]
    vals = [v for r in proj["rows"] for v in r["balances"] if v is not None and v > 0]
    lo, hi = _limits(vals, th)
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    _threshold_bands(ax, th, lo, hi, vertical=False)
    cmap = ["#1f3a5f", "#e0a526", "#2f6db5", "#a61b1b", "#5a9e6f", "#7a4f9a", "#8a8f98", "#c2571a"]
    for i, r in enumerate(proj["rows"]):
        pts = [
            (y, max(v, 1e-3)) for y, v in zip(years, r["balances"], strict=True) if v is not None
        ]
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            marker="o",
            ms=3,
            lw=1.4,
            color=cmap[i % len(cmap)],
            label=_wrap(r["title"], 40),
        )
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])
    _log_ticks(ax, lo, hi, axis="y")
    ax.set_ylabel("Balance β (log)")
    ax.legend(fontsize=6.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return _svg(fig)


def render_charts(ctx: Mapping[str, Any]) -> dict[str, str]:
    """Render every chart listed in ``ctx["charts"]`` to SVG text.

    Parameters
    ----------
    ctx : mapping
        A context from :func:`qdb.report.context.build_context`.

    Returns
    -------
    dict
        Chart key -> standalone SVG document (text drawn as paths).
    """
    import matplotlib

    th = ctx["thresholds"]
    by_id = {c["id"]: c for c in ctx["contests"]}
    makers: dict[str, Callable[[], str]] = {
        "balance": lambda: balance_chart(ctx),
        "uncertainty": lambda: uncertainty_chart(ctx),
        "commitments": lambda: commitments_chart(ctx),
        "projection": lambda: projection_chart(ctx),
    }
    out: dict[str, str] = {}
    with matplotlib.rc_context(cast(Any, RC)):
        for key in ctx["charts"]:
            kind, _, cid = key.partition("_")
            if key in makers:
                out[key] = makers[key]()
            elif kind == "waterfall":
                out[key] = waterfall_chart(by_id[cid], th)
            elif kind == "layered":
                out[key] = layered_chart(by_id[cid])
            elif kind == "tornado":
                out[key] = tornado_chart(by_id[cid], th)
    return out
