"""Random number generators. An ember Generator wraps NumPy's PCG64: the same seed gives the same
numbers in ember every time, but not the numbers torch's Mersenne Twister gives.

>>> g = ember.Generator().manual_seed(0)
>>> state = g.get_state(); a = ember.rand(3, generator=g)
>>> _ = g.set_state(state); bool((ember.rand(3, generator=g) == a).all())
True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
    "set_rng_state",
]  # fmt: skip

_STATE_BYTES = 48  # seed (8), PCG64 state (16) and increment (16), the cached 32-bit half (8)


def _entropy_seed() -> int:
    return int(np.random.SeedSequence().entropy) % 2**63


class Generator:
    """A source of random numbers: ``manual_seed``, ``seed``, ``initial_seed``, and
    ``get_state`` / ``set_state`` (a uint8 tensor that restores the stream exactly)."""

    def __init__(self, device="cpu"):
        from ._device import canonical

        self.device = canonical(device)  # a CUDA generator needs CUDA
        self._seed = 67280421310721  # torch's default_rng_seed_val
        self._np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed) -> Generator:
        """Reseed; any int in [-2**63, 2**64) (negative ones wrap, as in torch). Returns self."""
        if not isinstance(seed, int):
            if isinstance(seed, np.generic):
                raise TypeError("an integer is required")
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % 2**64
        self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        s = _entropy_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor."""
        from ._tensor import Tensor

        st = self._np.bit_generator.state
        s = st["state"]
        raw = (
            self._seed.to_bytes(8, "little")
            + s["state"].to_bytes(16, "little")
            + s["inc"].to_bytes(16, "little")
            + int(st["has_uint32"]).to_bytes(4, "little")
            + int(st["uinteger"]).to_bytes(4, "little")
        )
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state``; the stream continues from where it was taken."""
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a ember.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype.name != "uint8":
            raise TypeError("RNG state must be a ember.ByteTensor")
        raw = bytes(np.ascontiguousarray(new_state._data.get() if hasattr(new_state._data, "get")
                                         else new_state._data))  # fmt: skip
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {len(raw)}"
            )
        self._seed = int.from_bytes(raw[:8], "little")
        bg = np.random.PCG64()
        bg.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[8:24], "little"),
                      "inc": int.from_bytes(raw[24:40], "little")},
            "has_uint32": int.from_bytes(raw[40:44], "little"),
            "uinteger": int.from_bytes(raw[44:48], "little"),
        }  # fmt: skip
        self._np = np.random.Generator(bg)
        return self

    def __repr__(self) -> str:
        return f"<ember._C.Generator object at {hex(id(self))}>"


default_generator = Generator()
# as torch: without manual_seed, every run draws different numbers
default_generator.manual_seed(_entropy_seed())


def manual_seed(seed) -> Generator:
    """Seed the default generator; returns it.

    >>> _ = ember.manual_seed(0); a = ember.rand(2); _ = ember.manual_seed(0)
    >>> bool((a == ember.rand(2)).all())
    True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def numpy_rng(generator) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one when None)."""
    if generator is None:
        return default_generator._np
    if not isinstance(generator, Generator):
        raise TypeError(
            f"argument 'generator' must be ember.Generator, not {type(generator).__name__}"
        )
    return generator._np


# -- sampling kernels: NumPy arrays in a NumPy dtype, drawn as torch's CPU kernels draw them ----


def _work(npdt):
    """The dtype torch computes a sample of ``npdt`` in: double for double, float otherwise."""
    return np.float64 if npdt == np.float64 else np.float32


def uniform(rng, shape, npdt, low=0.0, high=1.0) -> np.ndarray:
    """Uniform on [low, high) in ``npdt`` (a real float dtype), as torch draws it: a float with
    24 random bits (53 for float64) scaled to ``x * (high - low) + low``, rounded to the dtype;
    a value that rounds up to ``high`` becomes ``low``."""
    w = _work(npdt)
    x = rng.random(shape, dtype=w)
    scaled = low != 0.0 or high != 1.0
    if scaled:
        x = x * (w(high) - w(low)) + w(low)
    x = x.astype(npdt, copy=False)
    if scaled or x.dtype.itemsize == 2:  # [0, 1) in float or double never rounds up to 1
        x[x == np.asarray(high).astype(npdt)] = low
    return x


def normal(rng, shape, npdt, mean=0.0, std=1.0) -> np.ndarray:
    """Normal samples in ``npdt`` (a real float dtype), computed in float (double for float64)."""
    w = _work(npdt)
    z = rng.standard_normal(shape, dtype=w)
    if mean != 0.0 or std != 1.0:
        z = z * w(std) + w(mean)
    return z.astype(npdt, copy=False)


def sample(kernel, rng, shape, npdt, *args) -> np.ndarray:
    """``kernel(rng, shape, npdt, *args)``; a complex dtype draws its real and imaginary parts
    with the kernel, as torch samples a complex tensor viewed as real pairs."""
    npdt = np.dtype(npdt)
    if npdt.kind != "c":
        return kernel(rng, shape, npdt, *args)
    real = np.dtype(np.float32 if npdt == np.complex64 else np.float64)
    return kernel(rng, tuple(shape) + (2,), real, *args).view(npdt)[..., 0]
