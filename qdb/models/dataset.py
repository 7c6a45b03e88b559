"""A loaded data folder and the blue-vs-red matchup chosen from it (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from qdb.errors import SelectionError
from qdb.models.catalog import Catalog
from qdb.models.commitments import Commitment
from qdb.models.inventory import Inventory

__all__ = ["Dataset", "Matchup"]


@dataclass(frozen=True)
class Matchup:
    """What one assessment reads: the catalog, one blue and one red snapshot.

    ``commitments`` are the instruments whose recipient is blue (projection).
    ``blue_path`` and ``red_path`` say where the snapshots came from (labels only).
    """

    catalog: Catalog
    blue: Inventory
    red: Inventory
    commitments: tuple[Commitment, ...] = ()
    blue_path: str = ""
    red_path: str = ""
    options: tuple[tuple[str, str], ...] = field(default=())

    def side(self, name: str) -> Inventory:
        """The inventory of side ``name`` (``blue``/``red`` or its slug)."""
        if name in ("blue", self.blue.side):
            return self.blue
        if name in ("red", self.red.side):
            return self.red
        raise SelectionError(f"side {name!r} is neither {self.blue.side!r} nor {self.red.side!r}")

    def with_side(self, name: str, inventory: Inventory) -> Matchup:
        """A copy with side ``name`` replaced."""
        if name in ("blue", self.blue.side):
            return replace(self, blue=inventory)
        if name in ("red", self.red.side):
            return replace(self, red=inventory)
        raise SelectionError(f"side {name!r} is neither {self.blue.side!r} nor {self.red.side!r}")


@dataclass(frozen=True)
class Dataset:
    """Every validated file of a data folder.

    ``*_paths`` run parallel to the model tuples and label messages.
    """

    catalog: Catalog
    inventories: tuple[Inventory, ...]
    commitments: tuple[Commitment, ...] = ()
    catalog_path: str = "catalog.yaml"
    inventory_paths: tuple[str, ...] = ()
    commitment_paths: tuple[str, ...] = ()

    def sides(self) -> list[str]:
        """The side slugs present, sorted."""
        return sorted({inv.side for inv in self.inventories})

    def snapshots(self, side: str) -> list[tuple[Inventory, str]]:
        """A side's snapshots with their paths, oldest first."""
        paths = self.inventory_paths or ("",) * len(self.inventories)
        found = [
            (inv, p) for inv, p in zip(self.inventories, paths, strict=True) if inv.side == side
        ]
        return sorted(found, key=lambda ip: ip[0].as_of)

    def snapshot(self, side: str, as_of: dt.date | None = None) -> tuple[Inventory, str]:
        """The latest snapshot of ``side`` at or before ``as_of`` (default: latest).

        Raises
        ------
        SelectionError
            No such side, or no snapshot that early.
        """
        snaps = self.snapshots(side)
        if not snaps:
            known = ", ".join(self.sides()) or "none"
            raise SelectionError(f"no inventory for side {side!r} (sides in the data: {known})")
        if as_of is not None:
            snaps = [s for s in snaps if s[0].as_of <= as_of]
            if not snaps:
                first = self.snapshots(side)[0][0].as_of
                raise SelectionError(
                    f"no {side} snapshot at or before {as_of.isoformat()} "
                    f"(earliest is {first.isoformat()})"
                )
        return snaps[-1]

    def matchup(
        self, blue: str = "ukraine", red: str = "russia", as_of: dt.date | None = None
    ) -> Matchup:
        """Choose the snapshots of ``blue`` and ``red`` for one assessment."""
        if blue == red:
            raise SelectionError(f"--blue and --red are both {blue!r}; choose two different sides")
        b, bp = self.snapshot(blue, as_of)
        r, rp = self.snapshot(red, as_of)
        commits = tuple(c for c in self.commitments if c.recipient == blue)
        return Matchup(self.catalog, b, r, commits, bp, rp)
