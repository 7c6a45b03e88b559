"""Who meets their obligations: pledged vs delivered, funding, slippage, burden (pure).

The steering group's view of the commitments:

* per partner, what was **pledged** (every delivery line, whatever its status)
  against what was **delivered** (status ``delivered``), in units and in value;
* **funding lines by year** against the value of the deliveries due that year;
* **slippage**: pledged deliveries whose year has passed (``year < as_of_year``)
  and are still not delivered;
* the **burden share** of the U.S., Europe and others, by pledged value,
  delivered value and funding.

A delivery's value is its ``value_musd`` when given, else ``quantity`` × the
class's ``unit_cost_musd`` (point values).

Examples
--------
>>> # obligations(m.commitments, m.catalog, 2025).to_json()["burden"]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qdb.models import Catalog
from qdb.models.commitments import Commitment, Delivery
from qdb.results import round_sig

MIN_YEAR, MAX_YEAR = 1990, 2100
"""Years the data files may name (and ``--year`` may ask about)."""

__all__ = [
    "BLOCS",
    "Obligations",
    "PartnerLine",
    "Slipped",
    "delivery_value",
    "obligations",
    "obligations_markdown",
]

BLOCS = ("us", "europe", "other")


def delivery_value(d: Delivery, catalog: Catalog) -> float:
    """Value of a delivery, million USD: ``value_musd`` or quantity × unit cost."""
    if d.value_musd is not None:
        return d.value_musd.value
    cls = catalog.classes.get(d.class_)
    return d.quantity.value * (cls.unit_cost_musd.value if cls is not None else 0.0)


@dataclass(frozen=True)
class Slipped:
    """A pledged delivery whose year has passed without it being delivered."""

    partner: str
    instrument: str
    class_: str
    system: str
    quantity: float
    year: int
    years_late: int
    value_musd: float

    def to_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "instrument": self.instrument,
            "class": self.class_,
            "system": self.system,
            "quantity": round_sig(self.quantity),
            "year": self.year,
            "years_late": self.years_late,
            "value_musd": round_sig(self.value_musd),
        }


@dataclass
class PartnerLine:
    """One partner's totals over its instruments."""

    partner: str
    bloc: str
    instruments: list[str] = field(default_factory=list)
    pledged_quantity: float = 0.0
    delivered_quantity: float = 0.0
    pledged_value_musd: float = 0.0
    delivered_value_musd: float = 0.0
    funding_musd: dict[int, float] = field(default_factory=dict)
    due_value_musd: dict[int, float] = field(default_factory=dict)
    by_class: dict[str, dict[str, float]] = field(default_factory=dict)
    slipped: list[Slipped] = field(default_factory=list)

    @property
    def funding_total_musd(self) -> float:
        """Sum of the funding lines."""
        return sum(self.funding_musd.values())

    @property
    def delivered_share(self) -> float | None:
        """Delivered value ÷ pledged value (None when nothing was pledged)."""
        if self.pledged_value_musd <= 0:
            return None
        return self.delivered_value_musd / self.pledged_value_musd

    @property
    def status(self) -> str:
        """``behind`` when a pledged delivery has slipped, else ``on track``."""
        return "behind" if self.slipped else "on track"

    def to_json(self) -> dict[str, Any]:
        years = sorted(set(self.funding_musd) | set(self.due_value_musd))
        return {
            "partner": self.partner,
            "bloc": self.bloc,
            "instruments": list(self.instruments),
            "status": self.status,
            "pledged_quantity": round_sig(self.pledged_quantity),
            "delivered_quantity": round_sig(self.delivered_quantity),
            "pledged_value_musd": round_sig(self.pledged_value_musd),
            "delivered_value_musd": round_sig(self.delivered_value_musd),
            "delivered_share": round_sig(self.delivered_share),
            "funding_total_musd": round_sig(self.funding_total_musd),
            "funding_by_year": [
                {
                    "year": y,
                    "funding_musd": round_sig(self.funding_musd.get(y, 0.0)),
                    "deliveries_value_musd": round_sig(self.due_value_musd.get(y, 0.0)),
                }
                for y in years
            ],
            "by_class": {
                k: {kk: round_sig(vv) for kk, vv in v.items()}
                for k, v in sorted(self.by_class.items())
            },
            "slipped": [s.to_json() for s in self.slipped],
        }


@dataclass(frozen=True)
class Obligations:
    """The steering group's view (see the module docstring)."""

    as_of_year: int
    partners: tuple[PartnerLine, ...]

    @property
    def behind(self) -> list[PartnerLine]:
        """Partners with slipped deliveries, most value slipped first."""
        late = [p for p in self.partners if p.slipped]
        return sorted(late, key=lambda p: (-sum(s.value_musd for s in p.slipped), p.partner))

    @property
    def slipped(self) -> list[Slipped]:
        """Every slipped delivery, oldest first."""
        return sorted(
            (s for p in self.partners for s in p.slipped),
            key=lambda s: (s.year, s.partner, s.system),
        )

    def burden(self) -> dict[str, dict[str, float | None]]:
        """Per bloc: pledged value, delivered value and funding, with shares of the totals."""
        keys = ("pledged_value_musd", "delivered_value_musd", "funding_musd")
        sums = {b: dict.fromkeys(keys, 0.0) for b in BLOCS}
        for p in self.partners:
            sums[p.bloc]["pledged_value_musd"] += p.pledged_value_musd
            sums[p.bloc]["delivered_value_musd"] += p.delivered_value_musd
            sums[p.bloc]["funding_musd"] += p.funding_total_musd
        totals = {k: sum(sums[b][k] for b in BLOCS) for k in keys}
        out: dict[str, dict[str, float | None]] = {}
        for b in BLOCS:
            row: dict[str, float | None] = {}
            for k in keys:
                row[k] = sums[b][k]
                short = k.removesuffix("_musd")
                row[f"{short}_share"] = sums[b][k] / totals[k] if totals[k] > 0 else None
            out[b] = row
        return out

    def funding_by_year(self) -> list[dict[str, float | int]]:
        """All partners: funding and value of the deliveries due, year by year."""
        years = sorted({y for p in self.partners for y in (*p.funding_musd, *p.due_value_musd)})
        return [
            {
                "year": y,
                "funding_musd": sum(p.funding_musd.get(y, 0.0) for p in self.partners),
                "deliveries_value_musd": sum(p.due_value_musd.get(y, 0.0) for p in self.partners),
            }
            for y in years
        ]

    def to_json(self) -> dict[str, Any]:
        """``as_of_year``, ``partners``, ``behind``, ``slipped``, ``funding_by_year``, ``burden``."""
        return {
            "as_of_year": self.as_of_year,
            "partners": [p.to_json() for p in self.partners],
            "behind": [p.partner for p in self.behind],
            "slipped": [s.to_json() for s in self.slipped],
            "funding_by_year": [
                {k: (v if k == "year" else round_sig(v)) for k, v in row.items()}
                for row in self.funding_by_year()
            ],
            "burden": {
                b: {k: round_sig(v) for k, v in row.items()} for b, row in self.burden().items()
            },
        }


def obligations(
    commitments: Sequence[Commitment], catalog: Catalog, as_of_year: int
) -> Obligations:
    """Pledged vs delivered, funding by year, slippage and burden share per partner.

    Parameters
    ----------
    commitments : sequence of Commitment
        The instruments (typically ``Matchup.commitments``: those to blue).
    catalog : Catalog
        For unit costs of deliveries without ``value_musd``.
    as_of_year : int
        Pledged deliveries dated before this year count as slipped.

    Returns
    -------
    Obligations
        Partners in order of pledged value (largest first, ties by name).

    Examples
    --------
    >>> # obligations(m.commitments, m.catalog, 2025).behind

    Raises
    ------
    QdbError
        ``as_of_year`` is outside 1990-2100 (the years data files may name).
    """
    if (
        isinstance(as_of_year, bool)
        or not isinstance(as_of_year, int)
        or not (MIN_YEAR <= as_of_year <= MAX_YEAR)
    ):
        from qdb.errors import QdbError

        raise QdbError(f"--year must be a year from {MIN_YEAR} to {MAX_YEAR} (got {as_of_year})")
    lines: dict[str, PartnerLine] = {}
    for com in commitments:
        line = lines.setdefault(com.partner, PartnerLine(com.partner, com.bloc))
        line.instruments.append(com.instrument)
        for y, amount in com.funding_musd.items():
            line.funding_musd[y] = line.funding_musd.get(y, 0.0) + amount.value
        for d in com.deliveries:
            q, v = d.quantity.value, delivery_value(d, catalog)
            line.pledged_quantity += q
            line.pledged_value_musd += v
            line.due_value_musd[d.year] = line.due_value_musd.get(d.year, 0.0) + v
            row = line.by_class.setdefault(
                d.class_,
                {
                    "pledged_quantity": 0.0,
                    "delivered_quantity": 0.0,
                    "pledged_value_musd": 0.0,
                    "delivered_value_musd": 0.0,
                },
            )
            row["pledged_quantity"] += q
            row["pledged_value_musd"] += v
            if d.status == "delivered":
                line.delivered_quantity += q
                line.delivered_value_musd += v
                row["delivered_quantity"] += q
                row["delivered_value_musd"] += v
            elif d.year < as_of_year:
                line.slipped.append(
                    Slipped(
                        com.partner,
                        com.instrument,
                        d.class_,
                        d.system,
                        q,
                        d.year,
                        as_of_year - d.year,
                        v,
                    )
                )
    partners = sorted(lines.values(), key=lambda p: (-p.pledged_value_musd, p.partner))
    return Obligations(as_of_year, tuple(partners))


def _m(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def obligations_markdown(o: Obligations) -> str:
    """The steering group's view as Markdown: partners, burden share, slipped deliveries."""
    out = [
        f"## Who meets their obligations (as of {o.as_of_year})",
        "",
        "| Partner | Bloc | Pledged units | Delivered units | Pledged $M | Delivered $M "
        "| Delivered | Funding $M | Status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in o.partners:
        out.append(
            f"| {p.partner} | {p.bloc} | {p.pledged_quantity:,.0f} | {p.delivered_quantity:,.0f} "
            f"| {_m(p.pledged_value_musd)} | {_m(p.delivered_value_musd)} | {_pct(p.delivered_share)} "
            f"| {_m(p.funding_total_musd)} | {p.status} |"
        )
    out += [
        "",
        "Burden share:",
        "",
        "| Bloc | Pledged $M | Share | Delivered $M | Share | Funding $M | Share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for b, row in o.burden().items():
        out.append(
            f"| {b} | {_m(row['pledged_value_musd'])} | {_pct(row['pledged_value_share'])} "
            f"| {_m(row['delivered_value_musd'])} | {_pct(row['delivered_value_share'])} "
            f"| {_m(row['funding_musd'])} | {_pct(row['funding_share'])} |"
        )
    slipped = o.slipped
    out.append("")
    if slipped:
        out += ["Slipped deliveries (pledged, year passed, not delivered):", ""]
        out += [
            f"- {s.partner}: {s.quantity:g} × {s.system} ({s.class_}) due {s.year}, "
            f"{s.years_late} year{'s' if s.years_late != 1 else ''} late, ${s.value_musd:,.0f}M"
            for s in slipped
        ]
    else:
        out.append("No slipped deliveries.")
    return "\n".join(out) + "\n"
