"""Recurrent layers (as ``torch.nn.modules.rnn``), written as a Python loop over time steps.

>>> out, h = ember.nn.GRU(3, 4)(ember.ones(5, 2, 3))
>>> out.shape, h.shape
(ember.Size([5, 2, 4]), ember.Size([1, 2, 4]))
"""

from __future__ import annotations

import math

import ember

from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _rnn_step(mode, x, h, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One step of a cell; ``h`` is ``(h, c)`` for LSTM. Returns the new state."""
    if mode == "LSTM":
        h, c = h
        gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
        n = gates.shape[-1] // 4
        i = ember.sigmoid(gates[..., :n])
        f = ember.sigmoid(gates[..., n : 2 * n])
        g = ember.tanh(gates[..., 2 * n : 3 * n])
        o = ember.sigmoid(gates[..., 3 * n :])
        c = f * c + i * g
        h = o * ember.tanh(c)
        if w_hr is not None:
            h = F.linear(h, w_hr)
        return h, c
    if mode == "GRU":
        gi, gh = F.linear(x, w_ih, b_ih), F.linear(h, w_hh, b_hh)
        n = gi.shape[-1] // 3
        r = ember.sigmoid(gi[..., :n] + gh[..., :n])
        z = ember.sigmoid(gi[..., n : 2 * n] + gh[..., n : 2 * n])
        cand = ember.tanh(gi[..., 2 * n :] + r * gh[..., 2 * n :])
        return (1 - z) * cand + z * h
    act = ember.tanh if mode == "RNN_TANH" else ember.relu
    return act(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM`, :class:`GRU`."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if (
            not isinstance(dropout, (int, float))
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else real_hidden * dirs
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [
                    ("weight_ih", (gate_size, in_size)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    self.register_parameter(
                        name + sfx, Parameter(empty(shape, device=device, dtype=dtype))
                    )
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        ws = self._flat_weights
        return [ws[i : i + per] for i in range(0, len(ws), per)]

    def flatten_parameters(self):
        pass

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _layer_weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        return (
            get("weight_ih"),
            get("weight_hh"),
            get("bias_ih") if self.bias else None,
            get("bias_hh") if self.bias else None,
            get("weight_hr") if self.proj_size else None,
        )

    def forward(self, input, hx=None):
        from ..utils.rnn import PackedSequence

        lstm = self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        real_hidden = self.proj_size or self.hidden_size
        packed = isinstance(input, PackedSequence)
        unbatched = False
        if packed:
            data, bsz = input.data, [int(v) for v in input.batch_sizes.tolist()]
            steps, off = [], 0
            for bs in bsz:
                steps.append(data[off : off + bs])
                off += bs
            batch = bsz[0]
        else:
            if input.ndim not in (2, 3):
                raise ValueError(
                    f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                    f"{input.ndim}D instead"
                )
            unbatched = input.ndim == 2
            if unbatched:
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            if input.shape[-1] != self.input_size:
                raise RuntimeError(
                    f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                    f"got {input.shape[-1]}"
                )
            batch = input.shape[1]
            steps = list(input.unbind(0))
            bsz = [batch] * len(steps)
        shape_h = (self.num_layers * dirs, batch, real_hidden)
        shape_c = (self.num_layers * dirs, batch, self.hidden_size)
        dt = steps[0].dtype
        if hx is None:
            h0 = ember.zeros(shape_h, dtype=dt)
            c0 = ember.zeros(shape_c, dtype=dt) if lstm else None
        else:
            h0, c0 = hx if lstm else (hx, None)
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if lstm else None
            if packed and input.sorted_indices is not None:
                h0 = h0.index_select(1, input.sorted_indices)
                c0 = c0.index_select(1, input.sorted_indices) if lstm else None
            for got, want, nm in ((h0, shape_h, "hidden"), (c0, shape_c, "cell")):
                if got is not None and tuple(got.shape) != want:
                    raise RuntimeError(f"Expected {nm} size {want}, got {list(got.shape)}")
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                steps = [F.dropout(s, self.dropout, True) for s in steps]
            outs = []
            for d in range(dirs):
                w = self._layer_weights(layer, d)
                k = layer * dirs + d
                state = (h0[k], c0[k]) if lstm else h0[k]
                out = [None] * len(steps)
                order = range(len(steps) - 1, -1, -1) if d else range(len(steps))
                for t in order:
                    bs = bsz[t]
                    cur = (state[0][:bs], state[1][:bs]) if lstm else state[:bs]
                    new = _rnn_step(self.mode, steps[t], cur, *w)
                    out[t] = new[0] if lstm else new
                    if bs < batch:  # finished sequences keep their last state
                        if lstm:
                            new = tuple(ember.cat([n, s[bs:]]) for n, s in zip(new, state))
                        else:
                            new = ember.cat([new, state[bs:]])
                    state = new
                outs.append(out)
                h_n.append(state[0] if lstm else state)
                if lstm:
                    c_n.append(state[1])
            steps = outs[0] if dirs == 1 else [ember.cat(p, -1) for p in zip(*outs)]
        h_n = ember.stack(h_n)
        c_n = ember.stack(c_n) if lstm else None
        if packed:
            output = PackedSequence(
                ember.cat(steps), input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if lstm else None
        else:
            output = ember.stack(steps)
            if unbatched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        args = list(args)
        nonlinearity = args.pop(3) if len(args) > 3 else kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, optionally with a projection of the hidden state (``proj_size``)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Shared parameters of the single-step cells."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((gate, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((gate, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gate, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(gate, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if getattr(self, "bias", True) is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _run(self, mode, input, hx, lstm=False):
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            )
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
        if hx is None:
            z = ember.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            hx = (z, z) if lstm else z
        elif unbatched:
            hx = tuple(h.unsqueeze(0) for h in hx) if lstm else hx.unsqueeze(0)
        w = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        out = _rnn_step(mode, input, hx, *w)
        if unbatched:
            out = tuple(o.squeeze(0) for o in out) if lstm else out.squeeze(0)
        return out


class RNNCell(RNNCellBase):
    """One step of :class:`RNN`."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._run("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, hx)


class LSTMCell(RNNCellBase):
    """One step of :class:`LSTM`; returns ``(h, c)``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._run("LSTM", input, hx, lstm=True)


class GRUCell(RNNCellBase):
    """One step of :class:`GRU`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._run("GRU", input, hx)
