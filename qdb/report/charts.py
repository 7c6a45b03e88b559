"""Report charts as SVG text, drawn from the context's plain chart specifications.

matplotlib is imported only here and only when called. Byte-stable: a fixed
``svg.hashsalt``, no date in the metadata, text drawn as paths (the SVG needs
no font and looks the same in a browser and in the PDF), and figures made with
:class:`matplotlib.figure.Figure` directly (no pyplot, no global state).

Colours are the Okabe-Ito palette (safe for the common colour-vision
deficiencies); every mark is also labelled directly or told apart by its shape,
never by colour alone. Data marks carry a ``gid`` starting with ``qdb-mark`` so
that tests can find each chart's own elements.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any, cast

__all__ = ["JUDGEMENT_COLOR", "OKABE_ITO", "render_charts"]

OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (used last: weak on white)
)
JUDGEMENT_COLOR = {
    "offset": "#0072B2",
    "matched": "#56B4E9",
    "shortfall": "#D55E00",
    "indeterminate": "#E69F00",
    "uncontested": "#7f7f7f",
}
JUDGEMENT_MARKER = {
    "offset": "o",
    "matched": "o",
    "shortfall": "s",
    "indeterminate": "D",
    "uncontested": "x",
}
INK = "#1b2a3a"
GREY = "#5b6470"
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")

RC = {
    "svg.hashsalt": "qdb-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "xtick.color": "#3b4450",
    "ytick.color": "#3b4450",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}

WIDTH = 6.3  # inches: the text width of the PDF


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


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _log_ticks(ax: Any, lo: float, hi: float) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator

    cands = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
    ticks = [t for t in cands if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{t:g}" for t in ticks])


def dotrange_chart(spec: Mapping[str, Any]) -> str:
    """Each contest's balance (mark) with its 90% range (line), log scale, thresholds shaded."""
    from matplotlib.figure import Figure

    rows = list(spec["rows"])
    n = len(rows)
    fig = Figure(figsize=(WIDTH, 0.9 + 0.48 * n))
    ax = fig.add_subplot()
    vals = [max(float(r["point"]), 0.01) for r in rows]
    vals += [max(float(r["p05"]), 0.01) for r in rows if r.get("p05") is not None]
    vals += [float(r["p95"]) for r in rows if r.get("p95") is not None]
    lo = max(0.01, min([*vals, spec["matched"]]) / 1.5)
    hi = max([*vals, spec["offset"]]) * 1.3
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.axvspan(lo, spec["matched"], color="#f3e1d6", lw=0, zorder=0)
    ax.axvline(spec["matched"], color=GREY, lw=0.8, ls="--", zorder=1)
    ax.axvline(spec["offset"], color=GREY, lw=0.8, ls=":", zorder=1)
    ys = list(range(n))[::-1]
    for y, r in zip(ys, rows, strict=True):
        j = str(r["judgement"])
        col = JUDGEMENT_COLOR.get(j, GREY)
        p = max(float(r["point"]), lo)
        if r.get("p05") is not None and r.get("p95") is not None:
            (ln,) = ax.plot(
                [max(float(r["p05"]), lo), max(float(r["p95"]), lo)],
                [y, y],
                color=col,
                lw=2.2,
                solid_capstyle="butt",
                zorder=2,
            )
            ln.set_gid(f"qdb-mark-range-{y}")
        mk = ax.scatter(
            [p],
            [y],
            s=34,
            marker=JUDGEMENT_MARKER.get(j, "o"),
            color=col,
            edgecolors=INK,
            linewidths=0.5,
            zorder=3,
        )
        mk.set_gid(f"qdb-mark-point-{y}")
        # direct label in a column right of the plot: no threshold line strikes through it
        ax.annotate(
            f"{r['text']}  {j}",
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=7.5,
            color=INK,
            zorder=4,
            annotation_clip=False,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(str(r["label"]), 38) for r in rows], fontsize=8)
    ax.set_ylim(-0.7, n - 0.3 + 0.6)
    _log_ticks(ax, lo, hi)
    ax.text(spec["matched"], n - 0.1, "matched ", ha="right", va="bottom", fontsize=7, color=GREY)
    ax.text(spec["offset"], n - 0.1, " offset", ha="left", va="bottom", fontsize=7, color=GREY)
    ax.set_xlabel("Balance (log scale); shaded: shortfall")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def factors_chart(spec: Mapping[str, Any]) -> str:
    """What multiplies the balance: one horizontal bar per factor (log scale), then the balance."""
    from matplotlib.figure import Figure

    items = list(spec["items"])
    labels = [str(i["label"]) for i in items] + ["Balance"]
    mults = [float(i["mult"]) for i in items] + [max(float(spec["balance"]), 1e-3)]
    n = len(labels)
    fig = Figure(figsize=(WIDTH, 0.6 + 0.25 * n))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    lo = min([*mults, spec["matched"]]) / 1.6
    hi = max([*mults, 1.0]) * 1.8
    ax.set_xlim(lo, hi)
    ys = list(range(n))[::-1]
    for k, (y, v) in enumerate(zip(ys, mults, strict=True)):
        last = k == n - 1
        if last:
            col = JUDGEMENT_COLOR["offset"] if spec["holds"] else JUDGEMENT_COLOR["shortfall"]
        else:
            col = OKABE_ITO[0] if v >= 1 else OKABE_ITO[1]
        a, b = sorted((1.0, v))
        bars = ax.barh(
            y,
            (b - a) or 1e-9,
            left=a,
            height=0.6,
            color=col,
            zorder=2,
            hatch="///" if last else None,
            edgecolor=INK if last else col,
            lw=0.4,
        )
        for i, bar in enumerate(bars):
            bar.set_gid(f"qdb-mark-bar-{k}-{i}")
        text = f"{v:.2f}×" if not last else f"{spec['balance_text']}"
        ax.annotate(
            text,
            (max(v, 1.0), y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=7.5,
            color=INK,
        )
    ax.axvline(1.0, color=INK, lw=0.8, zorder=3)
    ax.axvline(spec["matched"], color=GREY, lw=0.8, ls="--", zorder=1)
    ax.text(spec["matched"], n - 0.45, "matched ", ha="right", va="bottom", fontsize=7, color=GREY)
    ax.set_ylim(-0.7, n - 0.45 + 0.5)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7.5)
    _log_ticks(ax, lo, hi)
    ax.set_xlabel("Multiplier of the balance (log scale; 1 = no effect)")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def leakage_chart(spec: Mapping[str, Any]) -> str:
    """Campaign leakage per air-defence contest, the worst raid and the acceptable level."""
    from matplotlib.figure import Figure

    rows = list(spec["rows"])
    n = len(rows)
    fig = Figure(figsize=(WIDTH, 0.8 + 0.5 * n))
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    for k, (y, r) in enumerate(zip(ys, rows, strict=True)):
        leak = 100 * float(r["leakage"] or 0)
        ok = r.get("acceptable")
        col = OKABE_ITO[1] if ok is not None and leak > 100 * float(ok) else OKABE_ITO[0]
        bars = ax.barh(y, leak, height=0.55, color=col, zorder=2)
        for i, bar in enumerate(bars):
            bar.set_gid(f"qdb-mark-leak-{k}-{i}")
        label = f"{leak:.0f}% leak"
        if r.get("worst") is not None:
            w = 100 * float(r["worst"])
            mk = ax.scatter(
                [w],
                [y],
                marker="o",
                s=30,
                facecolors="white",
                edgecolors=INK,
                linewidths=0.9,
                zorder=3,
            )
            mk.set_gid(f"qdb-mark-worst-{k}")
            label += f"; worst raid {w:.0f}%"
        if ok is not None:
            a = 100 * float(ok)
            (tick,) = ax.plot([a, a], [y - 0.28, y + 0.28], color=INK, lw=1.6, zorder=4)
            tick.set_gid(f"qdb-mark-acceptable-{k}")
            label += f"; acceptable {a:.0f}%"
        ax.annotate(
            label,
            (0, y + 0.33),
            xytext=(0, 2),
            textcoords="offset points",
            va="bottom",
            ha="left",
            fontsize=7,
            color=INK,
        )
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_yticks(ys)
    ax.set_yticklabels([str(r["label"]) for r in rows], fontsize=7.5)
    ax.set_xlabel("Share of launches that get through (%)")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


def lines_chart(spec: Mapping[str, Any]) -> str:
    """Projected balance per contest by year, each line labelled at its end (no legend)."""
    from matplotlib.figure import Figure

    years = [int(y) for y in spec["years"]]
    series = list(spec["series"])
    fig = Figure(figsize=(WIDTH, 3.0))
    ax = fig.add_subplot()
    ax.set_yscale("log")
    vals = [float(v) for s in series for v in s["values"] if v is not None and v > 0]
    lo = max(0.01, min([*vals, spec["matched"]]) / 1.4)
    hi = max([*vals, spec["offset"]]) * 1.4
    ax.set_ylim(lo, hi)
    ax.axhspan(lo, spec["matched"], color="#f3e1d6", lw=0, zorder=0)
    ax.axhline(spec["matched"], color=GREY, lw=0.8, ls="--", zorder=1)
    ends: list[tuple[float, str, str]] = []
    for k, s in enumerate(series):
        col = OKABE_ITO[k % len(OKABE_ITO)]
        pts = [
            (y, float(v))
            for y, v in zip(years, s["values"], strict=True)
            if v is not None and v > 0
        ]
        if not pts:
            continue
        (ln,) = ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            color=col,
            lw=1.6,
            ls=LINESTYLES[k % len(LINESTYLES)],
            marker=MARKERS[k % len(MARKERS)],
            markersize=3.5,
            zorder=2,
        )
        ln.set_gid(f"qdb-mark-line-{k}")
        ends.append((pts[-1][1], str(s["label"]), col))
    # direct labels at the right end, nudged apart in log space so that none overlap
    ends.sort()
    placed: list[float] = []
    gap = (math.log(hi) - math.log(lo)) / 16
    for v, label, col in ends:
        y = math.log(v)
        if placed and y - placed[-1] < gap:
            y = placed[-1] + gap
        placed.append(y)
        ax.annotate(
            label,
            (years[-1], v),
            xytext=(years[-1] + 0.25, math.exp(y)),
            textcoords="data",
            va="center",
            ha="left",
            fontsize=7,
            color=col,
            arrowprops={"arrowstyle": "-", "color": col, "lw": 0.5},
        )
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])
    from matplotlib.ticker import FixedLocator, NullLocator

    m = float(spec["matched"])
    ticks = [
        t
        for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
        if lo <= t <= hi and abs(math.log(t / m)) > 0.2
    ]
    ticks = sorted([*ticks, m])
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticklabels([f"matched {t:g}" if t == m else f"{t:g}" for t in ticks])
    ax.set_ylabel("Balance (log scale)")
    fig.subplots_adjust(right=0.72)
    return _svg(fig)


def dumbbell_chart(spec: Mapping[str, Any]) -> str:
    """Reported (square), net (triangle) and predicted (circle) leakage per threat class."""
    from matplotlib.figure import Figure

    rows = list(spec["rows"])
    n = len(rows)
    fig = Figure(figsize=(WIDTH, 0.8 + 0.45 * n))
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    for k, (y, r) in enumerate(zip(ys, rows, strict=True)):
        pts = {
            key: 100 * float(r[key])
            for key in ("reported", "net", "predicted")
            if r.get(key) is not None
        }
        if pts:
            (ln,) = ax.plot(
                [min(pts.values()), max(pts.values())], [y, y], color="#b8bec6", lw=2, zorder=1
            )
            ln.set_gid(f"qdb-mark-span-{k}")
        for key, marker, col in (
            ("reported", "s", OKABE_ITO[1]),
            ("net", "^", OKABE_ITO[3]),
            ("predicted", "o", OKABE_ITO[0]),
        ):
            if key in pts:
                mk = ax.scatter(
                    [pts[key]],
                    [y],
                    marker=marker,
                    s=36,
                    color=col,
                    edgecolors=INK,
                    linewidths=0.4,
                    zorder=3,
                )
                mk.set_gid(f"qdb-mark-{key}-{k}")
        if "reported" in pts and "predicted" in pts:
            ax.annotate(
                f"reported {pts['reported']:.0f}%, predicted {pts['predicted']:.0f}%",
                (0, y + 0.28),
                xytext=(0, 1),
                textcoords="offset points",
                va="bottom",
                ha="left",
                fontsize=7,
                color=INK,
            )
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_yticks(ys)
    ax.set_yticklabels([str(r["label"]) for r in rows], fontsize=7.5)
    ax.set_xlabel("Leakage (%): square reported, triangle net of lost in flight, circle predicted")
    ax.tick_params(axis="y", length=0)
    return _svg(fig)


DRAW = {
    "dotrange": dotrange_chart,
    "factors": factors_chart,
    "leakage": leakage_chart,
    "lines": lines_chart,
    "dumbbell": dumbbell_chart,
}


def render_charts(ctx: Mapping[str, Any]) -> dict[str, str]:
    """Every chart of the context as SVG text, keyed by chart key.

    Parameters
    ----------
    ctx : mapping
        From :func:`qdb.report.context.build_context` (its ``charts`` specs).
    """
    import matplotlib

    out: dict[str, str] = {}
    with matplotlib.rc_context(cast(Any, RC)):
        for spec in ctx["charts"]:
            out[str(spec["key"])] = DRAW[str(spec["kind"])](spec)
    return out
