"""Number and date formatting for the report (pure, locale-independent).

Every figure that reaches the reader goes through one of these functions, so
that the Markdown, HTML and PDF editions print the same text.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = [
    "fmt_balance",
    "fmt_date_long",
    "fmt_estimate",
    "fmt_money",
    "fmt_mult",
    "fmt_num",
    "fmt_pct",
    "fmt_prob",
    "fmt_ratio",
    "fmt_sig",
    "likelihood",
]

DASH = "—"


def fmt_sig(x: float | None, sig: int = 3) -> str:
    """``x`` to ``sig`` significant digits, never in e-notation.

    Examples
    --------
    >>> fmt_sig(3.46200607903)
    '3.46'
    >>> fmt_sig(1234.6)
    '1,235'
    >>> fmt_sig(0.000123)
    '0.000123'
    >>> fmt_sig(None)
    '—'
    """
    if x is None or not math.isfinite(x):
        return DASH
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, sig - 1 - mag)
    if decimals == 0:
        return f"{x:,.0f}"
    return f"{x:,.{decimals}f}"


def fmt_num(x: float | None) -> str:
    """A count: integers with thousands separators, else 3 significant digits.

    Examples
    --------
    >>> fmt_num(3417.0)
    '3,417'
    >>> fmt_num(12.5)
    '12.5'
    """
    if x is None or not math.isfinite(x):
        return DASH
    if float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return fmt_sig(x, 3)


def fmt_ratio(r: float | None) -> str:
    """A force ratio ``r : 1``.

    Examples
    --------
    >>> fmt_ratio(3.462)
    '3.46\xa0:\xa01'
    >>> fmt_ratio(None)
    '—'
    """
    if r is None or not math.isfinite(r):
        return DASH
    return f"{fmt_sig(r, 3)}\u00a0:\u00a01"


def fmt_balance(b: float | None) -> str:
    """A balance β: two decimals (three significant digits below 0.1).

    Examples
    --------
    >>> fmt_balance(0.6220074988568817)
    '0.62'
    >>> fmt_balance(0.0834)
    '0.0834'
    """
    if b is None or not math.isfinite(b):
        return DASH
    if b == 0:
        return "0.00"
    if abs(b) < 0.1:
        return fmt_sig(b, 3)
    return f"{b:,.2f}"


def fmt_mult(x: float | None) -> str:
    """A multiplier ``×1.30``.

    Examples
    --------
    >>> fmt_mult(1.3)
    '×1.30'
    """
    if x is None or not math.isfinite(x):
        return DASH
    if abs(x) >= 100:
        return f"×{x:,.0f}"
    return f"×{x:.2f}" if abs(x) >= 0.1 else f"×{fmt_sig(x, 2)}"


def fmt_pct(p: float | None, decimals: int | None = None) -> str:
    """A share as a percentage; one decimal below 10 %, none above.

    Examples
    --------
    >>> fmt_pct(0.5257)
    '52.6%'
    >>> fmt_pct(0.05)
    '5.0%'
    >>> fmt_pct(1.0)
    '100%'
    """
    if p is None or not math.isfinite(p):
        return DASH
    v = 100 * p
    if decimals is None:
        decimals = 0 if (v >= 99.95 or v == 0) else 1
    return f"{v:.{decimals}f}%"


def fmt_money(musd: float | None) -> str:
    """Million US dollars: ``$1,234 M`` or ``$12.3 bn``.

    Examples
    --------
    >>> fmt_money(650)
    '$650 M'
    >>> fmt_money(12345)
    '$12.3 bn'
    """
    if musd is None or not math.isfinite(musd):
        return DASH
    if abs(musd) >= 10_000:
        return f"${musd / 1000:,.1f} bn"
    if abs(musd) >= 1000:
        return f"${musd / 1000:,.2f} bn"
    return f"${fmt_sig(musd, 3)} M"


def fmt_estimate(low: float, estimate: float, high: float) -> str:
    """A point, or ``estimate (low–high)`` for a range.

    Examples
    --------
    >>> fmt_estimate(700, 800, 900)
    '800 (700–900)'
    >>> fmt_estimate(0.8, 0.8, 0.8)
    '0.8'
    """
    if low == high == estimate:
        return _plain(estimate)
    return f"{_plain(estimate)} ({_plain(low)}–{_plain(high)})"


def _plain(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def fmt_date_long(d: dt.date) -> str:
    """``1 January 2025`` (no locale, no leading zero).

    Examples
    --------
    >>> import datetime as dt
    >>> fmt_date_long(dt.date(2025, 1, 1))
    '1 January 2025'
    """
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def fmt_prob(p: float | None) -> str:
    """A probability in whole percent; below 1% as "< 1%", above 99% as "> 99%".

    A Monte Carlo share of 0 or 1 is printed the same way: a finite number of
    draws never shows that an outcome is impossible or certain.

    Examples
    --------
    >>> fmt_prob(0.0), fmt_prob(0.004), fmt_prob(0.1785), fmt_prob(1.0)
    ('< 1%', '< 1%', '18%', '> 99%')
    """
    if p is None or not math.isfinite(p):
        return DASH
    if p < 0.01:
        return "< 1%"
    if p > 0.99:
        return "> 99%"
    return f"{100 * p:.0f}%"


LIKELIHOOD = (
    (0.99, "virtually certain"),
    (0.90, "very likely"),
    (0.66, "likely"),
    (0.33, "about even"),
    (0.10, "unlikely"),
    (0.01, "very unlikely"),
)


def likelihood(p: float | None) -> str:
    """The graded word for a probability (the scale on the report's highlights page).

    Examples
    --------
    >>> likelihood(0.995), likelihood(0.7), likelihood(0.5), likelihood(0.0)
    ('virtually certain', 'likely', 'about even', 'exceptionally unlikely')
    """
    if p is None or not math.isfinite(p):
        return "not estimated"
    for floor, word in LIKELIHOOD:
        if p >= floor:
            return word
    return "exceptionally unlikely"
