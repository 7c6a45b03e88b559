"""Monte Carlo over the ``{low, estimate, high}`` ranges of the data (pure, vectorised).

Every ranged number the assessment reads is an *uncertain input*, named by its
what-if target (``russia:geran2.per_day``, ``ukraine:training.air``,
``catalog:classes.lr_sam.pk``, ``catalog:contests.strike.threat.cruise``).
Each is drawn from the triangular distribution ``(low, estimate, high)``;
inputs named together in ``catalog.correlations`` are drawn through a Gaussian
copula so that their rank (Spearman) correlation is the declared ``rho``.

The evaluation is the engine itself (:func:`qdb.contests.evaluate`): the point
assessment is one column of its value matrix, a chunk of samples is many
columns of the same code — there is no second copy of the laws. Samples run in
chunks so memory
stays bounded whatever the sample count; percentiles are exact (linear
interpolation, as numpy's default) with bounded memory (:class:`_Quantiles`).

Determinism: each input has its own random stream, a PCG64DXSM generator
seeded by ``SeedSequence(seed, spawn_key=(hash of the input's name,))``, and
sample ``i`` takes the ``i``-th 64-bit word of every stream. A sample's draws
therefore depend on the seed and nothing else — not the sample count, the
chunk size, the number of worker threads, the machine or the other inputs
present (common random numbers for what-if comparisons). No global seeding.

Three separate steps, as in EMA Workbench: sample (:func:`sample_inputs`),
evaluate (:func:`evaluate_balances`), summarise (:func:`monte_carlo`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qdb.contests.plan import Plan, UncertainInput, compile_plan
from qdb.errors import QdbError
from qdb.models import Matchup
from qdb.results import round_sig
from qdb.verdicts import at_least

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "MAX_WORKERS",
    "MonteCarloResult",
    "Plan",
    "SamplingError",
    "UncertainInput",
    "evaluate_balances",
    "monte_carlo",
    "sample_inputs",
    "uncertain_inputs",
]

MAX_WORKERS = 2
"""Threads that draw and evaluate at once (bounded by the CPUs)."""

PERCENTILES = (5, 50, 95)
"""The balance percentiles reported (``balance_p05``, ``balance_p50``, ``balance_p95``)."""

ELEMENT_BUDGET = 4_000_000
"""Most drawn numbers held at once (inputs x samples of a chunk): ~32 MB."""

STORE_CAP = 12_000_000
"""Most balances kept for exact percentiles before switching to bracketing."""

_HALF_ULP = 2.0**-54


class SamplingError(QdbError, ValueError):
    """Monte Carlo settings or declared correlations that cannot be used."""


# ---------------------------------------------------------------------------
# Uncertain inputs
# ---------------------------------------------------------------------------


def _balances(plan: Plan, rows: FloatArray) -> FloatArray:
    """Balances (contests x samples) of input-major draws ``rows``."""
    from qdb.contests import evaluate

    return evaluate(plan, plan.values(rows)).balance


def uncertain_inputs(m: Matchup) -> list[UncertainInput]:
    """The ranged numbers (``low < high``) that the engine reads from ``m``.

    Contest ``weight`` (it only weights the index) and class ``unit_cost_musd``
    are not inputs of the balances and are not drawn.
    """
    return list(compile_plan(m).inputs)


# ---------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Copula:
    """Correlated inputs: their indices and the factor L of the normal-space matrix."""

    index: tuple[int, ...]
    factor: tuple[tuple[float, ...], ...]


def _resolve_target(m: Matchup, text: str) -> tuple[str | None, str]:
    """The canonical input name of a correlation target, or None and why not."""
    from qdb.errors import SelectionError
    from qdb.targets import Target, get_estimate, parse_target

    try:
        t = parse_target(text)
    except ValueError as exc:
        raise SamplingError(f"catalog correlations: {text!r}: {exc}") from None
    if t.scope != "catalog":
        try:
            side = m.side(t.scope).side
        except SelectionError:
            return None, f"side {t.scope!r} is not in this matchup"
        t = Target(side, t.kind, t.key, t.field)
    try:
        e = get_estimate(m, t)
    except LookupError as exc:
        return None, f"{exc} in the chosen snapshots"
    if e is None or not e.uncertain:
        return None, "it is not ranged (low < high)"
    return str(t), "it does not affect any contest"


def _copula(m: Matchup, inputs: Sequence[UncertainInput]) -> tuple[_Copula | None, list[str]]:
    """Build the Gaussian copula of the declared correlations (validated PSD)."""
    warnings: list[str] = []
    names = {x.target: i for i, x in enumerate(inputs)}
    pairs: dict[tuple[int, int], tuple[float, str]] = {}
    for corr in m.catalog.correlations:
        a_text, b_text = corr.between
        label = f"between {a_text} and {b_text} (rho {corr.rho:g})"
        idx = []
        for text in (a_text, b_text):
            name, why = _resolve_target(m, text)
            if name is None or name not in names:
                warnings.append(f"correlation {label} ignored: {text}: {why}")
                break
            idx.append(names[name])
        else:
            i, j = sorted(idx)
            if i == j:
                warnings.append(f"correlation {label} ignored: both name the same input")
                continue
            if (i, j) in pairs:
                raise SamplingError(
                    f"catalog correlations: {inputs[i].target} and {inputs[j].target} are "
                    "correlated twice; declare each pair once"
                )
            pairs[(i, j)] = (corr.rho, label)
    if not pairs:
        return None, warnings
    import numpy as np

    index = sorted({k for ij in pairs for k in ij})
    pos = {k: n for n, k in enumerate(index)}
    C = np.eye(len(index))
    for (i, j), (rho, _) in pairs.items():
        # rank correlation rho_S of a Gaussian copula: rho_S = 6/pi * asin(r/2)
        r = 2.0 * math.sin(math.pi * rho / 6.0)
        C[pos[i], pos[j]] = C[pos[j], pos[i]] = r
    low = float(np.linalg.eigvalsh(C).min())
    if low < -1e-10:
        labels = "; ".join(label for _, label in pairs.values())
        raise SamplingError(
            "catalog correlations are inconsistent: no joint distribution has them all "
            f"(the implied correlation matrix is not positive semi-definite; smallest "
            f"eigenvalue {low:.3g}). Correlations: {labels}"
        )
    try:
        L = np.linalg.cholesky(C)
    except np.linalg.LinAlgError:  # singular but PSD
        w, V = np.linalg.eigh(C)
        L = V * np.sqrt(np.clip(w, 0.0, None))
    factor = tuple(tuple(float(x) for x in row) for row in L)
    return _Copula(tuple(index), factor), warnings


class _Sampler:
    """Draws input-major sample matrices sequentially from sample ``start`` on.

    Input ``j`` owns one PCG64DXSM stream seeded by ``SeedSequence(seed,
    spawn_key=(stream_key,))``; sample ``i`` takes the stream's ``i``-th 64-bit
    word (reached with ``advance``), so a sample's draws depend on nothing but
    the seed, the input's name and ``i``.
    """

    def __init__(
        self,
        inputs: Sequence[UncertainInput],
        seed: int,
        copula: _Copula | None,
        start: int = 0,
    ) -> None:
        import numpy as np

        self.inputs = list(inputs)
        self.copula = copula
        self._bgs = []
        for x in self.inputs:
            bg = np.random.PCG64DXSM(np.random.SeedSequence(seed, spawn_key=(x.stream_key,)))
            if start:
                bg.advance(start)
            self._bgs.append(bg)
        self._buf: FloatArray | None = None
        self._tmp: FloatArray = np.empty(0)
        corr = set(copula.index) if copula else set()
        self._independent = [j for j in range(len(self.inputs)) if j not in corr]

    def draw(self, n: int) -> FloatArray:
        """Rows of input values for the next ``n`` samples.

        The array is reused by the next call: copy what must outlive it.
        """
        import numpy as np

        P = len(self.inputs)
        if self._buf is None or self._buf.shape[1] < n:
            self._buf = np.empty((P, n), dtype=np.float64)
            self._tmp = np.empty(n, dtype=np.float64)
        out, tmp = self._buf[:, :n], self._tmp[:n]
        for j in self._independent:
            self.inputs[j]._from_words(self._bgs[j].random_raw(n), out[j], tmp)
        if self.copula is not None:
            from qdb.normal import ndtr, ndtri

            idx = list(self.copula.index)
            Z = np.empty((len(idx), n), dtype=np.float64)
            for r, k in enumerate(idx):
                words = self._bgs[k].random_raw(n)
                np.multiply(np.right_shift(words, np.uint64(11)), 2.0**-53, out=Z[r])
                Z[r] += _HALF_ULP
            Z = ndtri(Z)
            for r, k in enumerate(idx):
                z = np.zeros(n)
                for c, f in enumerate(self.copula.factor[r]):
                    if f != 0.0:
                        z += f * Z[c]
                out[k] = self.inputs[k].ppf(ndtr(z))
        return out


def _check(samples: int, seed: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise SamplingError(f"--samples must be a positive integer (got {samples!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SamplingError(f"--seed must be a non-negative integer (got {seed!r})")


def sample_inputs(
    m: Matchup, samples: int, seed: int = 0
) -> tuple[list[UncertainInput], FloatArray]:
    """Draw every uncertain input of ``m``: the sample matrix of :func:`monte_carlo`.

    Parameters
    ----------
    m : Matchup
    samples : int
        Number of samples (rows).
    seed : int
        Non-negative seed; sample ``i`` is the same whatever ``samples``.

    Returns
    -------
    inputs : list of UncertainInput
        The columns, as :func:`uncertain_inputs` lists them.
    X : ndarray, shape (samples, len(inputs))
        Drawn values.

    Examples
    --------
    >>> # inputs, X = sample_inputs(matchup, 100, seed=0)
    """
    import numpy as np

    _check(samples, seed)
    plan = compile_plan(m)
    cop, _ = _copula(m, plan.inputs)
    sampler = _Sampler(plan.inputs, seed, cop)
    X = np.empty((samples, len(plan.inputs)), dtype=np.float64)
    step = max(1, ELEMENT_BUDGET // max(1, len(plan.inputs)))
    for start in range(0, samples, step):
        n = min(step, samples - start)
        X[start : start + n] = sampler.draw(n).T
    return list(plan.inputs), X


def evaluate_balances(m: Matchup, X: FloatArray) -> FloatArray:
    """Balances of every contest (catalog order) for each row of a sample matrix.

    Parameters
    ----------
    m : Matchup
    X : ndarray, shape (n, len(uncertain_inputs(m)))

    Returns
    -------
    ndarray, shape (n, number of contests)
        NaN where a contest is uncontested.
    """
    import numpy as np

    plan = compile_plan(m)
    rows = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
    if rows.shape[0] != len(plan.inputs):
        raise SamplingError(f"expected {len(plan.inputs)} input columns, got {rows.shape[0]}")
    return _balances(plan, rows).T


# ---------------------------------------------------------------------------
# Exact percentiles with bounded memory
# ---------------------------------------------------------------------------


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation between neighbouring order statistics."""
    d = b - a
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


def _rank(n: int, pct: int) -> tuple[int, float]:
    """Virtual index ``(n-1)·pct/100`` split exactly into (floor, fraction)."""
    k, rem = divmod((n - 1) * pct, 100)
    return k, rem / 100.0


class _BracketMiss(Exception):
    pass


class _Quantiles:
    """Exact linear-interpolation percentiles of a stream, in bounded memory.

    Values are kept until ``cap``; then the kept values (a pilot sample) give,
    per percentile, a bracket ``[lo, hi]`` wide by ``z`` binomial standard
    errors, and only the count below ``lo``, the counts equal to ``lo``/``hi``
    and the values strictly inside are kept. The result is the same as with
    every value kept; if a bracket misses (probability of order 1e-15), the
    caller repeats the pass keeping everything.
    """

    def __init__(self, pcts: Sequence[int], cap: int, z: float = 8.0) -> None:
        self.pcts = list(pcts)
        self.cap = cap
        self.z = z
        self.n = 0
        self.parts: list[FloatArray] = []
        self.brackets: list[tuple[float, float]] | None = None
        self.below = [0] * len(self.pcts)
        self.eq_lo = [0] * len(self.pcts)
        self.eq_hi = [0] * len(self.pcts)
        self.inside: list[list[FloatArray]] = [[] for _ in self.pcts]

    def add(self, x: FloatArray) -> None:
        self.n += x.size
        if self.brackets is None:
            self.parts.append(x)  # callers pass a fresh array (boolean indexing copies)
            if self.n > self.cap:
                self._switch()
        else:
            self._count(x)

    def _switch(self) -> None:
        import numpy as np

        data = np.sort(np.concatenate(self.parts))
        self.parts = []
        n0 = data.size
        br = []
        for pct in self.pcts:
            q = pct / 100.0
            d = self.z * math.sqrt(q * (1.0 - q) / n0) + 2.0 / n0
            ql, qh = q - d, q + d
            lo = float(data[math.floor(ql * (n0 - 1))]) if ql > 0 else -math.inf
            hi = float(data[math.ceil(qh * (n0 - 1))]) if qh < 1 else math.inf
            br.append((lo, hi))
        self.brackets = br
        self._count(data)

    def _count(self, x: FloatArray) -> None:
        import numpy as np

        assert self.brackets is not None
        for i, (lo, hi) in enumerate(self.brackets):
            self.below[i] += int(np.count_nonzero(x < lo))
            self.eq_lo[i] += int(np.count_nonzero(x == lo))
            if hi != lo:
                self.eq_hi[i] += int(np.count_nonzero(x == hi))
            inside = x[(x > lo) & (x < hi)]
            if inside.size:
                self.inside[i].append(inside)

    def result(self) -> list[float | None]:
        """The percentiles (None when no value was added); raises _BracketMiss."""
        import numpy as np

        if self.n == 0:
            return [None] * len(self.pcts)
        out: list[float | None] = []
        if self.brackets is None:
            data = np.concatenate(self.parts)
            ranks = [_rank(self.n, pct) for pct in self.pcts]
            kth = sorted({j for k, _ in ranks for j in (k, min(k + 1, self.n - 1))})
            data.partition(kth)  # one pass places every order statistic needed
            for k, t in ranks:
                out.append(_lerp(float(data[k]), float(data[min(k + 1, self.n - 1)]), t))
            return out
        for i, pct in enumerate(self.pcts):
            lo, hi = self.brackets[i]
            inside = np.sort(np.concatenate(self.inside[i])) if self.inside[i] else np.empty(0)

            def at(
                r: int, i: int = i, lo: float = lo, hi: float = hi, inside: Any = inside
            ) -> float:
                r -= self.below[i]
                if r < 0:
                    raise _BracketMiss
                if r < self.eq_lo[i]:
                    return lo
                r -= self.eq_lo[i]
                if r < inside.size:
                    return float(inside[r])
                r -= inside.size
                if r < self.eq_hi[i]:
                    return hi
                raise _BracketMiss

            k, t = _rank(self.n, pct)
            k1 = min(k + 1, self.n - 1)
            out.append(_lerp(at(k), at(k1), t))
        return out


# ---------------------------------------------------------------------------
# The Monte Carlo run and its result
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MonteCarloResult:
    """Summary of a Monte Carlo run (see :func:`monte_carlo`).

    ``uncertainty`` maps contest id -> ``{p_matched_or_offset, balance_p05,
    balance_p50, balance_p95}``; floats are rounded to 12 significant digits,
    percentiles are None when the contest was uncontested in every sample.
    """

    samples: int
    seed: int
    p_certified: float
    uncertainty: dict[str, dict[str, float | None]]
    inputs: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    p_offset: dict[str, float] = field(default_factory=dict)

    def contest_uncertainty(self, contest_id: str) -> dict[str, float | None]:
        """The ``uncertainty`` block of one contest (a fresh dict).

        Raises
        ------
        KeyError
            No such contest in the run.
        """
        return dict(self.uncertainty[contest_id])


def _evaluated_chunks(
    plan: Plan, samples: int, seed: int, cop: _Copula | None, size: int, workers: int
) -> Iterator[tuple[int, FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]:
    """``(n, balances, holds, offset)`` per chunk; ``workers`` threads draw and evaluate.

    Each worker owns a contiguous range of samples and its own streams, so the
    draws of sample ``i`` never depend on the number of workers; numpy releases
    the GIL inside array operations, so two cores work at once. Chunks arrive in
    no fixed order: everything computed from them (counts, exact percentiles)
    is order-free.
    """
    if workers <= 1:
        sampler = _Sampler(plan.inputs, seed, cop)
        for start in range(0, samples, size):
            n = min(size, samples - start)
            bal = _balances(plan, sampler.draw(n))
            yield n, bal, at_least(bal, plan.matched), at_least(bal, plan.offset)
        return
    import queue
    import threading

    per = math.ceil(samples / workers / size) * size
    ranges = [(lo, min(lo + per, samples)) for lo in range(0, samples, per)]
    results: queue.Queue[Any] = queue.Queue(maxsize=2 * len(ranges))
    stop = threading.Event()
    done = object()

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work(lo: int, hi: int) -> None:
        try:
            sampler = _Sampler(plan.inputs, seed, cop, lo)
            for start in range(lo, hi, size):
                if stop.is_set():
                    return
                n = min(size, hi - start)
                bal = _balances(plan, sampler.draw(n))
                put((n, bal, at_least(bal, plan.matched), at_least(bal, plan.offset)))
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
        finally:
            put(done)

    threads = [threading.Thread(target=work, args=r, daemon=True) for r in ranges]
    for t in threads:
        t.start()
    try:
        finished = 0
        while finished < len(threads):
            item = results.get()
            if item is done:
                finished += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        for t in threads:
            t.join()


def monte_carlo(
    m: Matchup,
    samples: int,
    seed: int = 0,
    *,
    chunk_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
    plan: Plan | None = None,
) -> MonteCarloResult:
    """Draw every ranged input, evaluate every contest per sample, summarise.

    Parameters
    ----------
    m : Matchup
        Catalog and snapshots (edits applied).
    samples : int
        Number of samples (>= 1).
    seed : int
        Non-negative seed (default 0). Same seed, same result, whatever
        ``chunk_size`` or machine.
    chunk_size : int
        Most samples evaluated at once (memory bound; capped further so a chunk
        holds at most :data:`ELEMENT_BUDGET` drawn numbers).
    progress : callable, optional
        Called with the number of samples finished after each chunk.

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    SamplingError
        Bad ``samples``/``seed`` or inconsistent declared correlations.

    Notes
    -----
    ``p_matched_or_offset`` is the share of samples where the contest is
    matched, offset or uncontested; ``p_certified`` the share where every
    critical contest is. Percentiles are over the samples where the contest is
    contested (red has units), with linear interpolation; None if none is.

    Examples
    --------
    >>> # res = monte_carlo(matchup, 100_000, seed=1); res.p_certified
    """
    import numpy as np

    _check(samples, seed)
    plan = plan or compile_plan(m)
    cop, warnings = _copula(m, plan.inputs)
    P = max(1, len(plan.inputs))
    size = max(1, min(int(chunk_size), max(1024, ELEMENT_BUDGET // P)))
    C = len(plan.contest_ids)
    crit = np.array(plan.critical, dtype=bool)
    cap = max(1000, STORE_CAP // max(1, C))
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, math.ceil(samples / size)))

    def run(keep: Sequence[int], cap: int, report: bool) -> tuple[list[_Quantiles], Any, int]:
        quants = {i: _Quantiles(PERCENTILES, cap) for i in keep}
        held = np.zeros(C, dtype=np.int64)
        certified = 0
        for n, bal, ok, off in _evaluated_chunks(plan, samples, seed, cop, size, workers):
            held += ok.sum(axis=1)
            if report:
                np.add(offsets, off.sum(axis=1), out=offsets)
            certified += int(np.count_nonzero(ok[crit].all(axis=0)))
            for i in keep:
                row = bal[i]
                quants[i].add(row[~np.isnan(row)])
            if report and progress is not None:
                progress(n)
        return [quants[i] for i in keep], held, certified

    offsets = np.zeros(C, dtype=np.int64)
    quants, held, certified = run(range(C), cap, True)
    pcts: dict[int, list[float | None]] = {}
    missed = []
    for i, q in enumerate(quants):
        try:
            pcts[i] = q.result()
        except _BracketMiss:
            missed.append(i)
    if missed:  # astronomically rare: keep every value of those contests
        again, _, _ = run(missed, samples + 1, False)
        for i, q in zip(missed, again, strict=True):
            pcts[i] = q.result()
    unc: dict[str, dict[str, float | None]] = {}
    for i, cid in enumerate(plan.contest_ids):
        p05, p50, p95 = pcts[i]
        unc[cid] = {
            "p_matched_or_offset": round_sig(int(held[i]) / samples),
            "balance_p05": round_sig(p05),
            "balance_p50": round_sig(p50),
            "balance_p95": round_sig(p95),
        }
    return MonteCarloResult(
        samples=samples,
        seed=seed,
        p_certified=float(round_sig(certified / samples) or 0.0),
        uncertainty=unc,
        inputs=tuple(x.target for x in plan.inputs),
        warnings=warnings,
        p_offset={
            cid: float(round_sig(int(offsets[i]) / samples) or 0.0)
            for i, cid in enumerate(plan.contest_ids)
        },
    )
