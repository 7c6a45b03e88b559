"""What-if scenario files: a named set of edits, additions and removals (pure models).

A scenario is YAML::

    name: Germany delivers four more IRIS-T batteries
    description: Announced at the Ramstein meeting; deliveries within a year.
    sources:                       # optional: sources of added systems
      bmvg2024: {title: "...", publisher: BMVg, date: 2024-06-11, url: "https://..."}
    remove: [ukraine:s300]         # SIDE:SYSTEM_ID
    add:                           # systems like an inventory's, plus `side`
      - side: ukraine
        id: iris_t_new
        name: IRIS-T SLM (new deliveries)
        class: mr_sam
        quantity: 4
        source: bmvg2024
    edits:                         # EDIT strings, as for --set
      - ukraine:training.air_defence*=1.1

They apply in that order: removals, additions, then edits. Reading the file
is :func:`qdb.io.scenario.load_scenario`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from qdb.models.base import FrozenModel, Id, NonEmptyStr, Slug, Source
from qdb.models.inventory import System

__all__ = ["Scenario", "ScenarioFile", "ScenarioSystem"]


class ScenarioSystem(System):
    """A system to add: an inventory's system mapping plus the ``side`` it joins."""

    side: Slug = Field(description="The side that receives the system (slug, or blue/red).")

    def to_system(self) -> System:
        """The system as an inventory holds it (without ``side``)."""
        return System.model_validate(self.data())

    def data(self) -> dict[str, Any]:
        """The mapping as written (keys given in the file, without ``side``)."""
        out: dict[str, Any] = self.model_dump(
            mode="python", by_alias=True, exclude_unset=True, exclude={"side"}
        )
        return out


class Scenario(FrozenModel):
    """A named what-if scenario."""

    name: NonEmptyStr
    description: str | None = None
    sources: dict[Id, Source] = Field(
        default_factory=dict, description="Sources that added systems may name."
    )
    remove: list[NonEmptyStr] = Field(default_factory=list, description="SIDE:SYSTEM_ID to remove.")
    add: list[ScenarioSystem] = Field(default_factory=list, description="Systems to add.")
    edits: list[NonEmptyStr] = Field(
        default_factory=list, description="EDIT strings, e.g. ukraine:patriot.quantity+=4."
    )


@dataclass(frozen=True)
class ScenarioFile:
    """A validated scenario with where each entry sits in its file (for messages).

    ``positions`` maps ``edits[0]``, ``add[1]``, ``remove[0]`` ... to 1-based
    ``(line, column)``.
    """

    scenario: Scenario
    path: str = "<scenario>"
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: str) -> str:
        """``path:line:col`` of the entry ``loc`` (line 1 when unknown)."""
        line, col = self.positions.get(loc, (1, 1))
        return f"{self.path}:{line}:{col}"
