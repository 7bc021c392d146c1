"""ember.nn layer classes against torch.nn: reprs, state_dict, outputs, gradients, train/eval."""

import numpy as np
import pytest
from helpers import assert_same, gradcheck

import ember

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def pair(name, *args, dtype=np.float64, **kw):
    """The torch and ember layer ``name`` in ``dtype``, ember's loaded with torch's state."""
    t = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, np.dtype(dtype).name))
    e = getattr(ember.nn, name)(*args, **kw).to(getattr(ember, np.dtype(dtype).name))
    assert repr(e) == repr(t)
    tstate = t.state_dict()
    assert list(e.state_dict()) == list(tstate)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tstate.items()})
    return t, e


def run(t, e, *arrays, grad=True):
    """Call both layers on the same inputs; compare outputs and input/parameter gradients."""
    ti = [torch.from_numpy(a.copy()).requires_grad_(grad and a.dtype.kind == "f") for a in arrays]
    ei = [ember.from_numpy(a.copy()).requires_grad_(grad and a.dtype.kind == "f") for a in arrays]
    to, eo = t(*ti), e(*ei)
    assert_same(torch, eo, to, atol=1e-5, rtol=1e-5)
    if not grad or not to.requires_grad:
        return
    r = rng.standard_normal(tuple(to.shape))
    to.backward(torch.from_numpy(r).to(to.dtype))
    eo.backward(ember.from_numpy(r).to(eo.dtype))
    for a, b in zip(ei, ti):
        if b.grad is not None:
            assert_same(torch, a.grad, b.grad, "input grad", atol=1e-4, rtol=1e-4)
    for (name, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        if q.grad is not None:
            assert_same(torch, p.grad, q.grad, f"grad of {name}", atol=1e-4, rtol=1e-4)


def x(*shape, dtype=np.float64):
    return rng.uniform(-3, 3, shape).astype(dtype)


ACTIVATIONS = [
    ("ReLU", ()), ("ReLU6", ()), ("ELU", (0.5,)), ("SELU", ()), ("CELU", (1.5,)), ("GELU", ()),
    ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Hardtanh", (-0.5, 2.0)), ("Sigmoid", ()),
    ("Hardsigmoid", ()), ("Hardswish", ()), ("Hardshrink", (0.3,)), ("Softshrink", ()),
    ("Tanh", ()), ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)), ("LeakyReLU", (0.2,)),
    ("LogSigmoid", ()), ("Softplus", (2.0, 1.0)), ("Softsign", ()), ("GLU", ()), ("GLU", (0,)),
    ("Softmax", (1,)), ("Softmin", (0,)), ("LogSoftmax", (-1,)), ("PReLU", ()), ("PReLU", (3,)),
    ("RReLU", ()), ("Softmax2d", ()),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args", ACTIVATIONS)
def test_activation_layers(name, args, dtype):
    t, e = pair(name, *args, dtype=dtype)
    t.eval(), e.eval()
    run(t, e, x(2, 3, 4, 2, dtype=dtype))
    run(t, e, x(2, 4, 3, 2, dtype=dtype).transpose(0, 2, 1, 3))  # non-contiguous


def test_inplace_layer_reprs():
    for name in ["ReLU", "ELU", "LeakyReLU", "Hardtanh", "SELU", "SiLU", "RReLU"]:
        t, e = pair(name, inplace=True)
        t.eval(), e.eval()
        run(t, e, x(3, 4), grad=False)


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                  "AlphaDropout", "FeatureAlphaDropout"])  # fmt: skip
def test_dropout_layers(name):
    t, e = pair(name, 0.3)
    shape = {"Dropout1d": (2, 3, 4), "Dropout3d": (2, 3, 2, 2, 2)}.get(name, (2, 3, 4, 4))
    t.eval(), e.eval()
    run(t, e, x(*shape))
    e.train()
    out = e(ember.ones(*shape))
    assert out.shape == shape and bool((out != 1).any())


LOSSES = [
    ("L1Loss", {}, "reg"), ("MSELoss", {"reduction": "sum"}, "reg"), ("SmoothL1Loss", {}, "reg"),
    ("HuberLoss", {"delta": 0.5}, "reg"), ("SoftMarginLoss", {}, "sign"),
    ("BCEWithLogitsLoss", {}, "prob"), ("BCELoss", {}, "bce"), ("KLDivLoss", {}, "kl"),
    ("PoissonNLLLoss", {}, "pois"), ("HingeEmbeddingLoss", {"margin": 0.5}, "sign"),
    ("MultiLabelSoftMarginLoss", {}, "prob"), ("CrossEntropyLoss", {}, "cls"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 1}, "cls"),
    ("NLLLoss", {"reduction": "none"}, "cls"), ("MultiMarginLoss", {"p": 2}, "cls"),
]  # fmt: skip


@pytest.mark.parametrize("name,kw,kind", LOSSES)
def test_loss_layers(name, kw, kind):
    t, e = pair(name, **kw)
    inp = x(4, 5)
    target = {
        "reg": x(4, 5), "sign": np.sign(x(4, 5)), "prob": rng.uniform(0, 1, (4, 5)),
        "kl": rng.uniform(0, 1, (4, 5)), "pois": rng.uniform(0, 3, (4, 5)),
        "cls": rng.integers(0, 5, 4), "bce": rng.uniform(0, 1, (4, 5)),
    }[kind]  # fmt: skip
    if kind == "bce":
        inp = rng.uniform(0.05, 0.95, (4, 5))
    tt, et = torch.from_numpy(target), ember.from_numpy(target.copy())
    ti, ei = torch.from_numpy(inp).requires_grad_(), ember.from_numpy(inp.copy()).requires_grad_()
    to, eo = t(ti, tt), e(ei, et)
    assert_same(torch, eo, to)
    to.sum().backward()
    eo.sum().backward()
    assert_same(torch, ei.grad, ti.grad, "input grad")


def test_weighted_losses_hold_weight_buffer():
    w = rng.uniform(0.5, 2, 5)
    t = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(w))
    e = ember.nn.CrossEntropyLoss(weight=ember.from_numpy(w.copy()))
    assert list(e.state_dict()) == ["weight"] and repr(e) == repr(t)
    tgt = rng.integers(0, 5, 4)
    inp = x(4, 5)
    assert_same(
        torch, e(ember.tensor(inp), ember.tensor(tgt)), t(torch.tensor(inp), torch.tensor(tgt))
    )


def test_three_input_losses():
    a, b, c = x(4, 5), x(4, 5), x(4, 5)
    s = np.sign(x(4))
    for name, args, kw in [
        ("TripletMarginLoss", (a, b, c), {"margin": 0.5}),
        ("TripletMarginWithDistanceLoss", (a, b, c), {}),
        ("CosineEmbeddingLoss", (a, b, s), {}),
        ("MarginRankingLoss", (a[:, 0], b[:, 0], s), {"margin": 0.2}),
        ("GaussianNLLLoss", (a, b, rng.uniform(0.1, 1, (4, 5))), {}),
    ]:
        t, e = pair(name, **kw)
        assert_same(torch, e(*map(ember.tensor, args)), t(*map(torch.tensor, args)))


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (2, 3, 4, 4)),
                                        ("BatchNorm3d", (2, 3, 2, 2, 3))])  # fmt: skip
def test_batch_norm_layers(name, shape, momentum):
    t, e = pair(name, 3, momentum=momentum)
    with torch.no_grad():
        t.weight.uniform_(0.5, 2)
        t.bias.uniform_(-1, 1)
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    for _ in range(3):
        run(t, e, x(*shape))
    for k, v in t.state_dict().items():
        assert_same(torch, e.state_dict()[k], v, k, atol=1e-6, rtol=1e-6)
    t.eval(), e.eval()
    run(t, e, x(*shape))


def test_batch_norm_no_tracking_and_errors():
    t, e = pair("BatchNorm2d", 3, affine=False, track_running_stats=False)
    run(t, e, x(2, 3, 4, 4))
    t.eval(), e.eval()
    run(t, e, x(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        e(ember.ones(3, 4, 4))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        ember.nn.BatchNorm1d(3)(ember.ones(3))


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
                                        ("InstanceNorm2d", (2, 3, 4, 4)),
                                        ("InstanceNorm3d", (2, 3, 2, 3, 2))])  # fmt: skip
def test_instance_norm_layers(name, shape):
    t, e = pair(name, 3, affine=True, track_running_stats=True)
    run(t, e, x(*shape))
    for k, v in t.state_dict().items():
        assert_same(torch, e.state_dict()[k], v, k, atol=1e-6, rtol=1e-6)
    t.eval(), e.eval()
    run(t, e, x(*shape))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_group_rms_lrn(dtype):
    run(*pair("LayerNorm", [3, 4], dtype=dtype), x(2, 5, 3, 4, dtype=dtype))
    run(*pair("LayerNorm", 4, elementwise_affine=False, dtype=dtype), x(2, 4, dtype=dtype))
    run(*pair("LayerNorm", 4, bias=False, dtype=dtype), x(2, 4, dtype=dtype))
    run(*pair("GroupNorm", 2, 4, dtype=dtype), x(2, 4, 3, dtype=dtype))
    run(*pair("GroupNorm", 4, 4, affine=False, dtype=dtype), x(2, 4, 3, 2, dtype=dtype))
    run(*pair("RMSNorm", [4], eps=1e-6, dtype=dtype), x(3, 4, dtype=dtype))
    run(*pair("RMSNorm", 4, dtype=dtype), x(3, 4, dtype=dtype))
    run(*pair("LocalResponseNorm", 3, dtype=dtype), x(2, 5, 3, dtype=dtype))
    # torch's CrossMapLRN2d backward is a hand-written rule that is not the derivative of its
    # forward; ember's gradient is checked against finite differences instead
    run(*pair("CrossMapLRN2d", 3, 0.1, 0.5, 2, dtype=dtype), x(2, 5, 3, 3, dtype=dtype), grad=False)
    if dtype == np.float64:
        gradcheck(ember.nn.CrossMapLRN2d(3, 0.1, 0.5, 2), [x(2, 5, 3, 3)])


def test_embedding_layers():
    w = x(6, 3)
    t, e = pair("Embedding", 6, 3, padding_idx=2)
    assert not e.weight[2].detach().numpy().any()
    idx = rng.integers(0, 6, (3, 4))
    run(t, e, idx)
    ti = torch.from_numpy(idx)
    t(ti).sum().backward()
    e(ember.from_numpy(idx)).sum().backward()
    assert_same(torch, e.weight.grad, t.weight.grad, "weight grad")
    assert repr(ember.nn.Embedding(5, 2, max_norm=1.0, sparse=True)) == repr(
        torch.nn.Embedding(5, 2, max_norm=1.0, sparse=True)
    )
    te = torch.nn.Embedding.from_pretrained(torch.from_numpy(w))
    ee = ember.nn.Embedding.from_pretrained(ember.from_numpy(w.copy()))
    assert repr(ee) == repr(te) and ee.weight.requires_grad == te.weight.requires_grad
    assert_same(torch, ee(ember.tensor([1, 5])), te(torch.tensor([1, 5])))
    t, e = pair("EmbeddingBag", 6, 3, mode="max")
    run(t, e, idx)
    t, e = pair("EmbeddingBag", 6, 3, mode="sum", padding_idx=0)
    off = np.array([0, 2, 5])
    to = t(torch.from_numpy(idx.ravel()), torch.from_numpy(off))
    eo = e(ember.from_numpy(idx.ravel()), ember.from_numpy(off))
    assert_same(torch, eo, to)


def test_distance_layers():
    run(*pair("PairwiseDistance", 1.0), x(4, 5), x(4, 5))
    run(*pair("PairwiseDistance", keepdim=True), x(4, 5), x(4, 5))
    run(*pair("CosineSimilarity", dim=0), x(4, 5), x(4, 5))


def test_ctc_and_nll2d_layers():
    t, e = pair("CTCLoss", blank=1, zero_infinity=True)
    lp = np.log(rng.dirichlet(np.ones(4), (5, 2)))
    tg = np.array([[0, 2], [3, 3]])
    args = (lp, tg, np.array([5, 4]), np.array([2, 2]))
    assert_same(torch, e(*map(ember.tensor, args)), t(*map(torch.tensor, args)))
    with pytest.warns(FutureWarning):
        e = ember.nn.NLLLoss2d()
    with pytest.warns(FutureWarning):
        t = torch.nn.NLLLoss2d()
    assert repr(e) == repr(t)
