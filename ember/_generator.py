"""Random number generators. An ember Generator wraps NumPy's PCG64: the same seed gives the same
numbers in ember every time, but not the numbers torch's Mersenne Twister gives."""

from __future__ import annotations

import time

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed"]

_DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val


class Generator:
    """``ember.Generator(device='cpu')``: ``manual_seed``, ``seed``, ``initial_seed``,
    ``get_state`` / ``set_state`` (a uint8 tensor)."""

    def __init__(self, device="cpu"):
        from ._device import device as _device

        self.device = _device(device)
        self._seed = _DEFAULT_SEED
        self._np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise RuntimeError(f"Overflow when unpacking long ({seed})")
        self._seed = seed % 2**64
        self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        s = int(time.time_ns() ^ np.random.SeedSequence().entropy) % 2**63
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (48 bytes: seed, PCG64 state and increment,
        the cached 32-bit half)."""
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
        raw = bytes(np.asarray(new_state, dtype=np.uint8).reshape(-1))
        if len(raw) != 48:
            raise RuntimeError(
                f"Expected either a ember.ByteTensor of size 48 as the generator state, got "
                f"{len(raw)} bytes"
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


def manual_seed(seed) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def numpy_rng(generator) -> np.random.Generator:
    return (generator or default_generator)._np
