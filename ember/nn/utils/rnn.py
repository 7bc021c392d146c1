"""Packed and padded sequences (as ``torch.nn.utils.rnn``).

>>> p = pack_sequence([ember.ones(3), ember.ones(2)])
>>> p.batch_sizes
tensor([2, 2, 1])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import ember

__all__ = [
    "PackedSequence",
    "pad_sequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpad_sequence",
    "unpack_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence", "data batch_sizes sorted_indices unsorted_indices")
):
    """Time-major concatenation of sequences sorted by decreasing length; ``batch_sizes[t]`` is
    how many sequences are longer than ``t``."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _invert(perm):
    inv = np.empty(len(perm), dtype=np.int64)
    inv[np.asarray(perm.tolist(), dtype=np.int64)] = np.arange(len(perm))
    return ember.tensor(inv)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length tensors ``(L_i, *)`` into ``(L_max, B, *)`` (or ``(B, L_max, *)``).

    >>> pad_sequence([ember.ones(2), ember.ones(1)]).shape
    ember.Size([2, 2])
    """
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, ember.Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    n = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        if s.shape[0] < n:
            pad = ember.full((n - s.shape[0], *s.shape[1:]), padding_value, dtype=s.dtype)
            s = ember.cat([s, pad] if padding_side == "right" else [pad, s])
        rows.append(s)
    return ember.stack(rows, 0 if batch_first else 1)


def _lengths_list(lengths):
    if isinstance(lengths, ember.Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` whose sequence ``b`` has ``lengths[b]`` valid steps."""
    lengths = _lengths_list(lengths)
    batch = input.shape[0 if batch_first else 1]
    if len(lengths) != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
            f"(batch_size={batch})"
        )
    if any(v <= 0 for v in lengths):
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
    else:
        order = np.argsort(-np.asarray(lengths), kind="stable")
        sorted_indices = ember.tensor(order.astype(np.int64))
        lengths = [lengths[i] for i in order]
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = [sum(v > t for v in lengths) for t in range(lengths[0])]
    data = ember.cat([input[t, :bs] for t, bs in enumerate(batch_sizes)])
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of :func:`pack_padded_sequence`: returns ``(padded, lengths)``."""
    data, batch_sizes = sequence.data, [int(v) for v in sequence.batch_sizes.tolist()]
    n, b = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if total_length < n:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being {n}"
            )
    else:
        total_length = n
    rows, off = [], 0
    for bs in batch_sizes + [0] * (total_length - n):
        row = data[off : off + bs]
        off += bs
        if bs < b:
            pad = ember.full((b - bs, *data.shape[1:]), padding_value, dtype=data.dtype)
            row = ember.cat([row, pad])
        rows.append(row)
    out = ember.stack(rows, 0)
    lengths = np.array([sum(bs > i for bs in batch_sizes) for i in range(b)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)]
    if batch_first:
        out = out.transpose(0, 1)
    return out, ember.tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)``.

    >>> pack_sequence([ember.ones(1), ember.ones(2)], enforce_sorted=False).sorted_indices
    tensor([1, 0])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of its valid parts."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)  # in place, as torch does
    return [padded_sequences[i, :n] for i, n in enumerate(_lengths_list(lengths))]


def unpack_sequence(packed_sequences):
    """Split a :class:`PackedSequence` back into a list of tensors."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
