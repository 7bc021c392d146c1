"""ember.nn.functional against torch.nn.functional: values, dtypes, gradients, errors."""

# ruff: noqa: B023  (check() calls each lambda at once, inside the loop iteration)

import numpy as np
import pytest
from helpers import check, check_error, gradcheck

import ember

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def F(lib):
    return lib.nn.functional


def nd(t):
    """A float input that torch takes as a constant (weights, targets, running stats)."""
    return None if t is None else t.detach()


def x34(dtype=np.float64, shape=(3, 4)):
    return rng.uniform(-3, 3, shape).astype(dtype)


ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
    ("celu", {"alpha": 2.0}), ("silu", {}), ("mish", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardsigmoid", {}), ("hardswish", {}),
    ("hardshrink", {}), ("softshrink", {"lambd": 0.3}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.2, "value": -1.0}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}), ("glu", {}), ("glu", {"dim": 0}),
    ("logsigmoid", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}),
    ("softsign", {}), ("rrelu", {}),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", ACTIVATIONS)
def test_activation(name, kw, dtype):
    x = x34(dtype, (4, 6))
    check(lambda lib, x: getattr(F(lib), name)(x, **kw), x, grad_fn=False)
    check(lambda lib, x: getattr(F(lib), name)(x, **kw), x.T, grad_fn=False)  # non-contiguous


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu(approximate, dtype):
    check(lambda lib, x: F(lib).gelu(x, approximate=approximate), x34(dtype))
    gradcheck(lambda x: ember.nn.functional.gelu(x, approximate=approximate), [x34()])


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(name, dim):
    x = x34(shape=(2, 3, 4))
    check(lambda lib, x: getattr(F(lib), name)(x, dim), x, grad_fn=name != "softmin")
    check(lambda lib, x: getattr(F(lib), name)(x, dim, dtype=lib.float32), x, grad_fn=False,
          grad_atol=1e-5, grad_rtol=1e-5)  # fmt: skip


def test_softmax_top_level_and_stability():
    x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], np.float32)
    check(lambda lib, x: lib.softmax(x, 1), x)
    check(lambda lib, x: lib.log_softmax(x, 1), x)
    check(lambda lib, x: x.softmax(0), x)


def test_softmax_implicit_dim_warns():
    x = ember.ones(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = ember.nn.functional.softmax(x)
    with pytest.warns(UserWarning):
        want = torch.nn.functional.softmax(torch.ones(2, 3))
    np.testing.assert_allclose(out.numpy(), want.numpy())


def test_prelu():
    check(lambda lib, x, w: F(lib).prelu(x, w), x34(shape=(2, 3, 4)), rng.uniform(0, 1, 3),
          grad_fn=False)  # fmt: skip
    check(lambda lib, x, w: F(lib).prelu(x, w), x34(), rng.uniform(0, 1, 1), grad_fn=False)


def test_inplace_activations():
    for name in ["relu_", "elu_", "leaky_relu_", "hardtanh_", "celu_", "selu_", "threshold_"]:
        args = (0.1, 2.0) if name == "threshold_" else ()
        if name == "threshold_":
            fn = lambda lib, x: getattr(lib, name)(x * 1, *args)  # noqa: E731
        else:
            fn = lambda lib, x: getattr(F(lib), name)(x * 1, *args)  # noqa: E731
        check(fn, x34(), grad_fn=False)
    x = ember.tensor(x34(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.nn.functional.elu_(x)


def test_rrelu_training_slopes_and_gradient():
    # torch: negative inputs scaled by a ~ U(lower, upper), the gradient is that slope; positive
    # inputs pass with gradient 1 (ember's draws differ from torch's: compare the rule and the
    # distribution's moments with U(0.1, 0.3): mean 0.2, sd 0.2 / sqrt(12))
    x = ember.tensor(np.r_[-np.ones(4000), np.full(10, 2.0)], requires_grad=True)
    y = ember.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    slopes = (y / x).detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
    neg = -y.detach().numpy()[:4000]
    assert neg.min() >= 0.1 and neg.max() <= 0.3
    assert abs(neg.mean() - 0.2) < 6 * 0.0577 / np.sqrt(4000)
    assert abs(neg.std() - 0.2 / np.sqrt(12)) < 0.005
    assert (y.detach().numpy()[4000:] == 2.0).all() and (x.grad.numpy()[4000:] == 1.0).all()
    t = torch.tensor(np.r_[-np.ones(10), 2.0], requires_grad=True)
    torch.nn.functional.rrelu(t, 0.1, 0.3, training=True).sum().backward()
    assert (t.grad[-1] == 1).item() and ((t.grad[:-1] >= 0.1) & (t.grad[:-1] <= 0.3)).all()


def test_gumbel_softmax():
    x = ember.tensor(x34())
    y = ember.nn.functional.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(y.sum(-1).numpy(), 1.0)
    h = ember.nn.functional.gumbel_softmax(x, hard=True)
    assert sorted(set(h.numpy().ravel().tolist())) == [0.0, 1.0]
    assert (h.sum(-1).numpy() == 1).all()  # one-hot rows
    # straight-through (torch's docs: y_hard - y_soft.detach() + y_soft): the same draw, soft
    # and hard, has the hard argmax equal to the soft one and the soft sample's gradient
    logits = x34()
    xs = ember.tensor(logits, requires_grad=True)
    xh = ember.tensor(logits, requires_grad=True)
    w = ember.tensor(np.arange(12.0).reshape(3, 4))
    ember.manual_seed(5)
    soft = ember.nn.functional.gumbel_softmax(xs, tau=0.7)
    ember.manual_seed(5)
    hard = ember.nn.functional.gumbel_softmax(xh, tau=0.7, hard=True)
    assert (hard.argmax(-1) == soft.argmax(-1)).all()
    (soft * w).sum().backward()
    (hard * w).sum().backward()
    np.testing.assert_allclose(xh.grad.numpy(), xs.grad.numpy(), rtol=1e-12)


def test_activation_errors():
    check_error(lambda lib, x: F(lib).glu(x), x34(shape=(2, 3)), match="Halving dimension")
    check_error(lambda lib, x: F(lib).softshrink(x, -1.0), x34())
    check_error(lambda lib, x, w: F(lib).prelu(x, w), x34(shape=(2, 3)), np.ones(4))


# -- dropout ----------------------------------------------------------------------------------

DROPOUTS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
            "feature_alpha_dropout"]  # fmt: skip


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_identities(name):
    x = x34(shape=(2, 3, 4, 5, 2))[..., 0] if name != "dropout3d" else x34(shape=(2, 3, 4, 5, 2))
    x = x[:, :, :, 0] if name == "dropout1d" else x
    check(lambda lib, x: getattr(F(lib), name)(x, 0.4, training=False), x, grad_fn=False)
    check(lambda lib, x: getattr(F(lib), name)(x, 0.0, training=True), x, grad_fn=False)


def test_dropout_statistics_and_gradient():
    x = ember.ones(200, 100, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)


def test_feature_dropout_zeros_channels():
    y = ember.nn.functional.dropout2d(ember.ones(50, 8, 3, 3), 0.5).numpy()
    per_channel = y.reshape(50, 8, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.35 < (per_channel[..., 0] == 0).mean() < 0.65


def test_alpha_dropout_keeps_moments():
    x = ember.randn(200000)
    y = ember.nn.functional.alpha_dropout(x, 0.2, training=True)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.std()) - 1) < 0.02


def test_dropout_errors():
    check_error(lambda lib, x: F(lib).dropout(x, 1.5), x34())
    check_error(lambda lib, x: F(lib).dropout1d(x, 0.5), x34(shape=(4,)), match="Expected 2D or 3D")


# -- losses -----------------------------------------------------------------------------------

REDUCTIONS = ["none", "mean", "sum"]
TOL = {"grad_atol": 1e-4, "grad_rtol": 1e-4}  # normalizations sum in another order than torch


def targets(n, c, shape=()):
    return rng.integers(0, c, (n,) + shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_indices(reduction, smoothing, weighted):
    w = rng.uniform(0.5, 2, 5) if weighted else None
    t = targets(4, 5)
    t[1] = -100
    check(lambda lib, x, t, w: F(lib).cross_entropy(x, t, nd(w), reduction=reduction,
                                                    label_smoothing=smoothing),
          x34(shape=(4, 5)), t, w, grad_fn=False)  # fmt: skip
    # K-dimensional
    check(lambda lib, x, t, w: F(lib).cross_entropy(x, t, nd(w), reduction=reduction,
                                                    label_smoothing=smoothing, ignore_index=1),
          x34(shape=(2, 5, 3, 2)), targets(2, 5, (3, 2)), w, grad_fn=False)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(reduction):
    p = rng.uniform(0, 1, (4, 5))
    p /= p.sum(1, keepdims=True)
    check(lambda lib, x, p: F(lib).cross_entropy(x, p, reduction=reduction, label_smoothing=0.1),
          x34(shape=(4, 5)), p, grad_fn=False)  # fmt: skip
    check(lambda lib, x, p, w: F(lib).cross_entropy(x, p, nd(w), reduction=reduction),
          x34(shape=(4, 5)), p, rng.uniform(0.5, 2, 5), grad_fn=False)  # fmt: skip


def test_nll_loss_unbatched_and_errors():
    check(lambda lib, x, t: F(lib).nll_loss(x, t), x34(shape=(5,)), np.array(2), grad_fn=False)
    check_error(lambda lib, x, t: F(lib).nll_loss(x, t), x34(shape=(4, 5)), np.array([0, 1, 2]))
    check_error(lambda lib, x, t: F(lib).nll_loss(x, t), x34(shape=(2, 5)), np.array([0, 7]))


PAIRWISE_LOSSES = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {}), ("huber_loss", {"delta": 0.7}), ("soft_margin_loss", {}),
]  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", PAIRWISE_LOSSES)
def test_regression_losses(name, kw, reduction):
    check(lambda lib, x, y: getattr(F(lib), name)(x, nd(y), reduction=reduction, **kw),
          x34(np.float32), x34(np.float32), grad_fn=False)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p, t, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0, 2, 4)
    check(lambda lib, p, t, w: F(lib).binary_cross_entropy(p, nd(t), nd(w), reduction=reduction),
          p, t, w, grad_fn=False)  # fmt: skip
    check(lambda lib, x, t, w, pw: F(lib).binary_cross_entropy_with_logits(
        x, nd(t), nd(w), reduction=reduction, pos_weight=nd(pw)),
        10 * x34(), t, w, rng.uniform(0.5, 3, 4),
        grad_fn=False)  # fmt: skip
    for r in (0, 1, 2):  # torch's top-level name takes the reduction enum
        check(lambda lib, x, t: lib.binary_cross_entropy_with_logits(x, nd(t), reduction=r),
              40 * x34(), t, grad_fn=False)  # fmt: skip
    check(lambda lib, x, t: lib.binary_cross_entropy_with_logits(x, nd(t)), x34(), t,
          grad_fn=False)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    inp = np.log(rng.uniform(0.1, 1, (3, 4)))
    t = rng.uniform(0, 1, (3, 4))
    t = np.log(t) if log_target else t
    with pytest.warns(UserWarning) if reduction == "mean" else _nothing():
        check(lambda lib, x, t: F(lib).kl_div(x, nd(t), reduction=reduction, log_target=log_target),
              inp, t, grad_fn=False)  # fmt: skip


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_losses(reduction):
    kw = {"reduction": reduction, "grad_fn": False}
    x, y = x34(), x34()
    sign = rng.choice([-1.0, 1.0], 3)
    check(lambda lib, x, t, reduction: F(lib).poisson_nll_loss(x, nd(t), reduction=reduction),
          x, rng.uniform(0, 3, (3, 4)), **kw)  # fmt: skip
    check(lambda lib, x, t, reduction: F(lib).poisson_nll_loss(
        x, nd(t), log_input=False, full=True, reduction=reduction),
        rng.uniform(0.1, 3, (3, 4)), rng.uniform(0, 3, (3, 4)), **kw)  # fmt: skip
    check(lambda lib, x, t, v, reduction: F(lib).gaussian_nll_loss(x, t, v, full=True,
                                                                   reduction=reduction),
          x, y, rng.uniform(0.1, 2, (3, 4)), **kw)  # fmt: skip
    check(lambda lib, x, t, reduction: F(lib).hinge_embedding_loss(x, nd(t), reduction=reduction),
          x, np.sign(y), **kw)  # fmt: skip
    check(lambda lib, a, b, t, reduction: F(lib).margin_ranking_loss(a, b, nd(t), 0.3,
                                                                     reduction=reduction),
          x[:, 0], y[:, 0], sign, **kw)  # fmt: skip
    check(lambda lib, x, t, reduction: F(lib).multilabel_soft_margin_loss(x, nd(t),
                                                                          reduction=reduction),
          x, (y > 0).astype(np.float64), **kw)  # fmt: skip
    check(lambda lib, a, b, t, reduction: F(lib).cosine_embedding_loss(a, b, nd(t), 0.1,
                                                                       reduction=reduction),
          x, y, sign, **kw)  # fmt: skip
    mt = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])
    check(lambda lib, x, t, reduction: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
          x, mt, **kw)  # fmt: skip
    for p in (1, 2):
        check(lambda lib, x, t, w, reduction: F(lib).multi_margin_loss(
            x, t, p=p, margin=0.5, weight=nd(w), reduction=reduction),
            x, targets(3, 4), rng.uniform(0.5, 2, 4), **kw)  # fmt: skip
    for swap in (False, True):
        check(lambda lib, a, p_, n, reduction: F(lib).triplet_margin_loss(
            a, p_, n, swap=swap, p=1.5, reduction=reduction), x, y, x34(), **kw)  # fmt: skip
    check(lambda lib, a, p_, n, reduction: F(lib).triplet_margin_with_distance_loss(
        a, p_, n, distance_function=lambda u, v: (u - v).abs().sum(-1), reduction=reduction),
        x, y, x34(), **kw)  # fmt: skip


def test_loss_errors():
    check_error(lambda lib, x, y: F(lib).binary_cross_entropy(x, y), np.full(3, 0.5), np.ones(4))
    check_error(lambda lib, x, y: F(lib).mse_loss(x, y, reduction="bad"), x34(), x34())
    check_error(lambda lib, x, y: F(lib).cross_entropy(x, y), x34(shape=(3, 4)), x34(shape=(3, 5)))


# -- normalization ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm(shape, dtype):
    x = x34(dtype, shape)
    c = shape[1]
    w, b = rng.uniform(0.5, 2, c).astype(dtype), rng.uniform(-1, 1, c).astype(dtype)
    rm, rv = rng.uniform(-1, 1, c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)

    def train(lib, x, w, b, rm, rv):
        rm, rv = rm.detach().clone(), rv.detach().clone()  # updated in place
        out = F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        return out, rm, rv

    check(train, x, w, b, rm, rv, grad_fn=False, **TOL)
    check(lambda lib, x, w, b, rm, rv: F(lib).batch_norm(x, nd(rm), nd(rv), w, b), x, w, b, rm, rv,
          grad_fn=False)  # fmt: skip
    check(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), x, grad_fn=False, **TOL)


def test_batch_norm_error():
    check_error(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), x34(shape=(1, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_group_rms_instance_norm(dtype):
    x = x34(dtype, (2, 4, 3, 5))
    w, b = rng.uniform(0.5, 2, (3, 5)).astype(dtype), rng.uniform(-1, 1, (3, 5)).astype(dtype)
    tol = {"grad_fn": False, **TOL}
    check(lambda lib, x, w, b: F(lib).layer_norm(x, (3, 5), w, b), x, w, b, **tol)
    check(lambda lib, x: lib.layer_norm(x, [5]), x, **tol)
    check(lambda lib, x, w: F(lib).rms_norm(x, (3, 5), w, eps=1e-6), x, w, **tol)
    check(lambda lib, x: F(lib).rms_norm(x, [5]), x, **tol)
    c = rng.uniform(0.5, 2, 4).astype(dtype)
    check(lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), x, c, c + 1, **tol)
    check(lambda lib, x, w, b: F(lib).instance_norm(x, weight=w, bias=b), x, c, c - 1, **tol)
    check(lambda lib, x: F(lib).local_response_norm(x, 3, 0.1, 0.5, 2.0), x, **tol)
    check(lambda lib, x: F(lib).local_response_norm(x, 2), x[:, :, 0], **tol)
    for p in (1, 2, 3.5):
        check(lambda lib, x: F(lib).normalize(x, p, dim=1), x, **tol)


def test_norm_errors():
    check_error(lambda lib, x: F(lib).layer_norm(x, (4,)), x34(shape=(2, 3)), match="Given normal")
    check_error(lambda lib, x: F(lib).group_norm(x, 3), x34(shape=(2, 4, 3)))
    check_error(lambda lib, x: F(lib).local_response_norm(x, 2), x34(shape=(2, 4)))


# -- embedding, one_hot, distances ------------------------------------------------------------


def test_embedding():
    w = x34(shape=(6, 3))
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    check(lambda lib, i, w: F(lib).embedding(i, w), idx, w, grad_fn=False)
    check(lambda lib, i, w: F(lib).embedding(i, w, padding_idx=2), idx, w, grad_fn=False)
    check(lambda lib, i, w: lib.embedding(w, i), idx, w, grad_fn=False)


def test_embedding_max_norm_renorms_in_place():
    w = x34(shape=(6, 3))
    idx = np.array([0, 2, 2])

    def fn(lib, i, w):
        w = w.detach().clone()
        out = F(lib).embedding(i, w, max_norm=1.0)
        return out, w

    check(fn, idx, w, grad=False)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    w = x34(shape=(8, 3))
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 7])
    off = np.array([0, 3, 3, 6])
    check(lambda lib, i, w, o: F(lib).embedding_bag(i, w, o, mode=mode), idx, w, off,
          grad_fn=False)  # fmt: skip
    check(lambda lib, i, w: F(lib).embedding_bag(i, w, mode=mode), idx.reshape(2, 4), w,
          grad_fn=False)  # fmt: skip
    check(lambda lib, i, w, o: F(lib).embedding_bag(i, w, o, mode=mode, include_last_offset=True,
                                                    padding_idx=4),
          idx, w, np.array([0, 3, 3, 6, 8]), grad_fn=False)  # fmt: skip
    check(lambda lib, i, w, o: F(lib).embedding_bag(i, w, o, mode=mode, padding_idx=4),
          idx, w, off, grad_fn=False)  # fmt: skip
    if mode == "sum":
        check(lambda lib, i, w, o, ps: F(lib).embedding_bag(i, w, o, mode="sum",
                                                            per_sample_weights=ps),
              idx, w, off, rng.uniform(0, 1, 8), grad_fn=False)  # fmt: skip


def test_one_hot():
    check(lambda lib, t: F(lib).one_hot(t), np.array([[0, 3], [1, 1]]), grad=False)
    check(lambda lib, t: F(lib).one_hot(t, 6), np.array([0, 3, 5]), grad=False)
    check_error(lambda lib, t: F(lib).one_hot(t, 2), np.array([0, 3]))


def test_distances():
    a, b = x34(shape=(5, 4)), x34(shape=(5, 4))
    kw = {"grad_fn": False}
    for p in (1.0, 2.0, 3.0):
        check(lambda lib, a, b: F(lib).pairwise_distance(a, b, p), a, b, **kw)
        check(lambda lib, a: F(lib).pdist(a, p), a, **kw)
    check(lambda lib, a, b: F(lib).pairwise_distance(a, b, keepdim=True), a, b[0], **kw)
    check(lambda lib, a, b: F(lib).cosine_similarity(a, b), a, b, **kw)
    check(lambda lib, a, b: lib.cosine_similarity(a, b, dim=0), a, b.T.copy().T, **kw)
    check(lambda lib, a, b: lib.pairwise_distance(a, b), a, b, **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss(reduction):
    t_, n, c = 6, 3, 4
    lp = rng.standard_normal((t_, n, c))
    tg, il, tl = rng.integers(1, c, (n, 3)), np.array([6, 5, 6]), np.array([3, 2, 1])

    # torch's ctc backward is exact only for log_softmax outputs (it folds in softmax's
    # Jacobian), so the gradient is compared through log_softmax, as CTC is used
    def fn(lib, x, tg, il, tl):
        return F(lib).ctc_loss(x.log_softmax(2), tg, il, tl, reduction=reduction)

    check(fn, lp, tg, il, tl, grad_fn=False)
    flat = np.concatenate([tg[0, :3], tg[1, :2], tg[2, :1]])
    check(fn, lp, flat, il, tl, grad_fn=False)
    check(lambda lib, x, tg: lib.ctc_loss(x.log_softmax(2), tg, [6, 5, 6], [3, 2, 1]), lp, tg,
          grad_fn=False)  # fmt: skip
    gradcheck(
        lambda x: ember.nn.functional.ctc_loss(x, ember.tensor(tg[:1]), il[:1], tl[:1]), [lp[:, :1]]
    )


def test_ctc_loss_impossible_alignment():
    lp = np.log(rng.dirichlet(np.ones(4), (2, 1)))
    tg, il, tl = np.array([[1, 2, 3]]), np.array([2]), np.array([3])  # 3 labels in 2 steps
    check(lambda lib, lp, tg, il, tl: F(lib).ctc_loss(lp, tg, il, tl, reduction="none"),
          lp, tg, il, tl, grad=False)  # fmt: skip
    check(lambda lib, lp, tg, il, tl: F(lib).ctc_loss(lp, tg, il, tl, zero_infinity=True),
          lp, tg, il, tl, grad_fn=False)  # fmt: skip


def test_top_level_names():
    x, w, b = x34(shape=(4, 3, 2)), rng.uniform(0.5, 2, 3), rng.uniform(-1, 1, 3)
    kw = {"grad_fn": False, **TOL}
    check(lambda lib, x: lib.dropout(x, 0.3, False) + lib.alpha_dropout(x, 0.0, True), x, **kw)
    check(lambda lib, x: lib.feature_dropout(x, 0.0, True), x, **kw)
    check(lambda lib, x, w, b: lib.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
          x, w, b, **kw)  # fmt: skip
    check(lambda lib, x, w, b: lib.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
          x, w, b, **kw)  # fmt: skip
    check(lambda lib, x, w, b: lib.group_norm(x, 3, w, b), x, w, b, **kw)
    check(lambda lib, x: lib.rms_norm(x, [2]), x, **kw)
    check(lambda lib, x: lib.celu(x, 0.5) + lib.selu(x) + lib.threshold(x, 0.1, 3.0), x, **kw)
    check(lambda lib, x: lib.hardshrink(x, 0.4) + x.hardshrink(), x, **kw)
    check(lambda lib, x, w: lib.prelu(x, w) + x.prelu(w), x, w, **kw)
    check(lambda lib, i, w: lib.embedding(w, i, 1), np.array([[0, 1], [2, 1]]), x34(), **kw)
    y, s = x34(), np.sign(x34())
    for r in (0, 1, 2):
        check(lambda lib, x, y: lib.kl_div(x, nd(y), r, log_target=True), x34(), y, **kw)
        check(lambda lib, x, s: lib.hinge_embedding_loss(x, nd(s), 0.5, r), x34(), s, **kw)
        check(lambda lib, x, y, s: lib.margin_ranking_loss(x, y, nd(s), 0.2, r), x34(), y, s, **kw)
        check(lambda lib, x, y: lib.poisson_nll_loss(x, nd(y), True, False, 1e-8, r), x34(),
              np.abs(y), **kw)  # fmt: skip
        check(lambda lib, x, y, z: lib.triplet_margin_loss(x, y, z, 1.0, 2, 1e-6, False, r),
              x34(), y, x34(), **kw)  # fmt: skip
        check(lambda lib, x, y, s: lib.cosine_embedding_loss(x, y, nd(s), 0.0, r), x34(), y,
              s[:, 0], **kw)  # fmt: skip
    check(lambda lib, x, y: lib.cosine_similarity(x, y) + lib.pairwise_distance(x, y), x34(), y,
          **kw)  # fmt: skip
    check(lambda lib, x: lib.pdist(x, 1.0), x34(), **kw)


@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_scale_grad_by_freq_matches_torch(padding_idx):
    idx = [[0, 0, 1, 3], [2, 0, 1, 1]]
    grads = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        w = lib.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(idx), w, padding_idx=padding_idx,
                                          scale_grad_by_freq=True)  # fmt: skip
        (out * lib.tensor(np.arange(16.0).reshape(2, 4, 2))).sum().backward()
        grads.append((out.tolist(), w.grad.tolist()))
    assert grads[0] == grads[1]
