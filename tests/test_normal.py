"""Φ and Φ⁻¹ without scipy agree with scipy.special to machine precision."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qdb.normal import ndtr, ndtri


def test_against_scipy_on_a_grid() -> None:
    from scipy.special import ndtr as s_ndtr
    from scipy.special import ndtri as s_ndtri

    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 100_001), [2.0**-54, 1e-300, 1 - 2.0**-53]])
    np.testing.assert_allclose(ndtri(p), s_ndtri(p), rtol=1e-11, atol=5e-15)
    x = np.linspace(-30, 9, 100_001)
    np.testing.assert_allclose(ndtr(x), s_ndtr(x), rtol=1e-12, atol=0)


@given(st.floats(1e-300, 1 - 1e-16))
def test_inverse_round_trip(p: float) -> None:
    x = float(ndtri(p))
    assert abs(float(ndtr(x)) - p) <= 1e-14 * max(p, 1e-300) + 4e-16


def test_symmetry_and_centre() -> None:
    p = np.array([1e-9, 0.01, 0.3])
    np.testing.assert_array_equal(ndtri(1 - p), -ndtri(1 - (1 - p)))
    assert float(ndtri(0.5)) == 0.0 and float(ndtr(0.0)) == 0.5
