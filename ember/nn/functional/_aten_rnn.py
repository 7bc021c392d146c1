"""Top-level aten-style ``ember.lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu`` and ``embedding_bag``.

torch exposes these as the kernels behind ``nn.LSTM``/``nn.GRU``/``nn.RNN`` (weights passed as
one flat list) and behind ``F.embedding_bag`` (which also returns its bookkeeping tensors).
They are thin wrappers: the recurrence runs through :meth:`RNNBase.forward` and the bag
reduction through :func:`F.embedding_bag`.

>>> w = [ember.ones(1, 3), ember.ones(1, 1)]
>>> out, h = ember.rnn_tanh(ember.zeros(5, 2, 3), ember.zeros(1, 2, 1), w, False, 1, 0.0,
...                         False, False, False)
>>> out.shape, h.shape
(ember.Size([5, 2, 1]), ember.Size([1, 2, 1]))
"""

from __future__ import annotations

import numpy as np

import ember

from ._sparse import _scale_grad_by_freq
from ._sparse import embedding_bag as _embedding_bag

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "embedding_bag"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class _FlatRNN:
    """Just the attributes :meth:`RNNBase.forward` reads, taken from a flat ``params`` list."""

    def __init__(self, mode, params, has_biases, num_layers, dropout, train, bidirectional,
                 batch_first):  # fmt: skip
        dirs = 2 if bidirectional else 1
        groups = num_layers * dirs
        per = len(params) // groups if groups > 0 else 0
        plain = 4 if has_biases else 2
        allowed = (plain, plain + 1) if mode == "LSTM" else (plain,)  # +1: LSTM's w_hr
        if groups <= 0 or len(params) != per * groups or per not in allowed:
            raise RuntimeError("got an incorrect number of RNN parameters")
        self.mode, self.num_layers, self.bidirectional = mode, num_layers, bidirectional
        self.dropout, self.training, self.batch_first = float(dropout), bool(train), batch_first
        self.bias, self._per, self._params = has_biases, per, list(params)
        self.hidden_size = params[0].shape[0] // _GATES[mode]
        self.input_size = params[0].shape[1]
        self.proj_size = params[per - 1].shape[0] if per == plain + 1 else 0

    def _layer_weights(self, layer, d):
        ps = self._params[(layer * (2 if self.bidirectional else 1) + d) * self._per :][: self._per]
        w_ih, w_hh = ps[0], ps[1]
        b_ih, b_hh = (ps[2], ps[3]) if self.bias else (None, None)
        return w_ih, w_hh, b_ih, b_hh, (ps[-1] if self.proj_size else None)


_NAMES = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}


def _run(mode, input, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
         bidirectional, batch_first):  # fmt: skip
    from ..modules.rnn import RNNBase
    from ..utils.rnn import PackedSequence

    lstm_mode = mode == "LSTM"
    if lstm_mode:
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        hx = tuple(hx)
    shim = _FlatRNN(mode, params, has_biases, num_layers, dropout, train, bidirectional,
                    batch_first)  # fmt: skip
    if batch_sizes is not None:
        input = PackedSequence(input, batch_sizes)
    elif input.ndim != 3:
        raise RuntimeError(f"{_NAMES[mode]}: expected a 3-D input, got {input.ndim}-D instead")
    # RNNBase.forward only reads plain attributes and ``_layer_weights`` from ``self``
    output, h = RNNBase.forward(shim, input, hx)
    if batch_sizes is not None:
        output = output.data
    return (output, *h) if lstm_mode else (output, h)


def _dispatch(mode, args, kwargs):
    """Pick torch's packed overload (``data, batch_sizes, hx, ...``) or the padded one."""
    if "data" in kwargs or "batch_sizes" in kwargs:
        packed = True
    elif mode == "LSTM":  # hx is a tuple, so a Tensor second argument is batch_sizes
        packed = len(args) > 1 and isinstance(args[1], ember.Tensor)
    else:  # hx is a Tensor, so a Tensor third argument means hx came after batch_sizes
        packed = len(args) > 2 and isinstance(args[2], ember.Tensor)
    return (_packed if packed else _padded)(mode, *args, **kwargs)


def _padded(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):  # fmt: skip
    return _run(mode, input, None, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first)  # fmt: skip


def _packed(mode, data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
            bidirectional):  # fmt: skip
    return _run(mode, data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, False)  # fmt: skip


def lstm(*args, **kwargs) -> tuple:
    """Multi-layer LSTM over a flat weight list; returns ``(output, h_n, c_n)``.

    Overloads (as ``torch.lstm``): ``(input, hx, params, has_biases, num_layers, dropout,
    train, bidirectional, batch_first)`` and, for packed data, ``(data, batch_sizes, hx,
    params, has_biases, num_layers, dropout, train, bidirectional)``. ``hx`` is ``(h_0, c_0)``;
    ``params`` holds per layer and direction ``w_ih, w_hh[, b_ih, b_hh][, w_hr]``.

    >>> w = [ember.ones(8, 3), ember.ones(8, 2)]
    >>> h0 = (ember.zeros(1, 1, 2), ember.zeros(1, 1, 2))
    >>> [t.shape for t in ember.lstm(ember.ones(4, 1, 3), h0, w, False, 1, 0.0, False, False,
    ...                              False)]
    [ember.Size([4, 1, 2]), ember.Size([1, 1, 2]), ember.Size([1, 1, 2])]
    """
    return _dispatch("LSTM", args, kwargs)


def gru(*args, **kwargs) -> tuple:
    """Multi-layer GRU over a flat weight list; returns ``(output, h_n)``.

    Same overloads as :func:`lstm`, with ``hx`` a single tensor.

    >>> w = [ember.ones(6, 3), ember.ones(6, 2)]
    >>> out, h = ember.gru(ember.ones(4, 1, 3), ember.zeros(1, 1, 2), w, False, 1, 0.0, False,
    ...                    False, False)
    >>> out.shape
    ember.Size([4, 1, 2])
    """
    return _dispatch("GRU", args, kwargs)


def rnn_tanh(*args, **kwargs) -> tuple:
    """Multi-layer Elman RNN with ``tanh`` over a flat weight list; returns ``(output, h_n)``.

    Same overloads as :func:`gru`.
    """
    return _dispatch("RNN_TANH", args, kwargs)


def rnn_relu(*args, **kwargs) -> tuple:
    """Multi-layer Elman RNN with ``relu`` over a flat weight list; returns ``(output, h_n)``.

    Same overloads as :func:`gru`.
    """
    return _dispatch("RNN_RELU", args, kwargs)


def _check_bag_args(weight, indices, offsets, mode, per_sample_weights, include_last_offset,
                    padding_idx):  # fmt: skip
    """torch's argument checks; returns ``padding_idx`` made non-negative (or None)."""
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    for name, t in (("indices", indices), ("offsets", offsets)):
        if t.dtype not in (ember.int64, ember.int32):
            raise RuntimeError(
                f"Expected tensor for argument #1 '{name}' to have one of the following scalar "
                f"types: Long, Int; but got {t.type()} instead (while checking arguments for "
                "embedding_bag)"
            )
    if indices.ndim != 1 or offsets.ndim != 1:
        raise RuntimeError(
            f"embedding_bag: expected 1-D indices and offsets, got indices of shape "
            f"{list(indices.shape)} and offsets of shape {list(offsets.shape)}"
        )
    if per_sample_weights is not None:
        if mode != 0:
            raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
        if per_sample_weights.numel() != indices.numel():
            raise RuntimeError(
                f"embedding_bag: per_sample_weights has {per_sample_weights.numel()} elements "
                f"but indices has {indices.numel()}"
            )
    n = weight.shape[0]
    if indices.numel():
        lo, hi = int(indices.min()), int(indices.max())
        if lo < 0 or hi >= n:
            raise RuntimeError(
                "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
                f"{lo if lo < 0 else hi}"
            )
    if offsets.numel() == 0:
        raise RuntimeError("embedding_bag: offsets has to hold at least one element")
    if int(offsets[0]) != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(offsets[0])}"
        )
    if int(offsets[-1]) > indices.shape[0]:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {indices.shape[0]} but got "
            f"offsets[-1] of {int(offsets[-1])}"
        )
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, {-n} through {n - 1}, "
                f"but got {padding_idx}"
            )
        padding_idx = padding_idx % n
    return padding_idx


def embedding_bag(
    weight,
    indices,
    offsets,
    scale_grad_by_freq=False,
    mode=0,
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
) -> tuple:
    """Bags of ``weight`` rows reduced by ``mode`` (0 sum, 1 mean, 2 max), as torch.embedding_bag.

    Returns ``(output, offset2bag, bag_size, max_indices)``: ``offset2bag[i]`` is the bag of
    ``indices[i]``; for mean/max ``bag_size`` counts the non-padding entries of each bag; for
    max ``max_indices[b, j]`` is the ``weight`` row that gave ``output[b, j]`` (0 for an empty
    bag). Sum mode gives zeros for ``bag_size``/``max_indices`` (torch's are unspecified
    scratch there) and mean mode repeats ``bag_size`` as ``max_indices``, as torch does.
    ``sparse`` is accepted; gradients are dense.

    >>> out, o2b, size, _ = ember.embedding_bag(ember.eye(3), ember.tensor([0, 2, 1]),
    ...                                         ember.tensor([0, 2]), mode=1)
    >>> out
    tensor([[0.5000, 0.0000, 0.5000],
            [0.0000, 1.0000, 0.0000]])
    >>> o2b, size
    (tensor([0, 0, 1]), tensor([2, 1]))
    """
    padding_idx = _check_bag_args(
        weight, indices, offsets, mode, per_sample_weights, include_last_offset, padding_idx
    )
    if scale_grad_by_freq:
        weight = _scale_grad_by_freq(weight, indices)
    output = _embedding_bag(
        indices, weight, offsets, mode=("sum", "mean", "max")[mode],
        per_sample_weights=per_sample_weights, include_last_offset=include_last_offset,
        padding_idx=padding_idx,
    )  # fmt: skip
    # the bookkeeping tensors torch returns for its backward, rebuilt from the arguments
    idx = indices.numpy().astype(np.int64)
    offs = offsets.numpy().astype(np.int64)
    starts = offs[:-1] if include_last_offset else offs
    ends = np.append(starts[1:], offs[-1] if include_last_offset else len(idx))
    offset2bag = np.searchsorted(starts, np.arange(len(idx)), side="right") - 1
    keep = np.ones(len(idx), bool) if padding_idx is None else idx != padding_idx
    bag_size = np.array([int(keep[s:e].sum()) for s, e in zip(starts, ends)], dtype=np.int64)
    if mode == 0:
        bag_size = max_indices = np.zeros(len(starts), np.int64)
    elif mode == 1:
        max_indices = bag_size
    else:
        w = weight.detach().numpy()
        max_indices = np.zeros((len(starts), weight.shape[1]), np.int64)
        for b, (s, e) in enumerate(zip(starts, ends)):
            rows = idx[s:e][keep[s:e]]
            if len(rows):
                max_indices[b] = rows[np.argmax(w[rows], axis=0)]
    as_idx = lambda a: ember.tensor(a, dtype=indices.dtype)  # noqa: E731
    return output, as_idx(offset2bag), as_idx(bag_size), as_idx(max_indices)
