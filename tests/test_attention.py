"""Attention and Transformer layers against torch: outputs, attention weights and gradients of
inputs and of every parameter (float64, dropout off), with padding, float and causal masks."""

import numpy as np
import pytest
from helpers import check, check_error

import ember

torch = pytest.importorskip("torch")


def _to(lib, a):
    return lib.tensor(a) if isinstance(a, np.ndarray) else a


def _pair(tcls, ecls, *args, train=False, **kw):
    """The same module in torch (seeded) and ember (loaded from torch's state_dict)."""
    torch.manual_seed(0)
    tm = tcls(*args, dtype=torch.float64, **kw)
    em = ecls(*args, dtype=ember.float64, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.train(train), em.train(train)
    return tm, em


def _compare(tm, em, inputs, call, atol=1e-10):
    """``call(module, lib, *tensors)`` both sides; compares outputs, then the gradients of a
    random projection of the first output with respect to float inputs and all parameters."""
    rng = np.random.default_rng(1)
    touts, eouts, tins, eins = [], [], [], []
    for lib, m, ins, outs in ((torch, tm, tins, touts), (ember, em, eins, eouts)):
        for a in inputs:
            t = _to(lib, a)
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                t.requires_grad_(True)
            ins.append(t)
        out = call(m, lib, *ins)
        outs.extend(out if isinstance(out, tuple) else (out,))
    for t, e in zip(touts, eouts):
        if t is None:
            assert e is None
            continue
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-9)
    r = rng.standard_normal(tuple(touts[0].shape))
    (touts[0] * torch.tensor(r)).sum().backward()
    (eouts[0] * ember.tensor(r)).sum().backward()
    for t, e in zip(tins, eins):
        if getattr(t, "grad", None) is not None:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), atol=atol, rtol=1e-9)
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    for name, p in tp.items():
        assert (ep[name].grad is None) == (p.grad is None), name
        if p.grad is not None:
            np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), atol=atol,
                                       rtol=1e-9, err_msg=name)  # fmt: skip


# -- scaled_dot_product_attention ----------------------------------------------------------------

R = np.random.default_rng(0)
Q, K, V = (
    R.standard_normal((2, 3, 5, 4)),
    R.standard_normal((2, 3, 6, 4)),
    R.standard_normal((2, 3, 6, 7)),
)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"scale": 0.3},
        {"attn_mask": R.standard_normal((5, 6))},
        {"attn_mask": R.random((2, 1, 5, 6)) > 0.3},
        {"is_causal": True},
    ],
)
def test_sdpa(kw):
    def fn(lib, q, k, v, **kw):
        kw = {a: _to(lib, b) for a, b in kw.items()}
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)

    check(fn, Q, K, V, grad_fn=False, **kw)


def test_sdpa_unbatched_and_gqa():
    def fn(lib, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    check(fn, R.standard_normal((4, 5, 3)), R.standard_normal((2, 6, 3)),
          R.standard_normal((2, 6, 3)), grad_fn=False)  # fmt: skip
    check(lambda lib, q: lib.nn.functional.scaled_dot_product_attention(q, q, q),
          R.standard_normal((5, 3)), grad_fn=False)  # fmt: skip


# -- MultiheadAttention ------------------------------------------------------------------------

MHA_CTORS = [
    {},
    {"add_bias_kv": True, "add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
    {"bias": False},
    {"batch_first": True},
]


@pytest.mark.parametrize("ctor", MHA_CTORS)
@pytest.mark.parametrize("masks", ["none", "float", "bool3d", "causal"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_multihead_attention(ctor, masks, need_weights, average):
    tm, em = _pair(torch.nn.MultiheadAttention, ember.nn.MultiheadAttention, 8, 2, **ctor)
    r = np.random.default_rng(2)
    L, S, N = 4, 6, 2
    kd, vd = ctor.get("kdim", 8), ctor.get("vdim", 8)
    seq = (N, L) if ctor.get("batch_first") else (L, N)
    sseq = (N, S) if ctor.get("batch_first") else (S, N)
    q, k, v = (
        r.standard_normal(seq + (8,)),
        r.standard_normal(sseq + (kd,)),
        r.standard_normal(sseq + (vd,)),
    )
    kw = {"need_weights": need_weights, "average_attn_weights": average}
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    if masks == "float":
        kw.update(key_padding_mask=np.where(kpm, -1e9, 0.0), attn_mask=r.standard_normal((L, S)))
    elif masks == "bool3d":
        am = r.random((N * 2, L, S)) > 0.8
        am[..., 0] = False
        kw.update(key_padding_mask=kpm, attn_mask=am)
    elif masks == "causal":
        if "kdim" in ctor:
            pytest.skip("self-attention needs kdim == vdim == embed_dim")
        q = k = v = r.standard_normal(seq + (8,))
        kw.update(attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True)

    def call(m, lib, q, k, v, **kw):
        kw = {a: _to(lib, b) for a, b in kw.items()}
        return m(q, k, v, **kw)

    _compare(tm, em, [q, k, v], lambda m, lib, *t: call(m, lib, *t, **kw))


def test_multihead_attention_unbatched_and_train():
    tm, em = _pair(torch.nn.MultiheadAttention, ember.nn.MultiheadAttention, 6, 3, train=True)
    r = np.random.default_rng(3)
    q, k = r.standard_normal((4, 6)), r.standard_normal((5, 6))
    kpm = np.array([False, False, True, False, False])
    _compare(tm, em, [q, k, k, kpm], lambda m, lib, q, k, v, p: m(q, k, v, key_padding_mask=p))


def test_multihead_attention_layout():
    tm, em = _pair(torch.nn.MultiheadAttention, ember.nn.MultiheadAttention, 8, 2, kdim=3)
    assert type(em.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(em.out_proj, ember.nn.Linear)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.in_proj_weight is None and tm.in_proj_weight is None


# -- Transformer layers ------------------------------------------------------------------------

LAYER_KW = [
    {},
    {"norm_first": True, "activation": "gelu"},
    {"batch_first": True, "bias": False},
]


def _seq(r, batch_first, L, N, E):
    return r.standard_normal((N, L, E) if batch_first else (L, N, E))


@pytest.mark.parametrize("kw", LAYER_KW)
def test_encoder_layer(kw):
    args = (8, 2)
    tm, em = _pair(torch.nn.TransformerEncoderLayer, ember.nn.TransformerEncoderLayer, *args,
                   dim_feedforward=16, dropout=0.0, train=True, **kw)  # fmt: skip
    r = np.random.default_rng(4)
    src = _seq(r, kw.get("batch_first", False), 5, 2, 8)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    _compare(tm, em, [src, mask, kpm],
             lambda m, lib, s, a, p: m(s, src_mask=a, src_key_padding_mask=p))  # fmt: skip


@pytest.mark.parametrize("kw", LAYER_KW)
def test_decoder_layer(kw):
    tm, em = _pair(torch.nn.TransformerDecoderLayer, ember.nn.TransformerDecoderLayer, 8, 2,
                   dim_feedforward=16, **kw)  # fmt: skip
    r = np.random.default_rng(5)
    bf = kw.get("batch_first", False)
    tgt, mem = _seq(r, bf, 4, 2, 8), _seq(r, bf, 6, 2, 8)
    tmask = np.triu(np.ones((4, 4), bool), 1)
    mkpm = np.zeros((2, 6), bool)
    mkpm[0, 4:] = True
    _compare(tm, em, [tgt, mem, tmask, mkpm],
             lambda m, lib, t, s, a, p: m(t, s, tgt_mask=a, memory_key_padding_mask=p,
                                          tgt_is_causal=True))  # fmt: skip


def test_encoder_two_layers_with_masks():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dtype=torch.float64)
    tm = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                     enable_nested_tensor=False)  # fmt: skip
    el = ember.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dtype=ember.float64)
    em = ember.nn.TransformerEncoder(el, 2, norm=ember.nn.LayerNorm(8, dtype=ember.float64),
                                     enable_nested_tensor=False)  # fmt: skip
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.eval(), em.eval()
    r = np.random.default_rng(6)
    src = r.standard_normal((5, 3, 8))
    kpm = np.zeros((3, 5), bool)
    kpm[2, 2:] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    _compare(tm, em, [src, mask, kpm],
             lambda m, lib, s, a, p: m(s, mask=a, src_key_padding_mask=p))  # fmt: skip


def test_transformer():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=16, batch_first=True)  # fmt: skip
    tm, em = _pair(torch.nn.Transformer, ember.nn.Transformer, **kw)
    r = np.random.default_rng(7)
    src, tgt = r.standard_normal((2, 5, 8)), r.standard_normal((2, 4, 8))
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64).numpy()
    skpm = np.zeros((2, 5), bool)
    skpm[1, 3:] = True
    _compare(tm, em, [src, tgt, tmask, skpm],
             lambda m, lib, s, t, a, p: m(s, t, tgt_mask=a, src_key_padding_mask=p,
                                          memory_key_padding_mask=p))  # fmt: skip


@pytest.mark.parametrize("sz", [1, 4])
def test_generate_square_subsequent_mask(sz):
    e = ember.nn.Transformer.generate_square_subsequent_mask(sz)
    t = torch.nn.Transformer.generate_square_subsequent_mask(sz)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_errors():
    def sdpa(lib, q):
        mask = lib.ones(2, 2, dtype=lib.bool)
        return lib.nn.functional.scaled_dot_product_attention(q, q, q, mask, is_causal=True)

    check_error(sdpa, np.ones((1, 2, 4)), match="Explicit attn_mask should not be set")
    check_error(lambda lib, q: lib.nn.MultiheadAttention(4, 2)(q, q, q, is_causal=True),
                np.ones((3, 1, 4)), match="Need attn_mask")  # fmt: skip
    check_error(lambda lib: lib.nn.MultiheadAttention(5, 2), match="divisible by num_heads")


def test_attention_dropout_in_training():
    # dropout zeroes whole attention weights and rescales the rest by 1/(1-p), as torch
    m = ember.nn.MultiheadAttention(4, 1, dropout=0.5, dtype=ember.float64)
    x = ember.randn(6, 1, 4, dtype=ember.float64)
    _, w = m(x, x, x, average_attn_weights=False)
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    w, w_eval = w.detach().numpy(), w_eval.detach().numpy()
    kept = w != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w[kept], 2 * w_eval[kept])
