"""Assessment + matchup (+ optional analyses) -> the report context (pure data).

The context is a plain, JSON-serialisable ``dict`` in which every figure the
reader sees is already formatted, so the Markdown, HTML and PDF editions print
the same words. The body is a list of sections, each a list of *blocks*
(``heading``, ``para``, ``list``, ``table``, ``figure``, ``callout``,
``defs``); the templates only lay blocks out. The one-page highlights are a
structured dict of their own (``highlights``), and every chart is a plain
specification (``charts``) that :mod:`qdb.report.charts` draws.

Optional analyses arrive through ``extras`` as plain dicts (their ``to_json``
forms); a section says what is missing rather than disappearing:

``projection``
    ``qdb.projection.project(...).to_json()`` (``years``, ``reconciliation``).
``obligations``
    ``qdb.obligations.obligations(..., report year).to_json()``.
``optimization``
    ``qdb.optimize.optimize(...).to_json()``, or ``{"error": text}``.
``backtest_raids``
    ``{"calibration": RaidBacktest.as_dict(), "earlier": ...}`` (either optional).
``backtest_losses``
    ``{"contests": [...]}`` as ``qdb backtest losses --format json`` prints it.
``previous``
    An earlier ``qdb assess --format json`` (changes since the previous report).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from qdb.models import Matchup
from qdb.report.fmt import (
    DASH,
    fmt_date_long,
    fmt_money,
    fmt_num,
    fmt_pct,
    fmt_prob,
    fmt_ratio,
    fmt_sig,
    likelihood,
)
from qdb.results import Assessment, ContestResult

__all__ = [
    "EXTRA_SECTIONS",
    "LIKELIHOOD_SCALE",
    "build_context",
    "short_title",
    "side_label",
]

EXTRA_SECTIONS = (
    "projection",
    "obligations",
    "optimization",
    "backtest_raids",
    "backtest_losses",
    "previous",
)

LIKELIHOOD_SCALE = (
    ("virtually certain", "99% or more"),
    ("very likely", "90% to 99%"),
    ("likely", "66% to 90%"),
    ("about even", "33% to 66%"),
    ("unlikely", "10% to 33%"),
    ("very unlikely", "1% to 10%"),
    ("exceptionally unlikely", "less than 1%"),
)
"""The graded words for a probability, defined once (highlights page and glossary)."""

AGE_WARNING_DAYS = 180
SIDE_NAMES = {"ukraine": "Ukraine", "russia": "Russia"}
SIDE_ADJECTIVES = {"ukraine": "Ukrainian", "russia": "Russian"}
JUDGEMENT_LABEL = {
    "offset": "Offset",
    "matched": "Matched",
    "shortfall": "Shortfall",
    "indeterminate": "Indeterminate",
    "uncontested": "Uncontested",
}
DETERMINATION_LABEL = {
    "certified": "CERTIFIED",
    "not_certified": "NOT CERTIFIED",
    "indeterminate": "INDETERMINATE",
}
LAW_TEXT = {
    "square": "square law (aimed fire)",
    "linear": "linear law (area fire)",
    "power": "power law (between aimed and area fire)",
    "iamd": "air campaign (leakage through the air-defence layers)",
}
FACTOR_TEXT = {
    "numbers": "Numbers",
    "sustainment": "Ammunition supply",
    "equipment": "Equipment quality",
    "training": "Training",
    "technology": "Technology (enablers)",
    "interaction": "Mix of forces (interaction)",
}
BLOC_LABEL = {"us": "United States", "europe": "Europe", "other": "Other partners"}
ENGINE_SOURCE = "Source: qdb assessment of the data listed in annex C (method in annex A)."


# --------------------------------------------------------------------------- names


def side_label(slug: str) -> str:
    """Display name of a side slug.

    Examples
    --------
    >>> side_label("russia"), side_label("north_korea")
    ('Russia', 'North Korea')
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


def short_title(title: str) -> str:
    """The threat half of a contest title, without parentheses (for charts and tables).

    Examples
    --------
    >>> short_title("Russian ballistic missiles (Iskander-M, KN-23) vs Ukrainian BMD")
    'Russian ballistic missiles'
    """
    head = title.split(" vs ")[0]
    head = re.sub(r"\s*\([^)]*\)", "", head).strip()
    return head[:1].upper() + head[1:] if head else title


def _humanise(ident: str) -> str:
    """``drone_night`` -> ``Drone night`` (a last resort where the data give no name)."""
    text = ident.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


class _Names:
    """Human names of classes and systems, read from the data."""

    def __init__(self, m: Matchup) -> None:
        self.m = m

    def cls(self, cid: str) -> str:
        k = self.m.catalog.classes.get(cid)
        return k.name if k is not None and k.name else _humanise(cid)

    def cls_short(self, cid: str) -> str:
        """The class name without its examples in parentheses or after a dash."""
        name = re.sub(r"\s*\([^)]*\)", "", self.cls(cid))
        return name.split(" — ")[0].strip() or self.cls(cid)

    def cls_text(self, cid: str, plural: bool = False) -> str:
        """The short class name for running text (lower case unless it starts with an acronym)."""
        name = self.cls_short(cid)
        if len(name) > 1 and name[1].islower():
            name = name[0].lower() + name[1:]
        if plural and not name.endswith("s"):
            name += "s"
        return name

    def system(self, sid: str) -> str:
        for inv in (self.m.blue, self.m.red):
            s = inv.system(sid)
            if s is not None:
                return s.name
        return _humanise(sid)

    def cls_of(self, sid: str) -> str | None:
        for inv in (self.m.blue, self.m.red):
            s = inv.system(sid)
            if s is not None:
                return s.class_
        return None


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> _join(["a", "b", "c"])
    'a, b and c'
    """
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _bal(b: float | None, th: Mapping[str, float]) -> str:
    """A balance that never contradicts its verdict (more digits near a threshold)."""
    from qdb.explain import fmt_balance

    if b is None:
        return DASH
    return fmt_balance(b, dict(th))


# --------------------------------------------------------------------------- blocks


class _Doc:
    """Numbered sections, tables and figures (document order)."""

    def __init__(self) -> None:
        self.sections: list[dict[str, Any]] = []
        self.tables = 0
        self.figures = 0
        self.charts: list[dict[str, Any]] = []

    def section(self, sid: str, title: str, *, annex: bool = False) -> list[dict[str, Any]]:
        n = sum(1 for s in self.sections if s["annex"] == annex)
        number = chr(ord("A") + n) if annex else str(n + 1)
        blocks: list[dict[str, Any]] = []
        self.sections.append(
            {"id": sid, "number": number, "title": title, "annex": annex, "blocks": blocks}
        )
        return blocks

    def table(
        self,
        caption: str,
        header: list[str],
        rows: list[list[str]],
        *,
        widths: list[float],
        align: str,
        source: str = ENGINE_SOURCE,
        note: str = "",
    ) -> dict[str, Any]:
        self.tables += 1
        return {
            "kind": "table",
            "label": f"Table {self.tables}",
            "caption": caption,
            "header": header,
            "rows": rows,
            "widths": widths,
            "align": ["right" if a == "r" else "left" for a in align],
            "source": source,
            "note": note,
        }

    def figure(
        self, key: str, spec: dict[str, Any], caption: str, alt: str, source: str = ENGINE_SOURCE
    ) -> dict[str, Any]:
        self.figures += 1
        self.charts.append({"key": key, **spec})
        return {
            "kind": "figure",
            "label": f"Figure {self.figures}",
            "key": key,
            "caption": caption,
            "alt": alt,
            "source": source,
        }


def _p(text: str, lead: str = "") -> dict[str, Any]:
    return {"kind": "para", "text": text, "lead": lead}


def _h(text: str) -> dict[str, Any]:
    return {"kind": "heading", "text": text}


def _ul(items: Iterable[str | tuple[str, str]]) -> dict[str, Any]:
    out = []
    for it in items:
        lead, text = it if isinstance(it, tuple) else ("", it)
        out.append({"lead": lead, "text": text})
    return {"kind": "list", "items": out}


def _callout(title: str, text: str, tone: str = "info") -> dict[str, Any]:
    return {"kind": "callout", "title": title, "text": text, "tone": tone}


# --------------------------------------------------------------------------- contests


def _judgement_phrase(c: ContestResult) -> str:
    """``Shortfall; holding is unlikely (probability 18%)`` style words."""
    j = c.judgement or c.verdict
    if c.p_holds is None:
        return f"{JUDGEMENT_LABEL[j]} (point estimate; no uncertainty run)"
    if j == "uncontested":
        return "Uncontested"
    return (
        f"{JUDGEMENT_LABEL[j]}; that it holds is {likelihood(c.p_holds)} "
        f"(probability {fmt_prob(c.p_holds)})"
    )


def _range_text(c: ContestResult, th: Mapping[str, float]) -> str:
    u = c.uncertainty or {}
    if u.get("balance_p05") is None:
        return DASH
    return f"{_bal(u['balance_p05'], th)}–{_bal(u['balance_p95'], th)}"


def _required_leakage(c: ContestResult, th: Mapping[str, float]) -> float | None:
    if c.acceptable_leakage is None:
        return None
    return float(c.acceptable_leakage ** th["matched"])


def _closing_need(c: ContestResult, th: Mapping[str, float], red_adj: str) -> str | None:
    """What would bring a shortfall to matched, in words and units (None when it holds)."""
    if c.verdict != "shortfall" or c.balance is None:
        return None
    if c.law == "iamd":
        need = _required_leakage(c, th)
        return (
            f"cut leakage from {fmt_pct(c.leakage)} to at most {fmt_pct(need)}: more interceptor "
            "rounds (production and deliveries), more fire units on the raid routes, or better "
            "kill probability per shot in the layers that engage these threats"
        )
    if c.balance <= 0 or not c.exponent:
        return "field any counter to this threat at all"
    need_q = th["matched"] / c.balance
    k = need_q ** (1.0 / c.exponent)
    return (
        f"about {fmt_sig(k, 3)} times today's counter-force at today's quality, or a quality "
        f"edge {fmt_sig(need_q, 3)} times today's at today's numbers, or a {red_adj} force "
        f"{fmt_pct(1 - 1 / k)} smaller"
    )


def _factor_rows(c: ContestResult, blue: str, red: str) -> list[list[str]]:
    rows = []
    assert c.factors is not None
    for k, label in FACTOR_TEXT.items():
        v = c.factors.get(k, 0.0)
        if k == "sustainment" and abs(v) < 1e-12:
            continue
        mult = math.exp(v)
        favours = blue if v > 1e-9 else red if v < -1e-9 else "Neither"
        rows.append([label, f"{fmt_sig(mult, 3)}×", favours])
    rows.append(
        ["Balance (product of the above)", _bal(c.balance, {"matched": 0.9, "offset": 1.1}), ""]
    )
    return rows


def _campaign_rows(
    a: Assessment, c: ContestResult, names: _Names, threats: set[str]
) -> list[list[str]]:
    rows = []
    for s in a.campaign:
        k = sum(v for t, v in s.kills_by_class if t in threats)
        if k <= 0:
            continue
        rows.append(
            (
                -k,
                s.system,
                [
                    names.system(s.system),
                    names.cls_short(s.class_),
                    fmt_num(round(k)),
                    fmt_num(round(s.fired)),
                    "not within the campaign"
                    if s.exhausted_day is None
                    else f"day {s.exhausted_day}",
                ],
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows[:8]]


def _contest_threats(m: Matchup, cid: str) -> list[str]:
    con = next((x for x in m.catalog.contests if x.id == cid), None)
    if con is None:
        return []
    return list(con.threats) or list(con.threat)


def _finding(
    doc: _Doc,
    a: Assessment,
    c: ContestResult,
    m: Matchup,
    names: _Names,
    th: Mapping[str, float],
    conf: dict[str, str],
) -> list[dict[str, Any]]:
    blue, red = side_label(a.blue), side_label(a.red)
    red_adj = side_adjective(a.red)
    blocks: list[dict[str, Any]] = [_h(c.title)]
    j = c.judgement or c.verdict
    tone = {"indeterminate": "warning", "shortfall": "shortfall"}.get(j, "holds")
    rng = _range_text(c, th)
    if c.p_holds is None:
        head = f"Point estimate only (no uncertainty run). Point balance {_bal(c.balance, th)}"
    else:
        head = (
            f"That this contest holds is {likelihood(c.p_holds)} (probability "
            f"{fmt_prob(c.p_holds)}). Point balance {_bal(c.balance, th)}"
        )
    u = c.uncertainty or {}
    if rng != DASH:
        head += (
            f"; 90% of draws between {_bal(u['balance_p05'], th)} and {_bal(u['balance_p95'], th)}"
        )
    head += f"; matched needs {_bal(th['matched'], th)}."
    blocks.append(_callout(JUDGEMENT_LABEL[c.judgement or c.verdict], head, tone))
    if c.law == "iamd":
        threats = set(_contest_threats(m, c.id))
        tnames = _join([names.cls_text(t, plural=True) for t in sorted(threats)])
        blocks.append(
            _p(
                f"Over the {a.campaign_days}-day air campaign, {red} launches "
                f"{fmt_num(round(c.red_units))} {tnames} in its recorded raid pattern; "
                f"{fmt_pct(c.leakage)} get through {blue}'s air-defence layers (acceptable: "
                f"{fmt_pct(c.acceptable_leakage)}; the worst single raid lets "
                f"{fmt_pct(c.worst_raid_leakage)} through). The same interceptor magazines serve "
                "every air-defence contest, so rounds fired at one threat are not available for another."
            )
        )
        rows = _campaign_rows(a, c, names, threats)
        if rows:
            blocks.append(
                doc.table(
                    f"{short_title(c.title)}: {blue}'s interceptor systems by kills over the campaign",
                    ["System", "Class", "Kills", "Rounds fired (all threats)", "Magazine empty"],
                    rows,
                    widths=[2.2, 2.4, 0.8, 1.2, 1.4],
                    align="llrrl",
                )
            )
        else:
            blocks.append(_p(f"No {blue} system engages these threats: everything launched leaks."))
    elif c.factors is not None and c.balance is not None and c.balance > 0:
        assert c.numbers_ratio is not None
        who = (
            f"{red} holds a {fmt_ratio(c.numbers_ratio)} advantage"
            if c.numbers_ratio >= 1
            else f"{blue} holds a {fmt_ratio(1 / c.numbers_ratio)} advantage"
        )
        blocks.append(
            _p(
                f"{who} in weighted units "
                f"({fmt_num(round(c.red_units))} against {fmt_num(round(c.blue_units))}). Under the "
                f"{LAW_TEXT[c.law]} with exponent {fmt_sig(c.exponent, 3)}, offsetting it needs a "
                f"quality edge of {fmt_sig(c.required_quality_ratio, 3)}×; {blue} holds "
                f"{fmt_sig(c.quality_ratio, 3)}×."
            )
        )
        key = f"factors_{c.id}"
        spec = {
            "kind": "factors",
            "items": [
                {"label": FACTOR_TEXT[k], "mult": math.exp(c.factors.get(k, 0.0))}
                for k in FACTOR_TEXT
                if not (k == "sustainment" and abs(c.factors.get(k, 0.0)) < 1e-12)
            ],
            "balance": c.balance,
            "balance_text": _bal(c.balance, th),
            "holds": c.holds,
            "matched": th["matched"],
        }
        blocks.append(
            doc.figure(
                key,
                spec,
                f"{short_title(c.title)}: what moves the balance. Each bar multiplies the "
                f"balance; numbers pull it down, {blue}'s quality terms push it up; the last "
                f"bar is the balance of {_bal(c.balance, th)}.",
                f"Factor chart for {c.title}",
            )
        )
    elif c.balance == 0:
        blocks.append(_p(f"{blue} fields nothing that counters this threat."))
    need = _closing_need(c, th, red_adj)
    if need:
        blocks.append(_p(f"To reach matched: {need}.", lead="What would close it."))
    spof = [cs for cs in (a.critical_systems or ()) if c.id in cs.flips]
    if spof:
        blocks.append(
            _p(
                "Losing any one of these would change this contest's judgement: "
                + _join([cs.name for cs in spof])
                + ".",
                lead="Single points of failure.",
            )
        )
    if conf.get(c.id):
        blocks.append(_p(conf[c.id], lead="How far the model can be trusted here."))
    return blocks


# --------------------------------------------------------------------------- threat picture


def _threat_section(doc: _Doc, a: Assessment, m: Matchup, names: _Names) -> list[dict[str, Any]]:
    red = side_label(a.red)
    blocks: list[dict[str, Any]] = []
    raids = list(m.red.raids)
    if not raids:
        blocks.append(_p(f"The {red} snapshot records no raids: no air campaign is modelled."))
        return blocks
    classes: list[str] = []
    for r in raids:
        for sid in r.size:
            cid = names.cls_of(sid) or sid
            if cid not in classes:
                classes.append(cid)
    rows = []
    for r in raids:
        sizes: dict[str, float] = {}
        for sid, est in r.size.items():
            cid = names.cls_of(sid) or sid
            sizes[cid] = sizes.get(cid, 0.0) + est.value
        what = "; ".join(
            f"{fmt_num(round(v))} {names.cls_text(k, plural=round(v) != 1)}"
            for k, v in sizes.items()
        )
        rows.append(
            [
                _humanise(r.id),
                "every night" if r.every_days == 1 else f"every {r.every_days} days",
                what,
            ]
        )
    blocks.append(
        _p(
            f"{red}'s air attacks are modelled as the raids it recorded in the window before the "
            "snapshot: each raid type recurs at its interval, and a raid launches what the stocks "
            "allow. The rates below are launches in real units, never weighted figures."
        )
    )
    blocks.append(
        doc.table(
            f"{red}'s raid pattern: typical raid size by threat class",
            ["Raid type", "Recurs", "Typical size (central estimate)"],
            rows,
            widths=[1.6, 1.3, 4.5],
            align="lll",
            source="Source: the red snapshot's raids, calibrated from the Ukrainian Air Force's "
            "published attack records.",
        )
    )
    launched: dict[str, float] = {}
    leaked: dict[str, float] = {}
    for rec in a.raids:
        for sid, v in rec.launched:
            cid = names.cls_of(sid) or sid
            launched[cid] = launched.get(cid, 0.0) + v
        for sid, v in rec.leaked:
            cid = names.cls_of(sid) or sid
            leaked[cid] = leaked.get(cid, 0.0) + v
    days = max(1, a.campaign_days)
    rows2 = []
    for cid in classes:
        lau = launched.get(cid, 0.0)
        if lau <= 0:
            continue
        lea = leaked.get(cid, 0.0)
        rows2.append(
            [
                names.cls_short(cid),
                fmt_num(round(lau)),
                fmt_sig(lau / days, 3),
                fmt_num(round(lea)),
                fmt_pct(lea / lau),
            ]
        )
    if rows2:
        blocks.append(
            doc.table(
                f"Launches and leakers over the {days}-day campaign (central estimates)",
                ["Threat class", "Launched", "Launched a day (average)", "Leaked", "Leakage"],
                rows2,
                widths=[2.6, 1.1, 1.5, 1.0, 1.0],
                align="lrrrr",
            )
        )
    return blocks


# --------------------------------------------------------------------------- confidence (back-tests)


def _confidence_notes(
    a: Assessment,
    th: Mapping[str, float],
    bt_raids: Mapping[str, Any] | None,
    bt_losses: Mapping[str, Any] | None,
    m: Matchup,
    names: _Names,
) -> tuple[dict[str, str], list[list[str]]]:
    """Per contest: what the back-tests say about trusting its verdict; and the table rows."""
    from qdb.verdicts import verdict

    notes: dict[str, str] = {}
    rows: list[list[str]] = []
    losses = {
        str(r.get("contest")): r
        for r in ((bt_losses or {}).get("contests") or [])
        if isinstance(r, Mapping)
    }
    for c in a.contests:
        if c.verdict == "uncontested" or c.balance is None:
            continue
        text = ""
        effect = ""
        if c.law == "iamd" and c.leakage is not None and c.acceptable_leakage:
            parts, effects = [], []
            for key, label in (
                ("calibration", "the calibration window"),
                ("earlier", "an earlier window"),
            ):
                bt = (bt_raids or {}).get(key) if bt_raids else None
                bc = bt.get("by_class", {}) if isinstance(bt, Mapping) else {}
                ts = [t for t in _contest_threats(m, c.id) if t in bc]
                if not ts:
                    continue
                sc = bc[ts[0]]
                rep = sc.get("net_leakage", sc.get("reported_leakage"))
                pred = sc.get("predicted_leakage")
                if rep is None or not pred:
                    continue
                adj = min(1.0, max(1e-6, c.leakage * rep / pred))
                b_adj = math.log(adj) / math.log(c.acceptable_leakage)
                v_adj = verdict(b_adj, th["matched"], th["offset"])
                effects.append(v_adj == c.verdict)
                parts.append(
                    f"on {label} the model predicted {fmt_pct(pred)} leakage of "
                    f"{names.cls_text(ts[0], plural=True)} against {fmt_pct(rep)} reported (net of "
                    f"weapons lost in flight); corrected by that ratio the balance would be "
                    f"{_bal(b_adj, th)} ({v_adj})"
                )
                rows.append(
                    [
                        short_title(c.title),
                        f"Raids, {label.replace('the ', '').replace('an ', '')}",
                        f"{fmt_pct(pred)} predicted, {fmt_pct(rep)} reported",
                        "verdict stands" if effects[-1] else "verdict would change",
                    ]
                )
            if parts:
                text = (
                    _join(parts)[0].upper()
                    + _join(parts)[1:]
                    + ". "
                    + (
                        "The verdict stands under each correction."
                        if all(effects)
                        else "A correction would change the verdict: treat it with caution."
                    )
                )
        elif c.id in losses:
            r = losses[c.id]
            bfl = r.get("balance_from_losses")
            if isinstance(bfl, int | float):
                v_adj = verdict(float(bfl), th["matched"], th["offset"])
                same = v_adj == c.verdict
                text = (
                    f"Observed equipment losses (Oryx) imply a balance of {_bal(float(bfl), th)} "
                    f"({v_adj}) against the model's {_bal(c.balance, th)}: "
                    + (
                        "the outcome record agrees with the verdict."
                        if same
                        else "the outcome record disagrees with the verdict; treat it with caution."
                    )
                )
                effect = "agrees" if same else "disagrees"
                rows.append(
                    [
                        short_title(c.title),
                        "Equipment losses",
                        f"balance {_bal(float(bfl), th)} from losses, {_bal(c.balance, th)} modelled",
                        effect,
                    ]
                )
        if not text:
            text = (
                "No back-test covers this contest: its verdict rests on the judgement-based "
                "coefficients in annex A and the ranges behind its probability."
            )
            rows.append([short_title(c.title), "None", DASH, "judgement only"])
        notes[c.id] = text
    return notes, rows


def _prediction_annex(
    doc: _Doc,
    bt_raids: Mapping[str, Any] | None,
    bt_losses: Mapping[str, Any] | None,
    conf_rows: list[list[str]],
    names: _Names,
    blue: str,
    red: str,
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        _p(
            "A model that is to inform a certification must show how well it reproduces what "
            "happened. Two records are available: the Ukrainian Air Force's reports of each night's "
            "launches and interceptions (for the air campaign), and Oryx's visually confirmed "
            "equipment losses (for the land contests). 'Destroyed' in the air-attack records is the "
            "defender's own claim; Oryx undercounts both sides' losses."
        )
    ]
    windows = [
        (
            "calibration",
            "the calibration window (the nights before the snapshot, on "
            "which interceptor coverage and kill probability were tuned: in-sample)",
        ),
        (
            "earlier",
            "an earlier window not used for tuning (out of sample; the snapshot's "
            "holdings are later than the raids)",
        ),
    ]
    any_raids = False
    for key, label in windows:
        bt = (bt_raids or {}).get(key) if bt_raids else None
        if not isinstance(bt, Mapping) or not bt.get("by_class"):
            continue
        any_raids = True
        w = bt.get("window", {})
        rows = []
        chart_rows = []
        for cls, s in bt["by_class"].items():
            rows.append(
                [
                    names.cls_short(cls),
                    fmt_num(s.get("raids")),
                    fmt_num(round(float(s.get("launched") or 0))),
                    fmt_pct(s.get("reported_leakage")),
                    fmt_pct(s.get("net_leakage")),
                    fmt_pct(s.get("predicted_leakage")),
                    fmt_pct(s.get("mean_abs_error")),
                ]
            )
            chart_rows.append(
                {
                    "label": names.cls_short(cls),
                    "reported": s.get("reported_leakage"),
                    "net": s.get("net_leakage"),
                    "predicted": s.get("predicted_leakage"),
                }
            )
        period = ""
        if w.get("from") and w.get("to_exclusive"):
            period = (
                f" from {fmt_date_long(dt.date.fromisoformat(w['from']))} to "
                f"{fmt_date_long(dt.date.fromisoformat(w['to_exclusive']) - dt.timedelta(days=1))}"
            )
        blocks.append(_h(f"Air raids: {label.split(' (')[0]}"))
        blocks.append(
            _p(
                f"Each recorded night{period} is replayed through the air campaign: "
                f"{label.split(' (', 1)[1].rstrip(')')}."
            )
        )
        blocks.append(
            doc.table(
                f"Raid back-test on {label.split(' (')[0]}: leakage predicted against reported, by threat class",
                [
                    "Threat class",
                    "Raids",
                    "Launched",
                    "Reported leakage",
                    "Net of lost in flight",
                    "Predicted",
                    "Mean error per raid",
                ],
                rows,
                widths=[2.2, 0.7, 0.9, 1.0, 1.0, 0.9, 1.0],
                align="lrrrrrr",
                source="Source: Ukrainian Air Force attack records (public data set), replayed through qdb's air campaign.",
                note="Reported leakage = 1 − destroyed ÷ launched (the defender's claim); net also counts "
                "weapons lost in flight (jamming, decoys falling short) as stopped. The mean error is "
                "over single raids, in percentage points of leakage.",
            )
        )
        if key == "calibration" and chart_rows:
            blocks.append(
                doc.figure(
                    "backtest",
                    {"kind": "dumbbell", "rows": chart_rows},
                    "Predicted against reported leakage per threat class on the calibration window: "
                    "the closer the marks, the better the campaign reproduces the record.",
                    "Back-test chart of predicted and reported leakage",
                    source="Source: Ukrainian Air Force attack records; qdb air campaign.",
                )
            )
    if not any_raids:
        blocks.append(
            _p(
                "The raid back-test was not run for this report (no air-attack record was "
                "supplied); the air-defence verdicts rest on the calibrated coefficients alone."
            )
        )
    rows_l = []
    for r in (bt_losses or {}).get("contests", []) or []:
        if not isinstance(r, Mapping):
            continue
        rows_l.append(
            [
                short_title(str(r.get("title") or r.get("contest"))),
                fmt_sig(r.get("implied_ler"), 3),
                fmt_sig(r.get("observed_ler"), 3),
                DASH
                if r.get("claims_ler_upper") is None
                else fmt_sig(r.get("claims_ler_upper"), 3),
                fmt_sig(r.get("balance"), 3),
                fmt_sig(r.get("balance_from_losses"), 3),
            ]
        )
    blocks.append(_h("Equipment losses: land contests"))
    if rows_l:
        blocks.append(
            _p(
                "For each land contest the law implies a loss-exchange ratio (Russian losses per "
                "Ukrainian loss); the ratio Oryx observed over the same period implies a balance "
                "of its own (observed ratio ÷ numerical advantage)."
            )
        )
        blocks.append(
            doc.table(
                "Loss back-test: implied against observed loss-exchange ratios",
                [
                    "Contest",
                    "Implied ratio",
                    "Observed (Oryx)",
                    "Claims, upper bound",
                    "Modelled balance",
                    "Balance from losses",
                ],
                rows_l,
                widths=[2.4, 0.9, 1.0, 1.0, 1.0, 1.0],
                align="lrrrrr",
                source="Source: Oryx visually confirmed losses (Scarnecchia compilation); General Staff "
                "claims as an upper bound only.",
            )
        )
    else:
        blocks.append(
            _p("The loss back-test was not run for this report (no Oryx loss tally was supplied).")
        )
    blocks.append(_h("What this means for confidence in each verdict"))
    blocks.append(
        doc.table(
            "Back-test evidence for each contested contest's verdict",
            ["Contest", "Back-test", "Evidence", "Effect on the verdict"],
            conf_rows,
            widths=[2.3, 1.4, 2.6, 1.3],
            align="llll",
        )
    )
    text = (
        "In-sample agreement shows only that the tuning worked; the error on data the model was "
        "not tuned on is the honest measure."
    )
    early = (bt_raids or {}).get("earlier") if bt_raids else None
    if isinstance(early, Mapping) and early.get("by_class"):
        errs = [
            float(v["mean_abs_error"])
            for v in early["by_class"].values()
            if isinstance(v, Mapping) and v.get("mean_abs_error") is not None
        ]
        gaps = [
            abs(float(v["predicted_leakage"]) - float(v["net_leakage"]))
            for v in early["by_class"].values()
            if isinstance(v, Mapping)
            and v.get("predicted_leakage") is not None
            and v.get("net_leakage") is not None
        ]
        if errs and gaps:
            text += (
                f" On the earlier window single raids miss their leakage by {100 * min(errs):.0f} "
                f"to {100 * max(errs):.0f} percentage points on average, and the window's total "
                f"leakage by {100 * min(gaps):.0f} to {100 * max(gaps):.0f} points: single nights "
                "vary far more than the campaign averages on which the verdicts rest."
            )
    text += (
        " Contests with no back-test rest on judgement, which their probabilities only partly "
        "capture."
    )
    blocks.append(_p(text))
    return blocks


# --------------------------------------------------------------------------- other sections


def _all_contests_table(doc: _Doc, a: Assessment, th: Mapping[str, float]) -> dict[str, Any]:
    rows = []
    for c in a.contests:
        if c.law == "iamd":
            adv = f"leakage {fmt_pct(c.leakage)}" if c.verdict != "uncontested" else DASH
        else:
            adv = fmt_ratio(c.numbers_ratio) if c.verdict != "uncontested" else DASH
        rows.append(
            [
                short_title(c.title) + (" (critical)" if c.critical else ""),
                adv,
                _bal(c.balance, th),
                _range_text(c, th),
                DASH if c.p_holds is None else fmt_prob(c.p_holds),
                JUDGEMENT_LABEL[c.judgement or c.verdict],
            ]
        )
    return doc.table(
        "Every contest: balance, its 90% range, probability of holding and judgement",
        ["Contest", "Numbers or leakage", "Balance", "90% range", "P(holds)", "Judgement"],
        rows,
        widths=[2.8, 1.2, 0.8, 1.2, 0.8, 1.1],
        align="lrrrrl",
        note="Numbers: the Russian advantage in weighted units (Lanchester contests). Air-defence "
        "contests have no meaningful numbers ratio; their leakage is shown instead.",
    )


def _recommendations(
    doc: _Doc,
    a: Assessment,
    opt: Mapping[str, Any] | None,
    th: Mapping[str, float],
    names: _Names,
    red_adj: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Section blocks and short highlight bullets."""
    blocks: list[dict[str, Any]] = []
    bullets: list[str] = []
    short = [c for c in a.contests if c.critical and not c.holds]
    if not short:
        blocks.append(
            _p(
                "Every critical contest holds at its point estimate: no package is needed "
                "to certify. Sustain deliveries so that the margins shown in section 2 hold."
            )
        )
        bullets.append("Sustain current deliveries; no critical contest needs a new package.")
        return blocks, bullets
    unreachable: set[str] = set()
    if isinstance(opt, Mapping) and "error" not in opt and isinstance(opt.get("package"), list):
        unreachable = {str(u) for u in opt.get("unreachable") or []}
        pkg = [p for p in opt["package"] if isinstance(p, Mapping)]
        if pkg:
            rows = []
            for p in pkg:
                what = (
                    names.system(str(p.get("system")))
                    if p.get("system")
                    else names.cls(str(p.get("class")))
                )
                if p.get("kind") == "rounds" or (
                    p.get("rounds_added") and p.get("kind") != "units"
                ):
                    what += " (interceptor or munition rounds)"
                if p.get("new_system"):
                    what += " (new to the inventory)"
                rows.append(
                    [
                        what,
                        names.cls(str(p.get("class"))),
                        fmt_num(p.get("quantity")),
                        fmt_money(p.get("cost_musd")),
                    ]
                )
            feasible = bool(opt.get("feasible"))
            blocks.append(
                _p(
                    (
                        "The cheapest package found that brings every critical contest to matched "
                        f"costs {fmt_money(opt.get('total_cost_musd'))}."
                    )
                    if feasible
                    else (
                        "No package closes every critical contest. The package below is the cheapest "
                        f"found that closes those that purchases can close ({fmt_money(opt.get('total_cost_musd'))})."
                    )
                )
            )
            blocks.append(
                doc.table(
                    "Recommended package: the cheapest deliveries found that close the gaps purchases can close",
                    ["What", "Class", "Quantity", "Cost"],
                    rows,
                    widths=[2.8, 2.6, 0.9, 1.0],
                    align="llrr",
                    source="Source: qdb optimiser (greedy search over the catalog's unit costs and supply limits).",
                )
            )
            if feasible:
                bullets.append(
                    f"Fund the package of section 4 ({fmt_money(opt.get('total_cost_musd'))}), the "
                    "cheapest found that brings every critical contest to matched."
                )
    elif isinstance(opt, Mapping) and "error" in opt:
        blocks.append(
            _p(
                f"The optimiser could not be run ({opt['error']}); what each gap needs is stated below instead."
            )
        )
    else:
        blocks.append(
            _p(
                "The optimiser was not available for this report; what each gap needs is stated below instead."
            )
        )
    items = []
    for c in short:
        need = _closing_need(c, th, red_adj) or "no shortfall at the point estimate"
        tag = " No purchase within today's supply limits closes it." if c.id in unreachable else ""
        items.append((short_title(c.title) + ".", f"To reach matched: {need}.{tag}"))
    blocks.append(_ul(items))
    air = [c for c in short if c.law == "iamd"]
    land = [c for c in short if c.law != "iamd"]
    if air:
        closable = not any(c.id in unreachable for c in air)
        bullets.append(
            "Air defence ("
            + _join([short_title(c.title) for c in air])
            + "): "
            + (
                "expand interceptor production and deliveries and field more fire units on the raid "
                "routes (section 4)."
                if closable
                else "buying more of today's systems cannot close the gap within supply limits; it needs more "
                "interceptor production or new intercept capability "
                "(section 4)."
            )
        )
    if land:
        bullets.append(
            "Forces facing "
            + _join([short_title(c.title) for c in land])
            + ": raise the counter-force or its quality as section 4 quantifies."
        )
    return blocks, bullets


def _obligations_section(
    doc: _Doc, ob: Mapping[str, Any] | None, report_date: dt.date, names: _Names
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if not isinstance(ob, Mapping) or not ob.get("partners"):
        blocks.append(
            _p("No partner commitments were loaded with the data: obligations are not assessed.")
        )
        return blocks
    year = ob.get("as_of_year", report_date.year)
    behind = list(ob.get("behind") or [])
    blocks.append(
        _p(
            f"Obligations are judged at the report date: a pledged delivery dated before {year} and "
            "not yet delivered counts as late. "
            + (
                f"{_plural(len(behind), 'partner')} {'is' if len(behind) == 1 else 'are'} behind: "
                f"{_join([str(b) for b in behind])}."
                if behind
                else "No partner is behind."
            )
        )
    )
    rows = []
    for p in ob["partners"]:
        pledged = float(p.get("pledged_value_musd") or 0.0)
        delivered = float(p.get("delivered_value_musd") or 0.0)
        slipped = p.get("slipped") or []
        late = sum(float(s.get("value_musd") or 0.0) for s in slipped if isinstance(s, Mapping))
        rows.append(
            [
                str(p.get("partner")),
                fmt_money(p.get("funding_total_musd")),
                fmt_money(pledged),
                fmt_money(delivered),
                fmt_pct(delivered / pledged) if pledged > 0 else DASH,
                f"behind ({fmt_money(late)} late)" if slipped else "on track",
            ]
        )
    blocks.append(
        doc.table(
            f"Partner obligations at the report date ({fmt_date_long(report_date)})",
            [
                "Partner",
                "Funding committed",
                "Equipment pledged",
                "Delivered",
                "Share delivered",
                "Status",
            ],
            rows,
            widths=[1.6, 1.1, 1.1, 1.0, 0.9, 1.6],
            align="lrrrrl",
            source="Source: partner commitment instruments in the data (annex C); equipment valued at catalog unit costs.",
        )
    )
    late_rows = []
    for s in ob.get("slipped") or []:
        if not isinstance(s, Mapping):
            continue
        late_rows.append(
            [
                str(s.get("partner")),
                f"{fmt_num(s.get('quantity'))} × {names.system(str(s.get('system')))}",
                str(s.get("year")),
                _plural(int(s.get("years_late") or 0), "year"),
                fmt_money(s.get("value_musd")),
            ]
        )
    if late_rows:
        blocks.append(
            doc.table(
                "Late deliveries at the report date",
                ["Partner", "Delivery", "Due", "Late by", "Value"],
                late_rows[:15],
                widths=[1.5, 3.0, 0.7, 0.9, 0.9],
                align="llrrr",
                source="Source: partner commitment instruments in the data (annex C).",
                note=""
                if len(late_rows) <= 15
                else f"{len(late_rows) - 15} further late deliveries not shown.",
            )
        )
    return blocks


def _projection_section(
    doc: _Doc, proj: Mapping[str, Any] | None, a: Assessment, th: Mapping[str, float], names: _Names
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if not isinstance(proj, Mapping) or not proj.get("years"):
        blocks.append(_p("The projection was not available for this report."))
        return blocks
    years = [y for y in proj["years"] if isinstance(y, Mapping)]
    crit = [c for c in a.contests if c.critical and c.verdict != "uncontested"]
    series = []
    rows = []
    for c in crit:
        vals: list[float | None] = []
        for y in years:
            row = next((r for r in y.get("contests", []) if r.get("id") == c.id), None)
            vals.append(None if row is None else row.get("balance"))
        series.append({"label": short_title(c.title), "values": vals})
        rows.append([short_title(c.title), *[_bal(v, th) for v in vals]])
    rows.append(
        ["Certified (point estimate)", *["yes" if y.get("certified") else "no" for y in years]]
    )
    ylabels = [str(y["year"]) for y in years]
    first = proj.get("first_certified")
    blocks.append(
        _p(
            "The balance is projected year by year as pledged deliveries arrive and both forces "
            "change at their recorded production and attrition rates (point estimates). "
            + (
                f"The balance is certified from {first} on."
                if isinstance(first, int)
                else f"No year through {ylabels[-1]} is certified under the commitments as they stand."
            )
        )
    )
    rec = proj.get("reconciliation")
    if isinstance(rec, Mapping):
        y0 = rec.get("year")
        if rec.get("equal"):
            text = f"The first projected year ({y0}) equals the balances of section 2 exactly."
        else:
            diffs = "; ".join(
                f"{short_title(_title(a, str(d.get('contest'))))} {_bal(d.get('assess'), th)} in section 2, "
                f"{_bal(d.get('projected'), th)} projected"
                for d in rec.get("differences", [])
            )
            causes = []
            for cz in rec.get("causes", []):
                if cz.get("kind") == "arrival":
                    causes.append(
                        f"{cz.get('partner')}: {fmt_num(cz.get('quantity'))} × "
                        f"{names.system(str(cz.get('system')))} "
                        + (
                            f"pledged for {cz.get('year')}, late, assumed to arrive in {y0}"
                            if int(cz.get("year") or 0) < int(y0 or 0)
                            else f"due in {y0}, after the snapshot"
                        )
                    )
                elif cz.get("kind") == "stepped":
                    causes.append(
                        f"{side_label(str(cz.get('side')))}'s snapshot is stepped forward to {y0}"
                    )
            text = (
                f"The first projected year ({y0}) differs from section 2 ({diffs}) because deliveries "
                f"due in {y0} but not in the snapshot are added: "
                + (_join(causes[:6]) + ("" if len(causes) <= 6 else f" and {len(causes) - 6} more"))
                + "."
            )
        blocks.append(_callout("Reconciliation with section 2", text, "info"))
    blocks.append(
        doc.figure(
            "projection",
            {
                "kind": "lines",
                "years": ylabels,
                "series": series,
                "matched": th["matched"],
                "offset": th["offset"],
            },
            "Projected balance of each contested critical contest under the commitments, "
            f"{ylabels[0]} to {ylabels[-1]}; the dashed line is matched.",
            "Projection chart",
        )
    )
    blocks.append(
        doc.table(
            "Projected balance of the critical contests by year (point estimates)",
            ["Contest", *ylabels],
            rows,
            widths=[2.4, *([0.55] * len(ylabels))],
            align="l" + "r" * len(ylabels),
            source="Source: qdb projection over the partner commitments in the data.",
        )
    )
    return blocks


def _title(a: Assessment, cid: str) -> str:
    c = a.contest(cid)
    return c.title if c is not None else _humanise(cid)


def _changes_section(
    doc: _Doc, a: Assessment, prev: Mapping[str, Any] | None, th: Mapping[str, float]
) -> list[dict[str, Any]]:
    if not isinstance(prev, Mapping):
        return [_p("No previous assessment was supplied with this report: changes are not shown.")]
    blocks: list[dict[str, Any]] = []
    pdet = str(
        prev.get("determination") or ("certified" if prev.get("certified") else "not_certified")
    )
    p_as = prev.get("as_of") or {}
    when = (
        ", ".join(f"{side_label(str(k))} {v}" for k, v in p_as.items())
        if isinstance(p_as, Mapping)
        else ""
    )
    blocks.append(
        _p(
            f"The previous assessment (data as of {when or 'unknown'}) was "
            f"{DETERMINATION_LABEL.get(pdet, pdet)}"
            + (
                f" with P(all critical contests hold) {fmt_prob(prev.get('p_certified'))}"
                if isinstance(prev.get("p_certified"), int | float)
                else ""
            )
            + f"; it is now {DETERMINATION_LABEL.get(a.determination, a.determination)}"
            + (f" with {fmt_prob(a.p_certified)}" if a.p_certified is not None else "")
            + "."
        )
    )
    old = {str(c.get("id")): c for c in prev.get("contests", []) if isinstance(c, Mapping)}
    rows = []
    for c in a.contests:
        o = old.get(c.id)
        if o is None:
            rows.append(
                [
                    short_title(c.title),
                    "new contest",
                    DASH,
                    _bal(c.balance, th),
                    DASH,
                    JUDGEMENT_LABEL[c.judgement or c.verdict],
                ]
            )
            continue
        oj = str(o.get("judgement") or o.get("verdict") or "")
        rows.append(
            [
                short_title(c.title),
                JUDGEMENT_LABEL.get(oj, oj),
                _bal(o.get("balance"), th),
                _bal(c.balance, th),
                (DASH if o.get("p_holds") is None else fmt_prob(o.get("p_holds")))
                + " → "
                + (DASH if c.p_holds is None else fmt_prob(c.p_holds)),
                JUDGEMENT_LABEL[c.judgement or c.verdict],
            ]
        )
    gone = [k for k in old if a.contest(k) is None]
    blocks.append(
        doc.table(
            "Changes since the previous report, by contest",
            ["Contest", "Was", "Balance then", "Balance now", "P(holds) then → now", "Now"],
            rows,
            widths=[2.4, 1.0, 0.9, 0.9, 1.3, 1.0],
            align="llrrrl",
            source="Source: the previous qdb assessment (JSON) and this one.",
            note=""
            if not gone
            else "Contests no longer assessed: " + ", ".join(_humanise(g) for g in gone) + ".",
        )
    )
    if prev.get("inputs_sha256") == a.inputs_sha256:
        blocks.append(_p("The inputs are identical: differences, if any, come from the engine."))
    return blocks


LIMITATIONS = [
    (
        "Terrain, weather and posture.",
        "The laws compare forces in the aggregate; they do not model "
        "terrain, fortifications, the defender's advantage or where forces are concentrated.",
    ),
    (
        "Averages, not battles.",
        "Each contest is one number for a whole front or campaign. Local "
        "breakthroughs, surprise and operational art are outside the model.",
    ),
    (
        "Shared stocks.",
        "Interceptor magazines are shared across the air-defence contests and artillery "
        "ammunition across guns; other stocks (spare parts, crews, fuel) are not modelled.",
    ),
    (
        "Claims data.",
        "Air-attack 'destroyed' counts are the defender's claims and General Staff loss "
        "figures are one belligerent's statements; neither is used as fact for the other side.",
    ),
    (
        "Judgement coefficients.",
        "Offset coefficients, quality multipliers and training and enabler "
        "multipliers rest largely on analysts' judgement; their ranges enter the probabilities, but a "
        "range can itself be wrong.",
    ),
    (
        "Independence of ranges.",
        "Inputs are drawn independently unless a correlation is declared; "
        "common causes (for example one sanctions regime slowing all Russian production) would widen "
        "the real uncertainty.",
    ),
    (
        "Time.",
        "The snapshot is a single date; the projection uses constant production and attrition "
        "rates and assumes pledges arrive in the year stated.",
    ),
    (
        "Adaptation.",
        "Neither side's tactics adapt within the campaign: new drone tactics, electronic "
        "warfare and countermeasures change kill probabilities faster than the data record them.",
    ),
]

GLOSSARY = [
    (
        "Balance (β)",
        "The quality edge held divided by the edge needed to offset the numbers; for "
        "air defence, ln(leakage) ÷ ln(acceptable leakage). 1.0 is parity; matched from 0.90, offset "
        "from 1.10.",
    ),
    ("Contest", "One Russian advantage paired with the Ukrainian capabilities that counter it."),
    ("Critical contest", "A contest that certification requires to hold."),
    (
        "Determination",
        "Certified when the probability that every critical contest holds is at least "
        "the confidence level; not certified when it is at most one minus it; otherwise indeterminate.",
    ),
    (
        "Judgement",
        "A contest's verdict under uncertainty: offset, matched or shortfall when the "
        "probability of that outcome reaches the confidence level, else indeterminate.",
    ),
    (
        "Law",
        "How numbers and quality combine: square (aimed fire, numbers count twice), linear "
        "(area fire), power (an exponent between) or the air campaign.",
    ),
    (
        "Leakage",
        "The share of launched missiles or drones that get through every air-defence layer.",
    ),
    ("Kill probability (Pk)", "The chance that one interceptor round destroys its target."),
    ("Layer", "One class of air defence in the order it engages along a threat's path."),
    (
        "Enablers",
        "Multipliers for intelligence, surveillance and reconnaissance, electronic warfare, "
        "command and control and precision that raise the quality of a domain's systems.",
    ),
    (
        "Interaction",
        "The part of the balance that comes from the mix of forces rather than from any "
        "single factor (the remainder of the decomposition).",
    ),
    (
        "Ammunition supply",
        "How much of a side's artillery can fire at its full rate given its "
        "shell stocks and supply.",
    ),
    (
        "Single point of failure",
        "A system whose loss alone would change a critical contest's judgement.",
    ),
    ("Snapshot", "A side's inventory on one date (data as of)."),
    ("90% range", "The balance between the 5th and 95th percentile of the Monte Carlo draws."),
]


# --------------------------------------------------------------------------- build


def _sources(m: Matchup) -> tuple[list[list[str]], dt.date | None]:
    rows: dict[tuple[str, str], list[str]] = {}
    latest: dt.date | None = None
    entries: list[tuple[Any, str]] = []
    entries += [(s, "catalog") for s in m.catalog.sources.values()]
    for inv in (m.blue, m.red):
        entries += [(s, side_label(inv.side)) for s in inv.sources.values()]
    entries += [(c.source, "commitments") for c in m.commitments]
    used: dict[tuple[str, str], set[str]] = {}
    for src, scope in entries:
        key = (" ".join(src.title.split()).casefold(), "")
        used.setdefault(key, set()).add(scope)
        if key not in rows:
            rows[key] = [src.title, src.publisher, src.date.isoformat(), src.kind or "unstated", ""]
        latest = src.date if latest is None or src.date > latest else latest
    for key, row in rows.items():
        row[4] = ", ".join(sorted(used[key]))
    ordered = sorted(rows.values(), key=lambda r: (r[0].lower(), r[2]))
    return ordered, latest


def _judgement_rows(m: Matchup, a: Assessment) -> list[list[str]]:
    """Figures in critical contests that rest on judgement (with their share of the side's strength)."""
    try:
        from qdb.provenance import contest_figures
    except ImportError:  # pragma: no cover - provenance ships with qdb
        return []
    rows = []
    for f in contest_figures(m.catalog, m.blue, m.red):
        if f.critical and (f.basis in (None, "judgement")) and f.share >= 0.05:
            rows.append(
                [
                    short_title(_title(a, f.contest)),
                    side_label(m.blue.side if f.role == "counter" else m.red.side),
                    f.name,
                    "judgement" if f.basis == "judgement" else "no basis stated",
                    fmt_pct(f.share),
                ]
            )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def _reliability(m: Matchup) -> list[str]:
    counts = {"quoted": 0, "derived": 0, "judgement": 0, "none": 0}
    for inv in (m.blue, m.red):
        for s in inv.systems:
            counts[s.basis or "none"] += 1
    kinds: dict[str, int] = {}
    for inv in (m.blue, m.red):
        for src in inv.sources.values():
            kinds[src.kind or "unstated"] = kinds.get(src.kind or "unstated", 0) + 1
    total = sum(counts.values())
    return [
        f"Of {_plural(total, 'system figure')} in the two snapshots, {counts['quoted']:,} are quoted "
        f"from a source, {counts['derived']:,} derived from sourced figures, {counts['judgement']:,} "
        f"rest on judgement and {counts['none']:,} state no basis.",
        "Sources by kind: "
        + ", ".join(f"{v:,} {k}" for k, v in sorted(kinds.items()))
        + ". A claim "
        "(a belligerent's own statement) is never used as fact about the other side.",
        "Both sides' holdings of a class are built the same way (pre-war holdings plus deliveries or "
        "production minus losses with an undercount factor), or the difference is carried as a range.",
    ]


def build_context(
    assessment: Assessment,
    matchup: Matchup,
    *,
    report_date: dt.date,
    extras: Mapping[str, Any] | None = None,
    notes: Iterable[str] = (),
) -> dict[str, Any]:
    """Turn an assessment into the report context (a plain, JSON-serialisable dict).

    Parameters
    ----------
    assessment : Assessment
        :func:`qdb.assess.assess` on ``matchup`` (with samples for probabilities).
    matchup : Matchup
        The catalog, snapshots and commitments assessed.
    report_date : datetime.date
        The date printed on the report (fixed for byte-identical output).
    extras : mapping, optional
        Optional analyses keyed by :data:`EXTRA_SECTIONS` (module docstring).
    notes : iterable of str
        Disclosures printed on the cover (e.g. what-if edits applied).

    Returns
    -------
    dict
        ``meta``, ``highlights``, ``sections`` (body then annexes: each
        ``{id, number, title, annex, blocks}``), ``charts`` (chart specs) and
        ``language`` (the graded probability words).

    Examples
    --------
    >>> # ctx = build_context(assess(m, samples=2000), m, report_date=dt.date(2025, 3, 1))
    >>> # ctx["highlights"]["determination"] -> 'NOT CERTIFIED'
    """
    a, m = assessment, matchup
    ex = dict(extras or {})
    names = _Names(m)
    blue, red = side_label(a.blue), side_label(a.red)
    red_adj = side_adjective(a.red)
    th = {"matched": a.thresholds.get("matched", 0.9), "offset": a.thresholds.get("offset", 1.1)}
    doc = _Doc()

    # ---- dates
    as_of_dates = sorted({dt.date.fromisoformat(d) for d in a.as_of.values()})
    data_as_of = as_of_dates[0]
    source_rows, latest_source = _sources(m)
    age_days = (report_date - data_as_of).days
    age_warning = ""
    if age_days > AGE_WARNING_DAYS:
        age_warning = (
            f"The data are {age_days:,} days older than this report (as of "
            f"{fmt_date_long(data_as_of)}): the balance may have moved since. Treat the findings as "
            "the position on that date."
        )
    sources_note = ""
    if latest_source is not None and latest_source > data_as_of:
        sources_note = (
            f"Some sources are dated after the snapshot (through {fmt_date_long(latest_source)}); "
            "they support figures as of the snapshot date or the calibration of the model."
        )

    # ---- back-tests and confidence notes
    bt_raids = ex.get("backtest_raids") if isinstance(ex.get("backtest_raids"), Mapping) else None
    bt_losses = (
        ex.get("backtest_losses") if isinstance(ex.get("backtest_losses"), Mapping) else None
    )
    conf, conf_rows = _confidence_notes(a, th, bt_raids, bt_losses, m, names)

    crit = [c for c in a.contests if c.critical]
    sampled = a.p_certified is not None

    # ---- section 1: findings per critical contest
    s1 = doc.section("findings", "Findings: the critical contests")
    s1.append(
        _p(
            f"Certification requires every critical contest to hold (matched or offset). Each "
            f"finding below gives the judgement with its probability, what decides the balance, "
            f"what would close a gap and how far the back-tests support the verdict. Probabilities "
            f"come from {fmt_num(a.samples)} draws of the data's ranges (seed {a.seed}); the "
            f"judgement needs {fmt_prob(a.confidence)} confidence."
            if sampled
            else "Certification requires every critical contest to hold (matched or offset). This report "
            "was run on point estimates only: no probabilities are given."
        )
    )
    for c in crit:
        s1 += _finding(doc, a, c, m, names, th, conf)

    # ---- section 2: every contest
    s2 = doc.section("balance", "The balance in every contest")
    contested = [c for c in a.contests if c.balance is not None]
    s2.append(
        _p(
            "The balance is the quality edge held divided by the edge needed to offset the numbers "
            "(for air defence it compares leakage with the acceptable level). Below "
            f"{_bal(th['matched'], th)} a contest is in shortfall; from {_bal(th['offset'], th)} it is "
            f"offset. The balance index, the weighted share of the requirement met, is "
            f"{_bal(a.index, th) if a.index is not None else DASH}."
        )
    )
    if contested:
        s2.append(
            doc.figure(
                "balance",
                {
                    "kind": "dotrange",
                    "rows": [
                        {
                            "label": short_title(c.title) + (" (critical)" if c.critical else ""),
                            "point": c.balance,
                            "p05": (c.uncertainty or {}).get("balance_p05"),
                            "p95": (c.uncertainty or {}).get("balance_p95"),
                            "judgement": c.judgement or c.verdict,
                            "text": _bal(c.balance, th),
                        }
                        for c in contested
                    ],
                    "matched": th["matched"],
                    "offset": th["offset"],
                },
                "Balance of every contested contest with its 90% range (log scale), against the "
                "matched and offset thresholds; marks are labelled with the point balance and "
                "shaped by judgement.",
                "Chart of every contest's balance",
            )
        )
    s2.append(_all_contests_table(doc, a, th))
    others = [c for c in a.contests if not c.critical and c.verdict != "uncontested"]
    if others:
        s2.append(
            _ul(
                (
                    short_title(c.title) + ".",
                    f"{_judgement_phrase(c)}; balance {_bal(c.balance, th)}.",
                )
                for c in others
            )
        )
    unc = [c for c in a.contests if c.verdict == "uncontested"]
    if unc:
        s2.append(
            _p(
                f"Uncontested (no {red_adj} capability assessed): "
                + _join([short_title(c.title) for c in unc])
                + "."
            )
        )

    # ---- section 3: threat in real units
    s3 = doc.section("threat", "The air threat in real units")
    s3 += _threat_section(doc, a, m, names)
    air = [c for c in a.contests if c.law == "iamd" and c.leakage is not None]
    if air:
        s3.append(
            doc.figure(
                "campaign",
                {
                    "kind": "leakage",
                    "rows": [
                        {
                            "label": short_title(c.title),
                            "leakage": c.leakage,
                            "worst": c.worst_raid_leakage,
                            "acceptable": c.acceptable_leakage,
                        }
                        for c in air
                    ],
                },
                "Leakage over the campaign for each air-defence contest (bar), the worst single raid "
                "(open mark) and the acceptable leakage (tick).",
                "Leakage chart",
            )
        )

    # ---- section 4: recommendations
    s4 = doc.section("recommendations", "Recommendations")
    rec_blocks, rec_bullets = _recommendations(doc, a, ex.get("optimization"), th, names, red_adj)
    s4 += rec_blocks

    # ---- section 5: obligations
    s5 = doc.section("obligations", "Partner obligations at the report date")
    s5 += _obligations_section(doc, ex.get("obligations"), report_date, names)

    # ---- section 6: projection
    s6 = doc.section("projection", "Outlook under the commitments")
    s6 += _projection_section(doc, ex.get("projection"), a, th, names)

    # ---- section 7: changes
    s7 = doc.section("changes", "Changes since the previous report")
    s7 += _changes_section(doc, a, ex.get("previous"), th)

    # ---- section 8: limitations
    s8 = doc.section("limitations", "Limitations")
    s8.append(_p("What the models leave out, and how each omission could bias the determination:"))
    s8.append(_ul(LIMITATIONS))

    # ---- annex A: scope, methodology, data reliability
    aa = doc.section("methodology", "Scope, methodology and data reliability", annex=True)
    aa.append(_h("Scope"))
    aa.append(
        _p(
            f"The report answers one question: do the equipment, training and technology that "
            f"{blue} holds match or offset {red}'s numerical advantages, contest by contest, under "
            f"uncertainty? It covers {_plural(len(a.contests), 'contest')} ({len(crit)} critical) on "
            f"the snapshots of {_join([f'{side_label(s)} {fmt_date_long(dt.date.fromisoformat(d))}' for s, d in a.as_of.items()])}."
        )
    )
    aa.append(_h("Methodology"))
    aa.append(
        _ul(
            [
                (
                    "Lanchester contests.",
                    "Each side's effective units are weighted quantity times "
                    "readiness; quality is equipment quality times the training multiplier of the "
                    "branch times the enablers of the domain. The balance is the quality ratio divided "
                    "by the numbers ratio raised to the law's exponent.",
                ),
                (
                    "Air campaign.",
                    f"One {a.campaign_days}-day campaign of {red}'s recorded raid pattern "
                    f"against {blue}'s shared interceptor magazines: each layer fires its ready rounds, "
                    "best systems first, with a kill probability per shot; what still flies after the last "
                    "layer leaks.",
                ),
                (
                    "Ammunition.",
                    "Guns and launchers limited by ammunition fire only what the daily "
                    "supply (stock spread over the campaign plus production and deliveries) allows.",
                ),
                (
                    "Uncertainty.",
                    "Every range in the data is drawn from a triangular distribution; "
                    "the same engine evaluates every draw. Probabilities are shares of draws.",
                ),
                (
                    "Determination.",
                    f"Certified when P(every critical contest holds) is at least "
                    f"{fmt_prob(a.confidence)}; not certified when it is at most {fmt_prob(1 - a.confidence)}.",
                ),
            ]
        )
    )
    aa.append(_h("Data reliability"))
    aa.append(_ul(_reliability(m)))
    aa.append(
        _p(
            "Annex C lists every source with its kind and the figures in critical contests that "
            "rest on judgement."
        )
    )
    aa.append(_h("Reproducing this report"))
    aa.append(
        _p(
            f"Engine {a.engine_version}; input digest {a.inputs_sha256[:16]}; {fmt_num(a.samples)} "
            f"draws, seed {a.seed}. The same inputs, options and report date give the same document "
            "byte for byte."
        )
    )

    # ---- annex B: prediction
    ab = doc.section("prediction", "How well does this model predict?", annex=True)
    ab += _prediction_annex(doc, bt_raids, bt_losses, conf_rows, names, blue, red)

    # ---- annex C: sources
    ac = doc.section("sources", "Sources", annex=True)
    ac.append(
        _p(
            "One row per source. Kind: primary (the compiler or government itself), secondary "
            "(press reporting a primary) or claim (a belligerent's own statement)."
        )
    )
    ac.append(
        doc.table(
            "Sources of the data",
            ["Title", "Publisher", "Date", "Kind", "Used for"],
            source_rows,
            widths=[3.4, 1.9, 0.9, 0.8, 1.0],
            align="lllll",
            source="Source: the data files' source lists.",
        )
    )

    jrows = _judgement_rows(m, a)
    if jrows:
        ac.append(
            doc.table(
                "Figures in critical contests that rest on judgement (5% or more of a side's strength)",
                ["Contest", "Side", "System", "Basis", "Share of strength"],
                jrows,
                widths=[2.2, 0.9, 2.6, 1.2, 0.9],
                align="lllLr".lower(),
                source="Source: provenance recorded with each figure in the data.",
            )
        )
    ac.append(
        _p(
            "The catalog's offset coefficients (what one counter unit is worth against one threat "
            "unit), threat weights, acceptable leakage levels and the training and enabler "
            "multipliers are analysts' judgement, each with a stated rationale and a range that "
            "enters the probabilities; the interceptor kill probabilities and coverage are "
            "calibrated on the raid records (annex B)."
        )
    )

    # ---- annex D: glossary
    ad = doc.section("glossary", "Glossary", annex=True)
    glossary = [list(x) for x in GLOSSARY]
    glossary[0][1] = glossary[0][1].replace(
        "matched from 0.90, offset from 1.10",
        f"matched from {_bal(th['matched'], th)}, offset from {_bal(th['offset'], th)}",
    )
    ad.append({"kind": "defs", "items": glossary})
    ad.append(_p("Probability words, as defined on the highlights page:"))
    ad.append({"kind": "defs", "items": [[w, r] for w, r in LIKELIHOOD_SCALE]})

    # ---- highlights (one page)
    det_label = DETERMINATION_LABEL.get(a.determination, a.determination.upper())
    if sampled:
        det_text = (
            f"The probability that all {len(crit)} critical contests hold is "
            f"{fmt_prob(a.p_certified)}: certification is {likelihood(a.p_certified)}. "
            f"Certified needs at least {fmt_prob(a.confidence)}; not certified is found at "
            f"{fmt_prob(1 - a.confidence)} or less."
        )
    else:
        held = sum(1 for c in crit if c.holds)
        det_text = (
            f"{held} of {len(crit)} critical contests hold at their point estimates (no "
            "uncertainty run: no probability)."
        )
    found = []
    for c in sorted(
        crit,
        key=lambda c: (c.p_holds if c.p_holds is not None else (1.0 if c.holds else 0.0), c.id),
    ):
        if c.law == "iamd":
            detail = f"{fmt_pct(c.leakage)} of launches get through"
        elif c.numbers_ratio is not None and c.numbers_ratio >= 1:
            detail = f"{red} outnumbers {blue} {fmt_ratio(c.numbers_ratio)}"
        elif c.numbers_ratio is not None:
            detail = f"{blue} outnumbers {red} {fmt_ratio(1 / c.numbers_ratio)}"
        else:
            detail = ""
        prob = f"P(holds) {fmt_prob(c.p_holds)}" if c.p_holds is not None else "point estimate"
        found.append(
            {
                "lead": short_title(c.title),
                "judgement": JUDGEMENT_LABEL[c.judgement or c.verdict],
                "tone": "holds"
                if (c.judgement or c.verdict) in ("offset", "matched", "uncontested")
                else ("warning" if (c.judgement or c.verdict) == "indeterminate" else "shortfall"),
                "text": f"balance {_bal(c.balance, th)}, {prob}"
                + (f"; {detail}" if detail else "")
                + ".",
            }
        )
    failing = [c for c in crit if not c.holds]
    why = []
    air_fail = [c for c in failing if c.law == "iamd" and c.leakage is not None]
    if air_fail:
        got = _join(
            [
                f"{fmt_num(round(c.leakage * c.red_units))} of {fmt_num(round(c.red_units))} "
                + _join([names.cls_text(t, plural=True) for t in _contest_threats(m, c.id)])
                for c in air_fail
                if c.leakage is not None
            ]
        )
        why.append(
            f"Over the modelled air campaign, {got} get through to cities, power plants and "
            "airbases: the interceptor magazines cannot stop enough of a sustained campaign."
        )
    land_fail = [c for c in failing if c.law != "iamd"]
    if land_fail:
        why.append(
            f"Where {red}'s numbers are not offset ({_join([short_title(c.title) for c in land_fail])}), "
            f"the balance favours attrition, which {red}'s larger stocks and production sustain longer."
        )
    if not failing:
        why.append(
            f"Every critical contest holds: {blue}'s quality offsets {red}'s numbers where it matters most."
        )
    if age_warning:
        why.append(age_warning)
    highlights = {
        "determination": det_label,
        "certified": a.determination == "certified",
        "tone": "holds"
        if a.determination == "certified"
        else ("warning" if a.determination == "indeterminate" else "shortfall"),
        "determination_text": det_text,
        "found": found,
        "why": why,
        "recommended": rec_bullets,
        "language": [{"word": w, "range": r} for w, r in LIKELIHOOD_SCALE],
        "language_text": "Probabilities are the share of Monte Carlo draws of the data's ranges; "
        "the words mean:",
    }

    meta = {
        "title": "Qualitative Deterrent Balance",
        "subtitle": f"Certification report on {blue} and {red}",
        "question": (
            f"Do the equipment, training and technology that {blue} holds match or offset "
            f"{red}'s numerical advantages?"
        ),
        "blue": blue,
        "red": red,
        "report_date": report_date.isoformat(),
        "report_date_text": fmt_date_long(report_date),
        "data_as_of_text": "; ".join(
            f"{side_label(s)} {fmt_date_long(dt.date.fromisoformat(d))}" for s, d in a.as_of.items()
        ),
        "sources_through_text": fmt_date_long(latest_source) if latest_source else DASH,
        "age_days": age_days,
        "age_warning": age_warning,
        "sources_note": sources_note,
        "inputs_sha256": a.inputs_sha256,
        "engine_version": a.engine_version,
        "samples_text": fmt_num(a.samples) if sampled else "none (point estimates)",
        "seed": a.seed,
        "confidence_text": fmt_prob(a.confidence),
        "notes": list(notes),
    }
    return {
        "meta": meta,
        "highlights": highlights,
        "sections": doc.sections,
        "charts": doc.charts,
        "counts": {"tables": doc.tables, "figures": doc.figures},
    }
