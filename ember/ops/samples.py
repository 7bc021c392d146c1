"""Sample inputs for the op sweep (tests/test_op_sweep.py), kept beside each op's definition.

A sample function takes a NumPy Generator and returns a list of ``(args, kwargs)``. Float NumPy
arrays in ``args`` become tensors (requiring grad in the gradient checks); integer and bool
arrays become tensors that do not; anything else is passed as it is. The sweep also runs a
non-contiguous copy of every sample with 2-d or larger arrays.
"""

from __future__ import annotations

import numpy as np

UNARY_SHAPES = [(), (5,), (2, 3), (0, 3), (2, 3, 4)]
BINARY_SHAPES = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((4,), ()),
    ((0, 3), (3,)),
]


def arr(rng, shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def away(rng, shape, low, high, gap=0.1):
    """Values in [low, high] kept ``gap`` away from 0 (kinks and poles)."""
    a = rng.uniform(low, high, shape)
    return np.where(np.abs(a) < gap, np.copysign(gap, a) + a, a)


def unary(low=-2.0, high=2.0, gap=0.0, **kw):
    def make(rng):
        gen = (
            (lambda s: away(rng, s, low, high, gap)) if gap else (lambda s: arr(rng, s, low, high))
        )
        return [((gen(s),), dict(kw)) for s in UNARY_SHAPES]

    return make


def binary(low=-2.0, high=2.0, gap=0.0, scalars=(2.5,), low2=None, high2=None, **kw):
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2

    def make(rng):
        g1 = (lambda s: away(rng, s, low, high, gap)) if gap else (lambda s: arr(rng, s, low, high))
        g2 = ((lambda s: away(rng, s, low2, high2, gap)) if gap
              else (lambda s: arr(rng, s, low2, high2)))  # fmt: skip
        out = [((g1(a), g2(b)), dict(kw)) for a, b in BINARY_SHAPES]
        out += [((g1((2, 3)), s), dict(kw)) for s in scalars]
        return out

    return make


def compare():
    def make(rng):
        out = []
        for a, b in BINARY_SHAPES:
            x = rng.integers(-2, 3, a).astype(np.float64)
            y = rng.integers(-2, 3, b).astype(np.float64)
            out.append(((x, y), {}))
        out.append(((rng.integers(-2, 3, (2, 3)).astype(np.float64), 1.0), {}))
        return out

    return make


def with_kwargs(make, *variants, n=2):
    """``make``'s samples, then its first ``n`` again with each kwargs dict of ``variants``."""

    def more(rng):
        base = make(rng)
        return base + [(args, {**kw, **v}) for v in variants for args, kw in base[:n]]

    return more


def integers(low=-5, high=6, nonzero=False, scalars=(3,), unary=False):
    """Integer arrays (int64, int32 and uint8 mixed in), optionally without zeros; ``unary``
    gives one array per sample, else pairs over BINARY_SHAPES plus Python-int scalars."""

    def ints(rng, shape, dtype=np.int64):
        a = rng.integers(low, high, shape)
        if nonzero:
            a = np.where(a == 0, 1, a)
        return a.astype(dtype)

    def make(rng):
        if unary:
            return [((ints(rng, s),), {}) for s in UNARY_SHAPES]
        out = [((ints(rng, a), ints(rng, b)), {}) for a, b in BINARY_SHAPES]
        out.append(((ints(rng, (2, 3), np.int32), ints(rng, (3,))), {}))
        if low >= 0:
            out.append(((ints(rng, (2, 3), np.uint8), ints(rng, (3,), np.int32)), {}))
        out += [((ints(rng, (2, 3)), s), {}) for s in scalars]
        return out

    return make


def booleans(nin=2, scalar=True):
    """Bool arrays for logical, bitwise and comparison ops (``scalar``: also a Python bool)."""

    def make(rng):
        b = [rng.uniform(size=s) > 0.5 for s in ((2, 3), (3,), (0, 3))]
        if nin == 1:
            return [((x,), {}) for x in b]
        return [((b[0], b[1]), {}), ((b[2], b[1]), {})] + [((b[0], True), {})] * scalar

    return make


def concat(*makes):
    """The samples of several sample functions, in order."""

    def make(rng):
        return [s for m in makes for s in m(rng)]

    return make
