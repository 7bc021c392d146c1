"""ember.random: seeding and the state of the default generator, as ``torch.random``.

``manual_seed``, ``seed``, ``initial_seed``, ``get_rng_state`` and ``set_rng_state`` are the same
functions as ``ember.manual_seed`` and kin. The state is a uint8 tensor that replays the stream
exactly; ``fork_rng`` restores it on exit.

ember's generator is NumPy's PCG64, not torch's Mersenne Twister: a seed gives the same numbers
in ember every time, but not the numbers torch gives for it, and the state tensors of the two
cannot be exchanged.

>>> _ = ember.manual_seed(0)
>>> with ember.random.fork_rng():
...     a = ember.rand(2)
>>> bool((ember.rand(2) == a).all())  # the stream was restored
True
"""

from __future__ import annotations

import contextlib

from ._generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
    "set_rng_state", "fork_rng", "thread_safe_generator",
]  # fmt: skip


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):  # fmt: skip
    """Run a block and then put the CPU generator (and the listed GPUs' generators) back in the
    state it was in, so the block's draws leave the stream untouched. ``enabled=False`` does
    nothing.

    >>> with ember.random.fork_rng(devices=[]):
    ...     _ = ember.randn(3)
    """
    if device_type == "meta" or not enabled:
        yield
        return
    from . import cuda

    devices = list(range(cuda.device_count()) if devices is None else devices)
    if devices:
        cuda._require()  # as torch: naming GPUs where there are none is an error
    # ember's samples on any device come from the CPU generator; GPU states are kept too
    # where ember.cuda has them
    get_gpu, set_gpu = getattr(cuda, "get_rng_state", None), getattr(cuda, "set_rng_state", None)
    cpu_state = get_rng_state()
    gpu_states = [get_gpu(d) for d in devices] if get_gpu else []
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for d, state in zip(devices, gpu_states):
            set_gpu(state, d)


def thread_safe_generator():
    """The generator of the current DataLoader thread worker, or None (the default generator)
    elsewhere, as torch's."""
    try:
        from .utils.data import get_worker_info
    except ImportError:  # no DataLoader: no workers
        return None
    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread":
        rng = getattr(info, "rng", None)
        return getattr(rng, "torch_generator", None) if rng is not None else None
    return None
