"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss, nn.LinearCrossEntropyOptions (the
chunked path) and nn.factory_kwargs against torch: values, gradients, resolved options,
warnings and errors."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

N, IN, C = 9, 4, 7


def _close(e, t, tol):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().float().numpy() if e.dtype is ember.float16
                               else e.detach().numpy(),
                               t.detach().float().numpy() if t.dtype is torch.float16
                               else t.detach().numpy(), rtol=tol, atol=tol)  # fmt: skip


def _run(lib, arrays, target, grad, **kw):
    """linear_cross_entropy on fresh leaves built from ``arrays`` (input, weight[, bias]);
    returns the loss and the leaves (gradients filled)."""
    leaves = [lib.from_numpy(a.copy()).requires_grad_() if a is not None else None
              for a in arrays]  # fmt: skip
    x, w, b = (leaves + [None])[:3]
    if "weight" in kw and kw["weight"] is not None:
        kw["weight"] = lib.from_numpy(kw["weight"])
    if isinstance(kw.get("options"), dict):
        kw["options"] = lib.nn.LinearCrossEntropyOptions(**kw["options"])
    loss = lib.nn.functional.linear_cross_entropy(x, w, lib.from_numpy(target), linear_bias=b,
                                                  **kw)  # fmt: skip
    loss.backward(lib.from_numpy(grad))
    return loss, [t for t in leaves if t is not None]


def _compare(arrays, target, tol, **kw):
    loss_t, leaves_t = _run(torch, arrays, target, _grad(target, kw), **dict(kw))
    loss_e, leaves_e = _run(ember, arrays, target, _grad(target, kw), **dict(kw))
    _close(loss_e, loss_t, tol)
    for e, t in zip(leaves_e, leaves_t):
        _close(e.grad, t.grad, tol)


def _grad(target, kw):
    if kw.get("reduction") == "none":  # a per-row upstream gradient
        shape = target.shape
        if target.dtype.kind == "f":  # probabilities: the class dim is not in the loss
            shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        return np.linspace(-1, 2, int(np.prod(shape))).reshape(shape)
    return np.array(1.5)


OPTIONS = [
    None,
    {},
    {"batch_chunk_size": 2},
    {"chunking_method": "aspect_ratio:2"},
    {"batch_chunk_size": 4, "allow_retain_graph": True},
    {"batch_chunk_size": 100},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "reference" if o is None else str(o))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("extras", ["plain", "bias+weight+ignore"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_functional(options, reduction, extras, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, IN)).astype(dtype)
    w = rng.standard_normal((C, IN)).astype(dtype)
    target = rng.integers(0, C, N)
    kw = {"reduction": reduction, "options": options}
    arrays = [x, w]
    if extras != "plain":
        arrays.append(rng.standard_normal(C).astype(dtype))
        kw["weight"] = rng.random(C).astype(dtype)
        target[[2, 5]] = 3
        kw["ignore_index"] = 3
    _compare(arrays, target, 1e-10 if dtype == "float64" else 3e-5, **kw)


@pytest.mark.parametrize("options", [None, {}, {"batch_chunk_size": 1}])
def test_unbatched(options):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(IN), rng.standard_normal((C, IN)), rng.standard_normal(C)]
    for reduction in ("mean", "none"):
        _compare(arrays, np.array(4), 1e-10, reduction=reduction, options=options)


def test_half_input_accumulates_in_float32():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((N, IN)).astype(np.float16),
              rng.standard_normal((C, IN)).astype(np.float16)]  # fmt: skip
    _compare(arrays, rng.integers(0, C, N), 2e-3, options={})


@pytest.mark.parametrize("kind", ["indices", "probabilities", "smoothing"])
def test_k_dimensional_and_reference_only(kind):
    """A (C, d1, d2, in) weight: the logits are (N, C, d1, d2); probability targets and label
    smoothing take the reference path."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((3, IN)), rng.standard_normal((C, 2, 3, IN)),
              rng.standard_normal((C, 2, 3))]  # fmt: skip
    if kind == "probabilities":
        p = rng.random((3, C, 2, 3))
        target, kw = p / p.sum(1, keepdims=True), {}
    else:
        target = rng.integers(0, C, (3, 2, 3))
        kw = {"label_smoothing": 0.2} if kind == "smoothing" else {"ignore_index": 1}
    for reduction in ("mean", "none"):
        _compare(arrays, target, 1e-10, reduction=reduction, **kw)
    p = rng.random((5, C))  # 2-D probabilities with options: a warning, the reference path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare([rng.standard_normal((5, IN)), rng.standard_normal((C, IN))],
                 p / p.sum(1, keepdims=True), 1e-10, options={})  # fmt: skip


def test_chunks_bound_the_logits(monkeypatch):
    """The chunked path computes at most batch_chunk_size rows of logits at a time."""
    rows, real = [], ember.Tensor.logsumexp

    def spy(self, *args, **kwargs):
        rows.append(self.shape[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ember.Tensor, "logsumexp", spy)
    x, w = ember.randn(10, 3, requires_grad=True), ember.randn(50, 3, requires_grad=True)
    t = ember.randint(0, 50, (10,))
    ember.nn.functional.linear_cross_entropy(x, w, t, options=ember.nn.LinearCrossEntropyOptions(
        batch_chunk_size=4)).backward()  # fmt: skip
    assert rows == [4, 4, 2]
    rows.clear()
    ember.nn.functional.linear_cross_entropy(x, w, t, reduction="none",
                                             options=ember.nn.LinearCrossEntropyOptions()
                                             ).sum().backward()  # fmt: skip
    # auto on CPU float32: aspect_ratio:2 -> next_pow2(ceil(10 / ceil(50 / 3))) // 2 = 0 -> 1
    assert rows == [1] * 20  # forward, then the recomputing backward


def test_second_backward():
    rng = np.random.default_rng(4)
    x, w, t = rng.standard_normal((N, IN)), rng.standard_normal((C, IN)), rng.integers(0, C, N)
    msgs = []
    for opts, retain in (({}, True), ({}, False), ({"allow_retain_graph": True}, True)):
        got = []
        for lib in (torch, ember):
            xl = lib.from_numpy(x).requires_grad_()
            loss = lib.nn.functional.linear_cross_entropy(
                xl, lib.from_numpy(w), lib.from_numpy(t),
                options=lib.nn.LinearCrossEntropyOptions(**opts))  # fmt: skip
            loss.backward(retain_graph=retain)
            try:
                loss.backward()
                got.append(xl.grad.numpy())
            except RuntimeError as e:
                got.append(str(e))
        if isinstance(got[0], str):
            assert got[0] == got[1]
            msgs.append(got[0])
        else:
            np.testing.assert_allclose(got[1], got[0], rtol=1e-10)
    assert len(msgs) == 2 and "called twice" in msgs[0]


def test_no_grad_and_frozen_inputs():
    rng = np.random.default_rng(5)
    x, w, t = rng.standard_normal((N, IN)), rng.standard_normal((C, IN)), rng.integers(0, C, N)
    for lib in (torch, ember):
        opts = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3)
        with lib.no_grad():
            out = lib.nn.functional.linear_cross_entropy(
                lib.from_numpy(x).requires_grad_(), lib.from_numpy(w), lib.from_numpy(t),
                options=opts)  # fmt: skip
        assert out.grad_fn is None and not out.requires_grad
    _compare([x, w], t, 1e-10, options={"batch_chunk_size": 3})


def test_fallback_warning():
    msgs = []
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="``options`` ignored") as rec:
            lib.nn.functional.linear_cross_entropy(
                lib.ones(3, 4), lib.ones(5, 4), lib.tensor([0, 1, 2]), label_smoothing=0.1,
                options=lib.nn.LinearCrossEntropyOptions())  # fmt: skip
        msgs.append(str(rec[0].message).replace("torch.", "").replace("ember.", ""))
        assert rec[0].filename == __file__
    assert msgs[0] == msgs[1]


def _errors(fn):
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append(info)
    assert out[0].type is out[1].type, (out[0].value, out[1].value)
    return [str(i.value).replace("torch.", "").replace("ember.", "") for i in out]


@pytest.mark.parametrize("shapes", [
    ((2, 3, 4), (5, 4), (2,), None),  # 3-D input
    ((2, 4), (4,), (2,), None),  # 1-D weight
    ((2, 4), (5, 3), (2,), None),  # in_features differ
    ((2, 4), (5, 4), (2,), (4,)),  # bias shape
    ((4,), (5, 2, 4), (2,), None),  # K-dim loss of an unbatched input
])  # fmt: skip
def test_functional_errors(shapes):
    xs, ws, ts, bs = shapes

    def fn(lib):
        b = lib.zeros(bs) if bs is not None else None
        return lib.nn.functional.linear_cross_entropy(lib.zeros(xs), lib.zeros(ws),
                                                      lib.zeros(ts, dtype=lib.long),
                                                      linear_bias=b)  # fmt: skip

    t, e = _errors(fn)
    assert t == e


def test_probability_target_with_ignore_index():
    t, e = _errors(lambda lib: lib.nn.functional.linear_cross_entropy(
        lib.zeros(2, 4), lib.zeros(5, 4), lib.zeros(2, 5), ignore_index=1))  # fmt: skip
    assert t == e


@pytest.mark.parametrize("kw", [
    {"acc_policy": "fast"}, {"chunking_method": "rows"}, {"chunking_method": "aspect_ratio:0"},
    {"batch_chunk_size": 0}, {"batch_chunk_size": 2.0}, {"acc_dtype": "int64"},
])  # fmt: skip
def test_options_validation(kw):
    def fn(lib):
        kw2 = {k: getattr(lib, v) if k == "acc_dtype" else v for k, v in kw.items()}
        return lib.nn.LinearCrossEntropyOptions(**kw2)

    t, e = _errors(fn)
    assert t == e


@pytest.mark.parametrize("n, in_f, c", [(10, 3, 50), (64, 16, 1000), (7, 8, 4), (1, 2, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"batch_chunk_size": 3},
        {"chunking_method": None},
        {"chunking_method": "aspect_ratio:4", "acc_policy": "balanced"},
        {"acc_dtype": "float64"},
        {"chunking_method": "aspect_ratio"},
    ],
)
def test_options_adjust(n, in_f, c, dtype, kw):
    """The "auto" sentinels resolve as torch's for each (device, dtype) and shape."""
    res = []
    for lib in (torch, ember):
        kw2 = {k: getattr(lib, v) if k == "acc_dtype" else v for k, v in kw.items()}
        opts = lib.nn.LinearCrossEntropyOptions(**kw2)
        try:
            a = opts._adjust(n, in_f, c, getattr(lib, dtype), lib.device("cpu"))
            res.append(repr(a).replace("torch.", "").replace("ember.", ""))
        except ValueError as e:
            res.append(str(e))
    assert res[0] == res[1]


def test_module():
    rng = np.random.default_rng(6)
    cw = rng.random(C)
    for kw, tshape in (({"bias": True, "ignore_index": 2}, (5,)),
                       ({"out_features": (2, 3), "label_smoothing": 0.1}, (5, 2, 3)),
                       ({"bias": True, "reduction": "sum", "options": {"batch_chunk_size": 2}},
                        (5,))):  # fmt: skip
        mods = []
        for lib in (torch, ember):
            kw2 = dict(kw)
            if "options" in kw2:
                kw2["options"] = lib.nn.LinearCrossEntropyOptions(**kw2["options"])
            mods.append(lib.nn.LinearCrossEntropyLoss(IN, C, weight=lib.from_numpy(cw),
                                                      dtype=lib.float64, **kw2))  # fmt: skip
        tm, em = mods
        assert repr(em).replace("ember.", "") == repr(tm).replace("torch.", "")
        assert list(em.state_dict()) == list(tm.state_dict())
        em.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in tm.state_dict().items()})
        x, t = rng.standard_normal((5, IN)), rng.integers(0, C, tshape)
        xt, xe = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
        lt, le = tm(xt, torch.from_numpy(t)), em(xe, ember.from_numpy(t))
        _close(le, lt, 1e-10)
        lt.backward()
        le.backward()
        _close(xe.grad, xt.grad, 1e-10)
        for (_, pt), (_, pe) in zip(tm.named_parameters(), em.named_parameters()):
            _close(pe.grad, pt.grad, 1e-10)


def test_module_errors():
    t, e = _errors(lambda lib: lib.nn.LinearCrossEntropyLoss(4, 3, weight=lib.ones(4)))
    assert t == e
    t, e = _errors(lambda lib: lib.nn.LinearCrossEntropyLoss(4, 3, label_smoothing=1.5))
    assert t == e


def test_factory_kwargs():
    for make in (
        lambda lib: None,
        lambda lib: {},
        lambda lib: {"dtype": lib.float64},
        lambda lib: {"device": "cpu", "factory_kwargs": {"dtype": lib.float16}},
        lambda lib: {"memory_format": lib.contiguous_format, "device": "cpu"},
    ):
        t, e = torch.nn.factory_kwargs(make(torch)), ember.nn.factory_kwargs(make(ember))
        assert sorted(t) == sorted(e)
        assert {k: str(v) for k, v in t.items()} == \
            {k: str(v).replace("ember", "torch") for k, v in e.items()}  # fmt: skip
    t, e = _errors(lambda lib: lib.nn.factory_kwargs({"dtype": 1, "factory_kwargs": {"dtype": 2}}))
    assert t == e
    t, e = _errors(lambda lib: lib.nn.factory_kwargs({"requires_grad": True}))
    assert t == e
    x = ember.empty(2, **ember.nn.factory_kwargs({"dtype": ember.float64}))
    assert x.dtype is ember.float64
