"""Lanchester laws: square (aimed fire), linear (area fire) and power (mixed), over samples.

With ``N`` the weighted units (ammunition-limited: ``n_s = w · quantity ·
readiness · u_s``) and ``Q`` the unit-weighted mean quality of each side,
``β = (Q_blue / Q_red) / (N_red / N_blue) ** p``: the quality edge blue holds
divided by the edge it needs to offset red's numbers. Factors are log terms
that sum to ``ln β``: numbers (−p·ln r with every gun supplied), sustainment
(what ammunition takes off), equipment, training, technology (ln of the
blue/red ratio of unit-weighted means) and interaction (the rest).

References
----------
F. W. Lanchester, *Aircraft in Warfare: The Dawn of the Fourth Arm*, 1916.
T. N. Dupuy, *Understanding War*, 1987 (combat-effectiveness multipliers).
D. S. Hartley, *Topics in Operations Research: Predicting Combat Effects*, 2001.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

from qdb.contests.result import FACTOR_NAMES, Evaluation

if TYPE_CHECKING:
    from qdb.contests.plan import LanchesterContest, Plan

__all__ = ["lanchester"]


def _side_sums(
    members: tuple[tuple[int, int], ...],
    V: FloatArray,
    base: FloatArray,
    q: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """(N, Σ n·q, n per member) of one side of a contest."""
    import numpy as np

    if not members:
        z = np.zeros(base.shape[1])
        return z, z, None
    idx = [i for i, _ in members]
    nn = V[[s for _, s in members]] * base[idx]
    return nn.sum(axis=0), (nn * q[idx]).sum(axis=0), nn


def lanchester(
    plan: Plan,
    con: LanchesterContest,
    V: FloatArray,
    ev: Evaluation,
    q: FloatArray,
    avail: FloatArray,
    units: FloatArray,
    quality: FloatArray,
    training: FloatArray,
    tech: FloatArray,
    detail: bool,
) -> None:
    import numpy as np

    i = con.index
    p = V[con.exponent]
    nb, nqb, n_blue = _side_sums(con.blue, V, units, q)
    nr, nqr, n_red = _side_sums(con.red, V, units, q)
    r = nr / nb
    qr = (nqb / nb) / (nqr / nr)
    req = r**p
    beta = np.where(nb > 0, qr / req, 0.0)
    ev.balance[i] = np.where(nr > 0, beta, np.nan)
    if not detail:
        return
    assert ev.factors is not None
    contested = (nr > 0) & (nb > 0)
    ev.blue_units[i] = nb  # type: ignore[index]
    ev.red_units[i] = nr  # type: ignore[index]
    ev.numbers_ratio[i] = np.where(contested, r, np.where((nr <= 0) & (nb > 0), 0.0, np.nan))  # type: ignore[index]
    ev.quality_ratio[i] = np.where(contested, qr, np.nan)  # type: ignore[index]
    ev.required[i] = np.where(contested, req, np.nan)  # type: ignore[index]
    nb_raw = _side_sums(con.blue, V, avail, q)[0]
    nr_raw = _side_sums(con.red, V, avail, q)[0]
    r_raw = nr_raw / nb_raw

    def mean(members: tuple[tuple[int, int], ...], nn: Any, x: FloatArray, tot: Any) -> Any:
        if nn is None:
            return np.full(V.shape[1], np.nan)
        return (nn * x[[j for j, _ in members]]).sum(axis=0) / tot

    f: dict[str, Any] = {
        "numbers": -p * np.log(r_raw),
        "sustainment": -p * (np.log(r) - np.log(r_raw)),
    }
    for name, x in (("equipment", quality), ("training", training), ("technology", tech)):
        f[name] = np.log(mean(con.blue, n_blue, x, nb) / mean(con.red, n_red, x, nr))
    ln_b = np.log(qr) - p * np.log(r)
    f["interaction"] = ln_b - sum(f[k] for k in FACTOR_NAMES[:-1])
    for k, v in f.items():
        ev.factors[k][i] = np.where(contested, v, np.nan)
