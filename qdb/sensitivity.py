"""Which uncertain inputs swing a contest's balance most (pure).

Two complementary measures, over the same uncertain inputs as the Monte Carlo
(:func:`qdb.uncertainty.uncertain_inputs`):

* **tornado** (one at a time): every input at its ``low`` and at its ``high``,
  all others at their point estimates; the *swing* is the distance between the
  two balances. Cheap (two evaluations per input) and easy to read, but blind
  to interactions.
* **Sobol indices** (global, variance-based): the first-order index ``S1`` is
  the share of the balance's variance explained by an input alone, the total
  index ``ST`` the share it takes part in, interactions included. Estimated
  with SALib (Saltelli sampling on a scrambled Sobol sequence, Jansen/Saltelli
  estimators, bootstrap confidence intervals); inputs drawn independently and
  triangular ``(low, estimate, high)`` — declared correlations are not applied
  here, since Sobol indices assume independent inputs.

:func:`sensitivity` combines both into plain dicts for the command line and
the report (charts read them directly).

References
----------
Saltelli, A. et al., *Global Sensitivity Analysis: The Primer*, Wiley, 2008.
Saltelli, A. et al., "Variance based sensitivity analysis of model output",
*Computer Physics Communications* 181(2), 2010, doi:10.1016/j.cpc.2009.09.018.
Herman, J. and Usher, W., "SALib: An open-source Python library for
Sensitivity Analysis", *JOSS* 2(9), 2017, doi:10.21105/joss.00097.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qdb.contests.plan import Plan, compile_plan
from qdb.errors import SelectionError
from qdb.models import Matchup
from qdb.results import round_sig
from qdb.uncertainty import SamplingError
from qdb.verdicts import verdict

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["DEFAULT_SOBOL_SAMPLES", "sensitivity", "sobol", "tornado"]

DEFAULT_SOBOL_SAMPLES = 1024
"""Base sample count N of the Sobol estimate (N·(k+2) evaluations for k inputs)."""


def _contest_ids(plan: Plan, contest_id: str | Sequence[str] | None) -> list[str]:
    """The contests asked for: one, several, or (None) every critical contest."""
    if contest_id is None:
        return [c for c, crit in zip(plan.contest_ids, plan.critical, strict=True) if crit]
    wanted = [contest_id] if isinstance(contest_id, str) else list(contest_id)
    for cid in wanted:
        if cid not in plan.contest_ids:
            raise SelectionError(
                f"no contest {cid!r}; the catalog has: {', '.join(plan.contest_ids)}"
            )
    return wanted


def _base_rows(plan: Plan, n: int) -> npt.NDArray[np.float64]:
    import numpy as np

    return np.repeat(plan.point_values()[:, None], n, axis=1)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round_sig(float(x))


def _by_swing(bar: dict[str, Any]) -> tuple[float, str]:
    swing = bar["swing"]
    return (-(swing if swing is not None else -1.0), str(bar["input"]))


def tornado(m: Matchup, contest_id: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One-at-a-time swings of each contest's balance, largest first.

    Parameters
    ----------
    m : Matchup
    contest_id : str, list of str or None
        The contest(s); None means every critical contest.

    Returns
    -------
    list of dict
        One per contest, in the order asked (catalog order for None)::

            {"contest", "title", "critical", "balance", "verdict",
             "bars": [{"input", "input_low", "input_estimate", "input_high",
                       "balance_low", "balance_high", "swing"}, ...]}

        ``balance`` is the point-estimate balance; ``input_low``,
        ``input_estimate`` and ``input_high`` the input's range; ``balance_low``
        and ``balance_high`` the balance with the input at its low and high ends
        (None where red then has no units); ``swing`` is ``|balance_high -
        balance_low|`` (None if either is None). Bars cover every ranged input
        the contest reads, sorted by swing (largest first), then by name.

    Raises
    ------
    SelectionError
        An unknown contest id.

    Examples
    --------
    >>> # for bar in tornado(matchup, "air_defence")[0]["bars"][:3]: print(bar["input"])
    """
    plan = compile_plan(m)
    ids = _contest_ids(plan, contest_id)
    P = len(plan.inputs)
    rows = _base_rows(plan, 2 * P + 1)
    for j, x in enumerate(plan.inputs):
        rows[j, 1 + 2 * j] = x.low
        rows[j, 2 + 2 * j] = x.high
    pos = [plan.contest_ids.index(c) for c in ids]
    B = plan.balances(rows)
    out = []
    for cid, c in zip(ids, pos, strict=True):
        bars = []
        for j in plan.contest_inputs[cid]:
            x = plan.inputs[j]
            lo, hi = _num(B[c, 1 + 2 * j]), _num(B[c, 2 + 2 * j])
            swing = None if lo is None or hi is None else round_sig(abs(hi - lo))
            bars.append(
                {
                    "input": x.target,
                    "input_low": x.low,
                    "input_estimate": x.estimate,
                    "input_high": x.high,
                    "balance_low": lo,
                    "balance_high": hi,
                    "swing": swing,
                }
            )
        bars.sort(key=_by_swing)
        base = _num(B[c, 0])
        con = m.catalog.contest(cid)
        assert con is not None  # ids were checked above
        out.append(
            {
                "contest": cid,
                "title": con.title,
                "critical": con.critical,
                "balance": base,
                "verdict": verdict(base, m.catalog.thresholds.matched, m.catalog.thresholds.offset),
                "bars": bars,
            }
        )
    return out


def sobol(
    m: Matchup, contest_id: str, samples: int = DEFAULT_SOBOL_SAMPLES, seed: int = 0
) -> dict[str, Any]:
    """Sobol first-order and total indices of one contest's balance (via SALib).

    Parameters
    ----------
    m : Matchup
    contest_id : str
    samples : int
        Base sample count N, rounded up to a power of two; the balance is
        evaluated N·(k + 2) times for the contest's k ranged inputs.
    seed : int
        Seeds the scrambled Sobol sequence and the bootstrap.

    Returns
    -------
    dict
        ``{"contest", "samples", "seed", "evaluations", "indices", "note"}``;
        ``indices`` maps each input the contest reads to ``{"S1", "S1_conf",
        "ST", "ST_conf"}`` (95 % bootstrap half-widths), or is None with a
        ``note`` when the indices are undefined (the contest is uncontested in
        some samples). A balance that no input moves gets indices of 0.

    Raises
    ------
    SelectionError
        An unknown contest id.
    SamplingError
        ``samples`` or ``seed`` out of range.
    """
    import warnings

    import numpy as np

    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise SamplingError(f"--samples must be an integer of at least 2 (got {samples!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SamplingError(f"--seed must be a non-negative integer (got {seed!r})")
    plan = compile_plan(m)
    (cid,) = _contest_ids(plan, contest_id)
    idx = list(plan.contest_inputs[cid])
    n_base = 1 << max(1, (samples - 1).bit_length())
    out: dict[str, Any] = {
        "contest": cid,
        "samples": n_base,
        "seed": seed,
        "evaluations": 0,
        "indices": {},
        "note": None,
    }
    if not idx:
        return out
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    names = [plan.inputs[j].target for j in idx]
    problem = {"num_vars": len(idx), "names": names, "bounds": [[0.0, 1.0]] * len(idx)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    U = np.clip(U, 0.0, 1.0)
    rows = _base_rows(plan, U.shape[0])
    for r, j in enumerate(idx):
        rows[j] = plan.inputs[j].ppf(U[:, r])
    c = plan.contest_ids.index(cid)
    Y = plan.balances(rows)[c]
    out["evaluations"] = int(Y.size)
    if np.isnan(Y).any():
        out["indices"] = None
        out["note"] = "uncontested in some samples: Sobol indices of the balance are undefined"
        return out
    if float(np.ptp(Y)) == 0.0:
        zero = {"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
        out["indices"] = {name: dict(zero) for name in names}
        return out
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        # SALib treats a falsy seed as "use numpy's global generator": pass a
        # non-zero seed derived from ours so that seed 0 is reproducible too
        boot_seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1
        Si = sobol_analyze.analyze(
            problem, Y, calc_second_order=False, num_resamples=100, seed=boot_seed
        )
    out["indices"] = {
        name: {
            "S1": round_sig(float(Si["S1"][r]), 6),
            "S1_conf": round_sig(float(Si["S1_conf"][r]), 6),
            "ST": round_sig(float(Si["ST"][r]), 6),
            "ST_conf": round_sig(float(Si["ST_conf"][r]), 6),
        }
        for r, name in enumerate(names)
    }
    return out


def sensitivity(
    m: Matchup,
    contest_id: str | Sequence[str] | None = None,
    *,
    top: int | None = 10,
    samples: int = DEFAULT_SOBOL_SAMPLES,
    seed: int = 0,
    with_sobol: bool = True,
) -> dict[str, Any]:
    """Tornado and Sobol indices per contest, as plain data for tables and charts.

    Parameters
    ----------
    m : Matchup
    contest_id : str, list of str or None
        None: every critical contest.
    top : int or None
        Keep the ``top`` inputs with the largest swing per contest (None: all).
    samples, seed : int
        Sobol base sample count and seed (see :func:`sobol`).
    with_sobol : bool
        False skips the Sobol indices (tornado only, instant).

    Returns
    -------
    dict
        ``{"blue", "red", "as_of", "samples", "seed", "contests": [...]}``; each
        contest is a :func:`tornado` entry whose ``bars`` (top ``top``) also
        carry ``sobol_first``, ``sobol_first_conf``, ``sobol_total`` and
        ``sobol_total_conf`` (None without Sobol), plus ``inputs`` (how many
        ranged inputs the contest reads) and ``sobol_note``.

    Examples
    --------
    >>> # data = sensitivity(matchup, top=5)
    >>> # for c in data["contests"]: chart(c["title"], c["bars"])
    """
    if top is not None and top < 1:
        raise SamplingError(f"--top must be at least 1 (got {top})")
    contests = tornado(m, contest_id)
    for con in contests:
        ind: dict[str, Any] | None = {}
        note = None
        if with_sobol:
            s = sobol(m, con["contest"], samples, seed)
            ind, note = s["indices"], s["note"]
        con["inputs"] = len(con["bars"])
        con["bars"] = con["bars"][:top] if top is not None else con["bars"]
        for bar in con["bars"]:
            got = (ind or {}).get(bar["input"])
            bar["sobol_first"] = got["S1"] if got else None
            bar["sobol_first_conf"] = got["S1_conf"] if got else None
            bar["sobol_total"] = got["ST"] if got else None
            bar["sobol_total_conf"] = got["ST_conf"] if got else None
        con["sobol_note"] = note
    return {
        "blue": m.blue.side,
        "red": m.red.side,
        "as_of": {m.blue.side: m.blue.as_of.isoformat(), m.red.side: m.red.as_of.isoformat()},
        "samples": (1 << max(1, (samples - 1).bit_length())) if with_sobol else None,
        "seed": seed if with_sobol else None,
        "contests": contests,
    }
