"""Models: Estimate validation and arithmetic, frozen records, cross-file checks."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from qdb.models import Catalog, Commitment, Dataset, Estimate, Inventory, est
from qdb.models.checks import (
    Finding,
    check_catalog,
    check_classes,
    check_commitment,
    check_contest,
    check_dataset,
    check_inventory,
    suggest,
)
from qdb.models.estimate import MAX_MAGNITUDE

SRC = {"title": "t", "publisher": "p", "date": "2024-01-01", "url": "https://example.org"}


class Holder(BaseModel):
    x: Annotated[Estimate, est(ge=0, le=1)]


def error_of(value: Any) -> str:
    with pytest.raises(ValidationError) as exc:
        Holder.model_validate({"x": value})
    errs = exc.value.errors()
    assert len(errs) == 1
    return str(errs[0]["msg"])


# --- Estimate ----------------------------------------------------------------------------


def test_estimate_accepts_points_and_ranges() -> None:
    assert Holder.model_validate({"x": 0.5}).x == Estimate.point(0.5)
    rng = Holder.model_validate({"x": {"low": 0.1, "estimate": 0.2, "high": 0.3}}).x
    assert (rng.low, rng.value, rng.high, rng.ranged, rng.uncertain) == (0.1, 0.2, 0.3, True, True)
    assert type(Holder.model_validate({"x": 1}).x.value) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must be >= 0 and <= 1 (got -1)"),
        (1.5, "must be >= 0 and <= 1 (got 1.5)"),
        (math.nan, "must be a finite number, not nan"),
        (-math.inf, "must be a finite number, not -inf"),
        (None, "must be a number or a range {low, estimate, high}, not empty (null)"),
        (True, "must be a number or a range {low, estimate, high}, not true (true/false)"),
        ("many", "must be a number or a range {low, estimate, high}, not text 'many'"),
        (
            "0.5",
            "must be a number or a range {low, estimate, high}, not text '0.5'; "
            "write 0.5 without quotes",
        ),
        ([0.5], "must be a number or a range {low, estimate, high}, not a list"),
        (10**40, "is implausibly large (a 41-digit number); qdb figures stay below 1e12"),
        (1e300, "is implausibly large (1e+300); qdb figures stay below 1e12"),
        ({"low": 0.1, "high": 0.3}, "a range needs low, estimate and high; missing estimate"),
        (
            {"low": 0.1, "estimate": 0.2, "high": 0.3, "mode": 0.2},
            "unknown key 'mode' in a range; a range has exactly low, estimate, high",
        ),
        (
            {"low": 0.3, "estimate": 0.2, "high": 0.1},
            "range must satisfy low <= estimate <= high (got 0.3, 0.2, 0.1)",
        ),
        ({"low": "a", "estimate": 0.2, "high": 0.3}, "low must be a number, not text 'a'"),
        ({"low": 0, "estimate": 0.2, "high": 2}, "high must be >= 0 and <= 1 (got 2)"),
    ],
)
def test_estimate_errors(value: Any, message: str) -> None:
    assert error_of(value) == message


def test_magnitude_limit_is_inclusive() -> None:
    class Big(BaseModel):
        x: Annotated[Estimate, est(ge=0)]

    assert Big.model_validate({"x": MAX_MAGNITUDE}).x.value == MAX_MAGNITUDE
    with pytest.raises(ValidationError):
        Big.model_validate({"x": MAX_MAGNITUDE * 1.0001})


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=3, max_size=3).map(sorted))
def test_range_round_trips_through_to_data(vals: list[float]) -> None:
    class Free(BaseModel):
        x: Annotated[Estimate, est()]

    e = Free.model_validate({"x": {"low": vals[0], "estimate": vals[1], "high": vals[2]}}).x
    assert Free.model_validate({"x": e.to_data()}).x == e
    assert Free.model_validate({"x": e.value}).x.to_data() == e.value


@given(st.lists(finite, min_size=3, max_size=3).map(sorted), st.floats(-100, 100), finite)
def test_scaled_and_shifted_keep_order(vals: list[float], factor: float, delta: float) -> None:
    e = Estimate(vals[0], vals[1], vals[2], True)
    for out in (e.scaled(factor), e.shifted(delta)):
        assert out.low <= out.estimate <= out.high
        assert out.ranged


# --- frozen records ----------------------------------------------------------------------


def _inventory(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "side": "ukraine",
        "name": "U",
        "as_of": "2024-01-01",
        "sources": {"s": SRC},
        "systems": [{"id": "t64", "name": "T-64", "class": "mbt", "quantity": 5, "source": "s"}],
    }
    data.update(over)
    return data


def test_models_are_frozen_and_forbid_unknown_keys() -> None:
    inv = Inventory.model_validate(_inventory())
    with pytest.raises(ValidationError):
        inv.name = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        Inventory.model_validate(_inventory(colour="red"))
    assert inv.systems[0].readiness == Estimate.point(1)
    assert inv.systems[0].quality == Estimate.point(1)
    assert inv.as_of == dt.date(2024, 1, 1)
    assert inv.system("t64") is inv.systems[0] and inv.system("nope") is None


def _catalog(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "classes": {
            "mbt": {"domain": "land", "branch": "ground", "unit": "tank", "unit_cost_musd": 4},
            "missile": {"domain": "strike", "branch": "strike", "unit": "m", "unit_cost_musd": 1},
            "sam": {
                "domain": "air_defence",
                "branch": "air_defence",
                "unit": "battery",
                "unit_cost_musd": 100,
                "shots_per_raid": 4,
                "coverage": 0.5,
                "engages": [{"threat": "missile", "pk": 0.7}],
            },
        },
        "enablers_by_domain": {"land": ["isr"]},
        "contests": [
            {
                "id": "armour",
                "title": "Armour",
                "domain": "land",
                "law": "square",
                "threat": {"mbt": 1},
                "counters": {"mbt": 1},
                "rationale": "r",
            }
        ],
    }
    data.update(over)
    return data


IAMD = {
    "id": "air",
    "title": "Air",
    "domain": "air_defence",
    "law": "iamd",
    "threats": ["missile"],
    "acceptable_leakage": 0.1,
    "rationale": "r",
}
GUN = {
    "domain": "land",
    "branch": "ground",
    "unit": "gun",
    "unit_cost_musd": 3,
    "fires": {"munition": "shell", "rate": 10},
}
SHELL = {"domain": "land", "branch": "ground", "unit": "round", "unit_cost_musd": 0.004}


def _contest_findings(contest: dict[str, Any], classes: dict[str, Any] | None = None) -> list[str]:
    cat = Catalog.model_validate(_catalog(**({"classes": classes} if classes else {})))
    from qdb.models import Contest

    return [f.message for f in check_contest(0, Contest.model_validate(contest), cat.classes, [])]


def test_catalog_defaults() -> None:
    cat = Catalog.model_validate(_catalog())
    assert cat.campaign_days == 90 and cat.iamd is None
    assert cat.classes["sam"].engages[0].shots == Estimate.point(1)  # one round per target
    with pytest.raises(ValidationError, match="campaign_days"):
        Catalog.model_validate(_catalog(campaign_days=0))
    with pytest.raises(ValidationError, match="campaign_days"):
        Catalog.model_validate(_catalog(campaign_days=1.5))  # a whole number of days


def test_check_contest_law_fields() -> None:
    assert _contest_findings(IAMD) == []
    incomplete = {k: v for k, v in IAMD.items() if k not in ("threats", "acceptable_leakage")}
    assert _contest_findings({**incomplete, "counters": {"sam": 1}, "exponent": 2}) == [
        "iamd contest needs `threats` (threat classes whose leakage it scores)",
        "iamd contest needs `acceptable_leakage` (0-1, e.g. 0.1)",
        "`counters` belongs to Lanchester contests; an iamd contest is scored by the campaign's "
        "leakage (catalog `iamd.layers`, classes' `engages`)",
        "`exponent` belongs to Lanchester contests; an iamd contest is scored by the campaign's "
        "leakage (catalog `iamd.layers`, classes' `engages`)",
    ]
    power = {**IAMD, "law": "power", "counters": {"sam": 1}}
    assert _contest_findings(power) == [
        "power law needs `threat` (red classes -> weight)",
        "`threats` belongs to iamd contests only",
        "`acceptable_leakage` belongs to iamd contests only",
        "power law needs `exponent` (e.g. 1.5)",
    ]
    assert _contest_findings({**IAMD, "threats": ["misile"]}) == [
        "unknown class 'misile'; did you mean 'missile'?"
    ]


def _class_findings(**over: Any) -> list[tuple[Any, str, str]]:
    cat = Catalog.model_validate(_catalog(**over))
    return [(f.loc, f.message, f.severity) for f in check_classes(cat)]


def test_check_classes_layers() -> None:
    classes = _catalog()["classes"]
    iamd = {"layers": ["sam"]}
    contests = [*_catalog()["contests"], IAMD]
    assert _class_findings(iamd=iamd, contests=contests) == []
    bare = {k: v for k, v in classes["sam"].items() if k not in ("shots_per_raid", "engages")}
    assert _class_findings(classes={**classes, "sam": bare}, iamd=iamd) == [
        (
            ("iamd", "layers", 0),
            "layer class 'sam' needs shots_per_raid (rounds a ready unit fires in one raid) and "
            "engages (threat, pk, shots) in classes.sam",
            "error",
        )
    ]
    assert _class_findings(iamd={"layers": ["sam", "sm", "sam"]}) == [
        (("iamd", "layers"), "a layer class is listed twice", "error"),
        (("iamd", "layers", 1), "unknown class 'sm'; did you mean 'sam'?", "error"),
    ]
    # an iamd contest without layers is located at the contest (the catalog has no `iamd` key)
    assert _class_findings(contests=contests) == [
        (
            ("contests", 1, "law"),
            "law iamd needs the catalog's `iamd: {layers: [...]}` (interceptor classes, outer "
            "to inner)",
            "error",
        )
    ]
    # legal but suspicious: no layer engages the contest's threats
    other = {**IAMD, "threats": ["mbt"]}
    assert _class_findings(iamd=iamd, contests=[*_catalog()["contests"], other]) == [
        (
            ("contests", 1, "threats"),
            "no layer engages these threats: everything launched leaks",
            "warning",
        )
    ]


def test_check_classes_engages_and_fires() -> None:
    classes = _catalog()["classes"]
    sam = {
        **classes["sam"],
        "engages": [
            {"threat": "missile", "pk": 0.7},
            {"threat": "misile", "pk": 0.5},
            {"threat": "missile", "pk": 0.9},
        ],
    }
    gun = {**GUN, "fires": {"munition": "shel", "rate": 10}}
    assert _class_findings(classes={**classes, "sam": sam, "gun": gun, "shell": SHELL}) == [
        (
            ("classes", "sam", "engages", 1, "threat"),
            "unknown threat class 'misile'; did you mean 'missile'?",
            "error",
        ),
        (
            ("classes", "sam", "engages", 2, "threat"),
            "'missile' is engaged twice; list each threat once",
            "error",
        ),
        (
            ("classes", "gun", "fires", "munition"),
            "unknown munition class 'shel'; did you mean 'shell'?",
            "error",
        ),
    ]


@pytest.mark.parametrize(
    ("engagement", "message"),
    [
        ({"threat": "missile", "pk": 1.2}, "must be >= 0 and <= 1"),
        ({"threat": "missile", "pk": 0.5, "shots": 0}, "must be >= 1 and <= 8"),
        ({"threat": "missile"}, "Field required"),
    ],
)
def test_engagement_bounds(engagement: dict[str, Any], message: str) -> None:
    classes = _catalog()["classes"]
    with pytest.raises(ValidationError, match=message):
        Catalog.model_validate(
            _catalog(classes={**classes, "sam": {**classes["sam"], "engages": [engagement]}})
        )


@pytest.mark.parametrize("coverage", [-0.1, 1.01])
def test_coverage_is_a_share(coverage: float) -> None:
    classes = _catalog()["classes"]
    with pytest.raises(ValidationError, match="coverage"):
        Catalog.model_validate(
            _catalog(classes={**classes, "sam": {**classes["sam"], "coverage": coverage}})
        )


def test_check_catalog() -> None:
    cat = Catalog.model_validate(
        _catalog(
            thresholds={"matched": 1.2, "offset": 1.1},
            contests=[*_catalog()["contests"], {**_catalog()["contests"][0], "sources": ["x"]}],
        )
    )
    assert [(f.loc, f.message) for f in check_catalog(cat)] == [
        (("thresholds", "matched"), "matched (1.2) must be below offset (1.1)"),
        (("contests", 1, "id"), "duplicate contest id 'armour' (first at contests[0])"),
        (("contests", 1, "sources"), "unknown source 'x'; none are defined"),
    ]


def test_check_inventory() -> None:
    cat = Catalog.model_validate(_catalog())
    systems = [
        {"id": "training", "name": "x", "class": "mbt", "quantity": 1, "source": "s"},
        {"id": "a", "name": "x", "class": "tank", "quantity": 1, "source": "s"},
        {"id": "a", "name": "x", "class": "mbt", "quantity": 1, "source": "t"},
    ]
    inv = Inventory.model_validate(_inventory(systems=systems))
    assert [(f.loc, f.message, f.severity) for f in check_inventory(inv, cat)] == [
        (
            ("systems", 0, "id"),
            "'training' is reserved (it names the training block in edits)",
            "error",
        ),
        (("systems", 1, "class"), "unknown class 'tank'; known: mbt, missile, sam", "error"),
        (("systems", 2, "id"), "duplicate system id 'a' (first at systems[1])", "error"),
        (("systems", 2, "source"), "unknown source 't'; known: s", "error"),
        (
            (),
            "no training multiplier for branch 'ground' (used by systems[0]); 1.0 assumed",
            "warning",
        ),
        ((), "no enabler 'isr' (listed for domain 'land'); 1.0 assumed", "warning"),
        (("sources", "s"), "source 's' has no kind (primary|secondary|claim)", "warning"),
        (("systems", 0), "'training' has no basis (quoted|derived|judgement)", "warning"),
        (("systems", 1), "'a' has no basis (quoted|derived|judgement)", "warning"),
        (("systems", 2), "'a' has no basis (quoted|derived|judgement)", "warning"),
    ]


def _errors_and_warnings(inv: Inventory, cat: Catalog) -> list[tuple[Any, str, str]]:
    """Findings without the provenance warnings (tested above)."""
    return [
        (f.loc, f.message, f.severity)
        for f in check_inventory(inv, cat)
        if "basis" not in f.message and "has no kind" not in f.message
    ]


def test_check_inventory_munitions() -> None:
    cat = Catalog.model_validate(
        _catalog(classes={**_catalog()["classes"], "gun": GUN, "shell": SHELL})
    )
    gun = {"id": "m777", "name": "M777", "class": "gun", "quantity": 10, "source": "s"}
    training = {"ground": {"value": 1, "rationale": "r"}}
    enablers = {"isr": {"value": 1, "rationale": "r"}}
    inv = Inventory.model_validate(
        _inventory(
            systems=[gun],
            training=training,
            enablers=enablers,
            munitions={
                "shel": {"stock": 100, "source": "s"},
                "mbt": {"stock": 5, "source": "nowhere"},
            },
        )
    )
    assert _errors_and_warnings(inv, cat) == [
        (
            ("munitions", "shel"),
            "no class fires munition 'shel' (a munition is named by a class's "
            "`fires: {munition}`); did you mean 'shell'?",
            "error",
        ),
        (
            ("munitions", "mbt"),
            "no class fires munition 'mbt' (a munition is named by a class's "
            "`fires: {munition}`); known: shell",
            "error",
        ),
        (("munitions", "mbt", "source"), "unknown source 'nowhere'; known: s", "error"),
        (
            ("munitions",),
            "no `munitions` entry for 'shell': the systems that fire it are unlimited",
            "warning",
        ),
    ]
    fed = Inventory.model_validate(
        _inventory(
            systems=[gun],
            training=training,
            enablers=enablers,
            munitions={"shell": {"stock": 100, "per_day": 5, "source": "s"}},
        )
    )
    assert _errors_and_warnings(fed, cat) == []
    assert fed.munitions["shell"].per_day == Estimate.point(5)
    # no munitions block at all: the warning is located at the top of the file
    bare = Inventory.model_validate(_inventory(systems=[gun], training=training, enablers=enablers))
    assert _errors_and_warnings(bare, cat) == [
        ((), "no `munitions` entry for 'shell': the systems that fire it are unlimited", "warning")
    ]


def test_check_inventory_raids() -> None:
    cat = Catalog.model_validate(_catalog())
    kh = {"id": "kh101", "name": "Kh-101", "class": "missile", "quantity": 10, "source": "s"}
    inv = Inventory.model_validate(
        _inventory(
            side="russia",
            systems=[kh],
            training={"strike": {"value": 1, "rationale": "r"}},
            raids=[
                {"id": "r1", "every_days": 2, "size": {"kh101": 4}},
                {"id": "r1", "every_days": 1, "size": {"kh10": 1}, "source": "x"},
            ],
        )
    )
    assert inv.raids[0].first_day == 0
    assert _errors_and_warnings(inv, cat) == [
        (("raids", 1, "id"), "duplicate raid id 'r1' (first at raids[0])", "error"),
        (("raids", 1, "source"), "unknown source 'x'; known: s", "error"),
        (
            ("raids", 1, "size", "kh10"),
            "russia has no system 'kh10'; did you mean 'kh101'?",
            "error",
        ),
    ]


@pytest.mark.parametrize(
    ("raid", "message"),
    [
        ({"id": "r", "every_days": 0, "size": {"k": 1}}, "every_days"),
        ({"id": "r", "every_days": 1.5, "size": {"k": 1}}, "every_days"),
        ({"id": "r", "every_days": 1, "first_day": -1, "size": {"k": 1}}, "first_day"),
        ({"id": "r", "every_days": 1, "size": {}}, "size"),
        ({"id": "r", "every_days": 1, "size": {"k": -1}}, "size"),
    ],
)
def test_raid_bounds(raid: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Inventory.model_validate(_inventory(raids=[raid]))


def _commitment(**over: Any) -> Commitment:
    data: dict[str, Any] = {
        "partner": "P",
        "instrument": "I",
        "signed": "2024-06-01",
        "years": {"first": 2024, "last": 2027},
        "funding_musd": {2024: 10, 2030: 5},
        "deliveries": [
            {"class": "sam", "system": "s", "quantity": 1, "year": 2028, "status": "pledged"},
            {"class": "sm", "system": "s", "quantity": 1, "year": 2019, "status": "delivered"},
        ],
        "source": SRC,
    }
    data.update(over)
    return Commitment.model_validate(data)


def test_check_commitment() -> None:
    cat = Catalog.model_validate(_catalog())
    assert [(f.loc, f.message) for f in check_commitment(_commitment(), cat)] == [
        (("funding_musd", 2030), "year 2030 is outside the instrument's years (2024-2027)"),
        (("deliveries", 0, "year"), "year 2028 is after the instrument's last year (2027)"),
        (("deliveries", 1, "class"), "unknown class 'sm'; did you mean 'sam'?"),
        (
            ("deliveries", 1, "year"),
            "year 2019 is more than 3 years before signing (2024-06-01); the earliest is 2021",
        ),
    ]


def test_reversed_years_are_one_problem() -> None:
    """first > last is reported once, not again for every funding year and delivery."""
    com = _commitment(years={"first": 2027, "last": 2024}, deliveries=[], signed="2023-01-01")
    cat = Catalog.model_validate(_catalog())
    assert [(f.loc, f.message) for f in check_commitment(com, cat)] == [
        (("years",), "first (2027) is after last (2024)")
    ]


def test_check_dataset_cross_file() -> None:
    cat = Catalog.model_validate(_catalog())
    a = Inventory.model_validate(_inventory())
    b = Inventory.model_validate(_inventory(name="copy"))
    com = _commitment(recipient="ukrain", funding_musd={}, deliveries=[])
    ds = Dataset(cat, (a, b), (com,), "cat.yaml", ("a.yaml", "b.yaml"), ("c.yaml",))
    errors = [(p, f.loc, f.message) for p, f in check_dataset(ds) if f.severity == "error"]
    assert errors == [
        (
            "b.yaml",
            ("as_of",),
            "two ukraine snapshots share as_of 2024-01-01 (the other is a.yaml)",
        ),
        ("c.yaml", ("recipient",), "no inventory has side 'ukrain'; did you mean 'ukraine'?"),
    ]


def test_check_dataset_warns_when_no_raid_launches_an_iamd_threat() -> None:
    cat = Catalog.model_validate(
        _catalog(iamd={"layers": ["sam"]}, contests=[*_catalog()["contests"], IAMD])
    )
    systems = [
        {"id": "kh101", "name": "Kh-101", "class": "missile", "quantity": 10, "source": "s"},
        {"id": "t72", "name": "T-72", "class": "mbt", "quantity": 10, "source": "s"},
    ]

    def warnings(
        raids: list[dict[str, Any]], held: list[dict[str, Any]] = systems
    ) -> list[tuple[str, Any, str]]:
        red = Inventory.model_validate(_inventory(side="russia", systems=held, raids=raids))
        ds = Dataset(cat, (red,), (), "cat.yaml", ("r.yaml",), ())
        return [(p, f.loc, f.message) for p, f in check_dataset(ds) if "raid" in f.message]

    assert warnings([{"id": "r", "every_days": 1, "size": {"t72": 1}}]) == [
        (
            "r.yaml",
            ("raids",),
            "no raid launches a threat of iamd contest 'air' (missile): it is uncontested "
            "against russia",
        )
    ]
    assert warnings([{"id": "r", "every_days": 1, "size": {"kh101": 1}}]) == []
    assert warnings([]) == []  # a side without raids (blue) is not warned
    # a side that holds no missile at all (no Shaheds before September 2022) is not warned
    assert warnings([{"id": "r", "every_days": 1, "size": {"t72": 1}}], systems[1:]) == []


def test_suggest() -> None:
    assert suggest("atgm", ["atgm_team", "mbt"]) == "; did you mean 'atgm_team'?"
    assert suggest("zz", ["b", "a"]) == "; known: a, b"
    assert suggest("zz", [f"c{i}" for i in range(20)]) == ""
    assert suggest("zz", []) == "; none are defined"
    assert Finding(("a",), "m").severity == "error"
