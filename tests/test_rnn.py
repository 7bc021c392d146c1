"""Recurrent layers and nn.utils.rnn against torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(name, *args, **kw):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kw).double()
    em = getattr(ember.nn, name)(*args, **kw).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        assert tuple(pe.shape) == tuple(pt.shape)
    return tm, em


def _close(e, t, tol=1e-10):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in _flat(x)]
    return [out]


def _run(tm, em, arrays, call):
    """call(lib, module, *tensors) -> output structure; compare outputs and all gradients."""
    tt = [torch.tensor(a, requires_grad=a.dtype == np.float64) for a in arrays]
    et = [ember.tensor(a, requires_grad=a.dtype == np.float64) for a in arrays]
    ot, oe = _flat(call(torch, tm, *tt)), _flat(call(ember, em, *et))
    assert len(ot) == len(oe)
    for a, b in zip(oe, ot):
        _close(a, b)
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(o.shape)) for o in ot]
    sum((o * torch.tensor(w)).sum() for o, w in zip(ot, ws)).backward()
    sum((o * ember.tensor(w)).sum() for o, w in zip(oe, ws)).backward()
    for a, b in zip(et, tt):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            _close(a.grad, b.grad)
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        _close(pe.grad, pt.grad)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("RNNCell", {"bias": False}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
        ("GRUCell", {"bias": False}),
    ],
)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_cells(name, kw, batched, with_h):
    tm, em = _pair(name, 3, 4, **kw)
    rng = np.random.default_rng(0)
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,))
    h = rng.standard_normal(lead + (4,))
    c = rng.standard_normal(lead + (4,))
    lstm = name == "LSTMCell"
    if with_h:
        _run(tm, em, [x, h, c], lambda lib, m, x, h, c: m(x, (h, c) if lstm else h))
    else:
        _run(tm, em, [x], lambda lib, m, x: m(x))
    assert repr(em) == repr(tm)


CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "batch_first": True},
    {"num_layers": 2, "dropout": 0.5},  # eval mode below: dropout inactive
]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("with_h", [True, False])
def test_rnn_modules(name, kw, with_h):
    tm, em = _pair(name, 3, 5, **kw)
    tm.eval(), em.eval()
    assert repr(em) == repr(tm)
    _check_module(name, tm, em, kw, with_h, proj=0)


def _check_module(name, tm, em, kw, with_h, proj, unbatched=False):
    rng = np.random.default_rng(0)
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    x = rng.standard_normal(
        (4, 3) if unbatched else ((2, 4, 3) if kw.get("batch_first") else (4, 2, 3))
    )
    lead = (layers * dirs,) if unbatched else (layers * dirs, 2)
    h = rng.standard_normal(lead + (proj or 5,))
    c = rng.standard_normal(lead + (5,))
    lstm = name == "LSTM"
    if with_h:
        _run(tm, em, [x, h, c], lambda lib, m, x, h, c: m(x, (h, c) if lstm else h))
    else:
        _run(tm, em, [x], lambda lib, m, x: m(x))


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True}])
@pytest.mark.parametrize("with_h", [True, False])
def test_lstm_proj(kw, with_h):
    tm, em = _pair("LSTM", 3, 5, proj_size=2, **kw)
    assert repr(em) == repr(tm)
    _check_module("LSTM", tm, em, kw, with_h, proj=2)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_h", [True, False])
def test_unbatched(name, with_h):
    kw = {"num_layers": 2, "bidirectional": True}
    tm, em = _pair(name, 3, 5, **kw)
    _check_module(name, tm, em, kw, with_h, proj=0, unbatched=True)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_train(name):
    # p=1 zeroes every inter-layer activation, so the result is deterministic and comparable
    tm, em = _pair(name, 3, 5, num_layers=2, dropout=1.0)
    _check_module(name, tm, em, {"num_layers": 2}, False, proj=0)


def test_rnn_repr_nonlinearity():
    assert repr(ember.nn.RNN(2, 3, 1, "relu")) == repr(torch.nn.RNN(2, 3, 1, "relu"))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_packed_input(name, bidirectional, enforce_sorted, with_h):
    tm, em = _pair(name, 3, 4, num_layers=2, bidirectional=bidirectional)
    dirs = 2 if bidirectional else 1
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4, 3))
    h = rng.standard_normal((2 * dirs, 4, 4))
    c = rng.standard_normal((2 * dirs, 4, 4))
    lstm = name == "LSTM"

    def call(lib, m, x, h, c):
        utils = lib.nn.utils.rnn
        p = utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        out, hn = m(p, ((h, c) if lstm else h) if with_h else None)
        assert isinstance(out, utils.PackedSequence)
        padded, lens = utils.pad_packed_sequence(out)
        assert lens.tolist() == lengths
        return padded, hn

    _run(tm, em, [x, h, c], call)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    out = [
        lib.nn.utils.rnn.pad_sequence(
            [lib.tensor(s) for s in seqs], batch_first, -1.0, padding_side
        )
        for lib in (torch, ember)
    ]
    _close(out[1], out[0], 0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("lengths_tensor", [False, True])
def test_pack_pad_roundtrip(batch_first, enforce_sorted, lengths_tensor):
    rng = np.random.default_rng(0)
    lengths = [4, 3, 3, 1] if enforce_sorted else [3, 4, 1, 3]
    x = rng.standard_normal((4, 4, 2))
    res = []
    for lib in (torch, ember):
        u = lib.nn.utils.rnn
        lens = lib.tensor(lengths) if lengths_tensor else lengths
        p = u.pack_padded_sequence(lib.tensor(x), lens, batch_first, enforce_sorted)
        padded, out_lens = u.pad_packed_sequence(p, batch_first, 7.0, total_length=6)
        seqs = u.unpack_sequence(p)
        unp = u.unpad_sequence(padded, out_lens, batch_first)
        ps = u.pack_sequence(seqs, enforce_sorted=enforce_sorted)
        res.append((p, padded, out_lens, seqs, unp, ps))
    (pt, padt, lt, st, ut, pst), (pe, pade, le, se, ue, pse) = res
    for a, b in zip(pe, pt):
        assert (a is None) == (b is None)
        if a is not None:
            _close(a, b, 0)
            assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
    for a, b in zip(pse, pst):
        if a is not None:
            _close(a, b, 0)
    _close(pade, padt, 0)
    _close(le, lt, 0)
    for a, b in list(zip(se, st)) + list(zip(ue, ut)):
        _close(a, b, 0)


def test_errors():
    with pytest.raises(RuntimeError):
        torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(3, 2), [1, 3])
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        ember.nn.utils.rnn.pack_padded_sequence(ember.zeros(3, 2), [1, 3])
    p = ember.nn.utils.rnn.pack_sequence([ember.ones(3), ember.ones(2)])
    with pytest.raises(ValueError, match="total_length"):
        ember.nn.utils.rnn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(ValueError):
        torch.nn.LSTMCell(2, 3)(torch.zeros(1, 1, 2))
    with pytest.raises(ValueError, match="1D or 2D"):
        ember.nn.LSTMCell(2, 3)(ember.zeros(1, 1, 2))
    with pytest.raises(ValueError):
        torch.nn.GRU(2, 3, proj_size=1)
    with pytest.raises(ValueError, match="proj_size"):
        ember.nn.GRU(2, 3, proj_size=1)


@pytest.mark.parametrize(
    "name,x,h",
    [
        ("LSTM", (4, 2, 4), None),  # wrong input_size
        ("GRU", (1, 4, 2, 3), None),  # 4-d input
        ("GRU", (4, 2, 3), (1, 3, 5)),  # wrong hidden batch
        ("RNN", (4, 2, 3), (2, 2, 5)),  # wrong number of layers
    ],
)
def test_module_errors(name, x, h):
    msgs = []
    for lib in (torch, ember):
        m = getattr(lib.nn, name)(3, 5)
        hx = None if h is None else lib.zeros(h)
        if hx is not None and name == "LSTM":
            hx = (hx, hx)
        with pytest.raises(Exception) as info:
            m(lib.zeros(x), hx)
        msgs.append((info.type, str(info.value)))
    assert msgs[1] == msgs[0]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_float32(name):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 4, num_layers=2)
    em = getattr(ember.nn, name)(3, 4, num_layers=2)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    ot, oe = tm(torch.tensor(x))[0], em(ember.tensor(x))[0]
    assert oe.dtype == ember.float32
    _close(oe, ot, 1e-5)
