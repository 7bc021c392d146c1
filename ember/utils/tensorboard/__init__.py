"""TensorBoard logging (as ``torch.utils.tensorboard``): ``SummaryWriter`` writes event files
that TensorBoard reads. Needs the ``tensorboard`` extra (``pip install ember[tensorboard]``):
the protobuf definitions and the event-file writer come from the ``tensorboard`` package, as
PyTorch's do.

>>> from ember.utils.tensorboard import SummaryWriter
>>> with SummaryWriter("runs/exp1") as w:                            # doctest: +SKIP
...     w.add_scalar("loss", 0.5, global_step=1)
"""

try:
    import tensorboard  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "ember.utils.tensorboard needs the 'tensorboard' extra: pip install 'ember[tensorboard]'"
    ) from e

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
