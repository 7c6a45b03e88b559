"""Checks of a rendered report written from outside the report code.

Nothing here imports ``qdb.report``: the required sections are a hand-written
list, and every number of the highlights page is recomputed from ``qdb assess
--format json`` with formatting rules restated here, so a bug in the report's
own formatting or context cannot also hide in its test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "report"
DATE = "2025-03-01"
SAMPLES = "2000"

# The structure a committee report must have (issue #16), in order, written by hand.
REQUIRED_SECTIONS = [
    "Highlights",
    "Findings: the critical contests",
    "The balance in every contest",
    "The air threat in real units",
    "Recommendations",
    "Partner obligations at the report date",
    "Outlook under the commitments",
    "Changes since the previous report",
    "Limitations",
    "Scope, methodology and data reliability",
    "How well does this model predict?",
    "Sources",
    "Glossary",
]
BODY_SECTIONS = REQUIRED_SECTIONS[1:9]
ANNEXES = REQUIRED_SECTIONS[9:]

PROBABILITY_WORDS = [
    "virtually certain",
    "very likely",
    "likely",
    "about even",
    "unlikely",
    "very unlikely",
    "exceptionally unlikely",
]


def qdb(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m qdb ARGS`` in a fresh process."""
    full = {**os.environ, **(env or {})}
    p = subprocess.run(
        [sys.executable, "-m", "qdb", *args], capture_output=True, env=full, cwd=REPO, timeout=300
    )
    if check and p.returncode != 0:
        raise AssertionError(f"qdb {' '.join(args)} failed: {p.stderr.decode()[-2000:]}")
    return p


def assess_json(*extra: str) -> dict[str, Any]:
    """``qdb assess --format json`` on the fixture with the report's sampling options."""
    out = qdb(
        "assess",
        "--data",
        str(FIXTURE),
        "--samples",
        SAMPLES,
        "--seed",
        "0",
        "--format",
        "json",
        *extra,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


# ---------------------------------------------------------------- formatting, restated


def prob_text(p: float) -> str:
    """A probability as the issue asks: whole percent, "< 1%" below 1%, "> 99%" above 99%."""
    if p < 0.01:
        return "< 1%"
    if p > 0.99:
        return "> 99%"
    return f"{round(100 * p + 1e-9):.0f}%"


def short_title(title: str) -> str:
    head = title.split(" vs ")[0]
    return re.sub(r"\s*\([^)]*\)", "", head).strip()


def close_to(text: str, value: float) -> bool:
    """``text`` is ``value`` rounded to the decimals printed."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text.replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-12


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def highlights_problems(text: str, j: dict[str, Any], report_date: str) -> list[str]:
    """Every number in the highlights ``text`` traced to the assessment JSON ``j``.

    Returns the problems found (empty: every number is accounted for).
    """
    text = " ".join(text.replace("\u00a0", " ").split())
    problems: list[str] = []
    crit = [c for c in j["contests"] if c["critical"]]
    det = {
        "certified": "CERTIFIED",
        "not_certified": "NOT CERTIFIED",
        "indeterminate": "INDETERMINATE",
    }
    if det[j["determination"]] not in text:
        problems.append(f"determination {det[j['determination']]} missing")
    want = f"all {len(crit)} critical contests hold is {prob_text(j['p_certified'])}"
    if want not in text:
        problems.append(f"missing: {want!r}")
    c_txt = f"{round(100 * j['confidence'])}%"
    nc_txt = f"{round(100 * (1 - j['confidence']))}%"
    accounted: list[tuple[int, int]] = []
    for m in re.finditer(re.escape(want), text):
        accounted.append(m.span())
    for token in (f"at least {c_txt}", f"{nc_txt} or less"):
        if token not in text:
            problems.append(f"missing confidence rule {token!r}")
        accounted += [m.span() for m in re.finditer(re.escape(token), text)]
    for c in crit:
        st = short_title(c["title"])
        pat = re.compile(
            re.escape(st) + r": balance (?P<bal>[\d.]+), P\(holds\) (?P<p>[<>]? ?\d+%)"
            r"(?:; (?:(?P<leak>[\d.]+)% of launches get through|(?P<who>\w+) outnumbers \w+ "
            r"(?P<ratio>[\d.,]+) : 1))?\."
        )
        m = pat.search(text)
        if m is None:
            problems.append(f"no finding line for {st!r}")
            continue
        accounted.append(m.span())
        if not close_to(m["bal"], c["balance"]):
            problems.append(f"{st}: balance {m['bal']} vs JSON {c['balance']}")
        if m["p"] != prob_text(c["p_holds"]):
            problems.append(f"{st}: P(holds) {m['p']} vs JSON {c['p_holds']}")
        if m["leak"] is not None and not close_to(m["leak"], 100 * c["leakage"]):
            problems.append(f"{st}: leakage {m['leak']}% vs JSON {c['leakage']}")
        if m["ratio"] is not None:
            r = c["numbers_ratio"] if c["numbers_ratio"] >= 1 else 1 / c["numbers_ratio"]
            if not close_to(m["ratio"], r):
                problems.append(f"{st}: ratio {m['ratio']} vs JSON {c['numbers_ratio']}")
    # leakers in real units: leakage x launched, of launched (both from the JSON)
    for c in crit:
        if c.get("leakage") is None:
            continue
        pair = f"{round(c['leakage'] * c['red_units']):,} of {round(c['red_units']):,} "
        accounted += [m.span() for m in re.finditer(re.escape(pair), text)]
    # data age: days between the snapshot and the report date
    as_of = min(dt.date.fromisoformat(d) for d in j["as_of"].values())
    days = (dt.date.fromisoformat(report_date) - as_of).days
    for m in re.finditer(rf"{days:,} days older", text):
        accounted.append(m.span())
    for m in re.finditer(r"\d{1,2} \w+ \d{4}", text):  # dates: the snapshot's
        accounted.append(m.span())
    for m in re.finditer(r"section \d", text):  # cross-references
        accounted.append(m.span())
    for m in re.finditer(r"\d+% (?:or more|to \d+%)|less than 1%", text):  # the words' scale
        accounted.append(m.span())
    for m in NUMBER.finditer(text):
        if not any(a <= m.start() < b for a, b in accounted):
            problems.append(
                f"unaccounted number {m.group()!r} in ...{text[max(0, m.start() - 40) : m.end() + 20]}..."
            )
    return problems


SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


def code_identifier_problems(text: str, ids: set[str]) -> list[str]:
    """Backticks, snake_case tokens, command-line flags and data ids left in reader-facing text."""
    out = []
    if "`" in text:
        out.append("a backtick")
    out += [f"snake_case {m.group()!r}" for m in SNAKE.finditer(text)]
    out += [f"flag {m.group()!r}" for m in re.finditer(r"(?<![\w-])--[a-z][a-z-]+", text)]
    words = set(re.findall(r"[A-Za-z0-9_-]+", text))
    out += [f"data id {i!r}" for i in sorted(ids & words)]
    return out


def data_ids() -> set[str]:
    """Ids in the fixture that are not English words: system, class, contest, source, raid ids."""
    from qdb.io.load import load_dataset

    ds = load_dataset(FIXTURE).dataset
    ids: set[str] = set()
    cat = ds.catalog
    ids |= set(cat.classes) | {c.id for c in cat.contests} | set(cat.sources)
    for inv in ds.inventories:
        ids |= {s.id for s in inv.systems} | set(inv.sources) | {r.id for r in inv.raids}
    english = {"fighter", "artillery", "armour", "air", "fires"}
    return {i for i in ids if i not in english and (i.lower() == i)}
