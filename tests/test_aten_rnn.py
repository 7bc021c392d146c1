"""ember.lstm / gru / rnn_tanh / rnn_relu / embedding_bag against torch's aten-level functions."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch: oneDNN + projections


def E(t, grad=False):
    out = ember.tensor(t.detach().numpy().copy())
    return out.requires_grad_() if grad else out


def close(e, t, tol=1e-10):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


MODULES = {
    "lstm": lambda **kw: torch.nn.LSTM(**kw),
    "gru": lambda **kw: torch.nn.GRU(**kw),
    "rnn_tanh": lambda **kw: torch.nn.RNN(nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: torch.nn.RNN(nonlinearity="relu", **kw),
}


def _setup(name, num_layers, bias, bidirectional, proj_size, batch=3, steps=4, inp=3, hid=5):
    torch.manual_seed(0)
    kw = dict(input_size=inp, hidden_size=hid, num_layers=num_layers, bias=bias,
              bidirectional=bidirectional)  # fmt: skip
    if proj_size:
        kw["proj_size"] = proj_size
    mod = MODULES[name](**kw).double()
    params = [p.detach().clone().requires_grad_() for p in mod._flat_weights]
    dirs = 2 if bidirectional else 1
    h = torch.randn(num_layers * dirs, batch, proj_size or hid, dtype=torch.float64)
    c = torch.randn(num_layers * dirs, batch, hid, dtype=torch.float64)
    return params, h, c


def _compare_grads(t_outs, e_outs, t_leaves, e_leaves):
    torch.manual_seed(1)
    cots = [torch.randn_like(o) for o in t_outs]
    torch.autograd.backward(list(t_outs), cots)
    ember.autograd.backward(list(e_outs), [E(c) for c in cots])
    for tl, el in zip(t_leaves, e_leaves):
        close(el.grad, tl.grad, 1e-9)


CASES = [  # num_layers, bias, bidirectional, batch_first, proj_size
    (1, True, False, False, 0),
    (2, True, True, True, 0),
    (2, False, True, False, 0),
    (2, True, False, True, 2),
    (1, False, True, False, 3),
]


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("layers,bias,bidir,batch_first,proj", CASES)
def test_padded_matches_torch(name, layers, bias, bidir, batch_first, proj):
    if proj and name != "lstm":
        pytest.skip("proj_size is LSTM-only")
    params, h, c = _setup(name, layers, bias, bidir, proj)
    x = torch.randn((3, 4, 3) if batch_first else (4, 3, 3), dtype=torch.float64)
    x.requires_grad_()
    h.requires_grad_()
    c.requires_grad_()
    ex, eh, ec = E(x, True), E(h, True), E(c, True)
    ep = [E(p, True) for p in params]
    rest = (bias, layers, 0.0, False, bidir, batch_first)
    if name == "lstm":
        t_out = torch.lstm(x, (h, c), params, *rest)
        e_out = ember.lstm(ex, (eh, ec), ep, *rest)
        t_leaves, e_leaves = [x, h, c, *params], [ex, eh, ec, *ep]
    else:
        t_out = getattr(torch, name)(x, h, params, *rest)
        e_out = getattr(ember, name)(ex, eh, ep, *rest)
        t_leaves, e_leaves = [x, h, *params], [ex, eh, *ep]
    assert type(e_out) is tuple and len(e_out) == len(t_out)
    for e, t in zip(e_out, t_out):
        close(e, t)
        assert e.dtype == ember.float64
    _compare_grads(t_out, e_out, t_leaves, e_leaves)


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidir", [False, True])
def test_packed_overload_matches_torch(name, bidir):
    params, h, c = _setup(name, 2, True, bidir, 0)
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1])
    data = packed.data.detach().requires_grad_()
    ed = E(data, True)
    ep = [E(p, True) for p in params]
    rest = (True, 2, 0.0, False, bidir)
    if name == "lstm":
        t_out = torch.lstm(data, packed.batch_sizes, (h, c), params, *rest)
        e_out = ember.lstm(ed, E(packed.batch_sizes), [E(h), E(c)], ep, *rest)
    else:
        t_out = getattr(torch, name)(data, packed.batch_sizes, h, params, *rest)
        e_out = getattr(ember, name)(ed, E(packed.batch_sizes), E(h), ep, *rest)
    assert len(e_out) == len(t_out)
    for e, t in zip(e_out, t_out):
        close(e, t)
    _compare_grads(t_out, e_out, [data, *params], [ed, *ep])


def test_keywords_and_dropout_one():
    params, h, _ = _setup("gru", 2, True, False, 0)
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    kw = dict(has_biases=True, num_layers=2, dropout=1.0, train=True, bidirectional=False,
              batch_first=False)  # fmt: skip
    # dropout=1 between layers zeroes the second layer's input: deterministic on both sides
    t_out = torch.gru(input=x, hx=h, params=params, **kw)
    e_out = ember.gru(input=E(x), hx=E(h), params=[E(p) for p in params], **kw)
    for e, t in zip(e_out, t_out):
        close(e, t)


def test_rnn_errors_match_torch():
    params, h, c = _setup("lstm", 1, True, False, 0)
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    ep, ex, eh, ec = [E(p) for p in params], E(x), E(h), E(c)
    rest = (True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError):
        torch.lstm(x, (h,), params, *rest)
    with pytest.raises(RuntimeError, match="two hidden states"):
        ember.lstm(ex, (eh,), ep, *rest)
    with pytest.raises(RuntimeError):
        torch.lstm(x, (h, c), params[:3], *rest)
    with pytest.raises(RuntimeError, match="incorrect number of RNN parameters"):
        ember.lstm(ex, (eh, ec), ep[:3], *rest)
    with pytest.raises(TypeError):
        torch.lstm(x, (h, c), params, *rest[:-1])
    with pytest.raises(TypeError):
        ember.lstm(ex, (eh, ec), ep, *rest[:-1])
    bad = torch.randn(4, 3, 7, dtype=torch.float64)
    with pytest.raises(RuntimeError):
        torch.lstm(bad, (h, c), params, *rest)
    with pytest.raises(RuntimeError):
        ember.lstm(E(bad), (eh, ec), ep, *rest)


# --- embedding_bag -------------------------------------------------------------------------

IDX = [1, 2, 4, 5, 4, 3, 2, 0]
OFFS = [0, 2, 2, 5]


def _bag_inputs(dtype=torch.int64, last=False):
    torch.manual_seed(2)
    w = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor(IDX, dtype=dtype)
    off = torch.tensor(OFFS + [len(IDX)] if last else OFFS, dtype=dtype)
    return w, idx, off


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 2, -4])
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag_matches_torch(mode, padding_idx, last):
    w, idx, off = _bag_inputs(last=last)
    ew = E(w, True)
    t_out = torch.embedding_bag(w, idx, off, False, mode, False, None, last, padding_idx)
    e_out = ember.embedding_bag(ew, E(idx), E(off), False, mode, False, None, last, padding_idx)
    assert len(e_out) == 4
    close(e_out[0], t_out[0])
    # offset2bag is defined for every mode; bag_size for mean/max; max_indices for max (and
    # mean, where torch repeats bag_size). In sum mode torch's two are unused scratch whose
    # length even depends on whether weight requires grad, so only offset2bag is compared.
    for e, t in zip(e_out[1:], t_out[1:] if mode else t_out[1:2]):
        assert e.dtype == ember.int64
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    cot = torch.randn_like(t_out[0])
    t_out[0].backward(cot)
    e_out[0].backward(E(cot))
    close(ew.grad, w.grad)


def test_embedding_bag_per_sample_weights_and_int32():
    w, idx, off = _bag_inputs(torch.int32)
    psw = torch.rand(len(IDX), dtype=torch.float64, requires_grad=True)
    ew, epsw = E(w, True), E(psw, True)
    t_out = torch.embedding_bag(w, idx, off, False, 0, False, psw)
    e_out = ember.embedding_bag(ew, E(idx), E(off), False, 0, False, epsw)
    close(e_out[0], t_out[0])
    assert e_out[1].dtype == ember.int32
    np.testing.assert_array_equal(e_out[1].numpy(), t_out[1].numpy())
    cot = torch.randn_like(t_out[0])
    t_out[0].backward(cot)
    e_out[0].backward(E(cot))
    close(ew.grad, w.grad)
    close(epsw.grad, psw.grad)


@pytest.mark.parametrize("mode", [0, 1])
def test_embedding_bag_scale_grad_by_freq(mode):
    # torch 2.13's CPU embedding_bag kernel scales by mismatched counts (row 3, seen once, gets
    # 1/2), so the oracle is the documented rule built from torch's F.embedding instead:
    # per-row gradients divided by the row's frequency, then the bag sum or mean.
    w, idx, off = _bag_inputs()
    ew = E(w, True)
    t_plain = torch.embedding_bag(w, idx, off, False, mode)[0]
    e_out = ember.embedding_bag(ew, E(idx), E(off), True, mode)[0]
    close(e_out, t_plain)
    rows = torch.nn.functional.embedding(idx, w, scale_grad_by_freq=True)
    o2b = torch.embedding_bag(w, idx, off, False, 1)[1]
    sizes = torch.bincount(o2b, minlength=len(OFFS)).clamp(min=1).to(w.dtype)
    ref = torch.zeros(len(OFFS), 3, dtype=w.dtype).index_add(0, o2b, rows)
    if mode == 1:
        ref = ref / sizes[:, None]
    close(e_out, ref)
    cot = torch.randn_like(ref)
    ref.backward(cot)
    e_out.backward(E(cot))
    close(ew.grad, w.grad)


def test_embedding_bag_errors_match_torch():
    w, idx, off = _bag_inputs()
    ew, ei, eo = E(w), E(idx), E(off)
    cases = [
        ((idx, off, False, 3), (ei, eo, False, 3)),
        ((idx, off, False, 1, False, torch.rand(8, dtype=torch.float64)),
         (ei, eo, False, 1, False, ember.rand(8, dtype=ember.float64))),
        ((idx.double(), off), (ei.double(), eo)),
        ((torch.tensor([1, 9]), torch.tensor([0])), (ember.tensor([1, 9]), ember.tensor([0]))),
        ((torch.tensor([1, -1]), torch.tensor([0])), (ember.tensor([1, -1]), ember.tensor([0]))),
        ((idx, torch.tensor([1, 2])), (ei, ember.tensor([1, 2]))),
        ((idx, torch.tensor([0, 2, 10])), (ei, ember.tensor([0, 2, 10]))),
        ((idx, off, False, 0, False, torch.rand(3, dtype=torch.float64)),
         (ei, eo, False, 0, False, ember.rand(3, dtype=ember.float64))),
        ((idx, off, False, 0, False, None, False, 7), (ei, eo, False, 0, False, None, False, 7)),
    ]  # fmt: skip
    for t_args, e_args in cases:
        with pytest.raises(RuntimeError) as t_err:
            torch.embedding_bag(w, *t_args)
        with pytest.raises(RuntimeError) as e_err:
            ember.embedding_bag(ew, *e_args)
        first = str(t_err.value).split(",")[0][:30]
        if "Expected per_sample" not in first and "offsets[0]" not in first:
            assert first in str(e_err.value)
