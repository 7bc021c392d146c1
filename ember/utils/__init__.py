"""ember.utils: data loading, checkpointing, benchmarking and other helpers."""

from . import checkpoint as checkpoint
from . import data as data
from . import dlpack as dlpack
