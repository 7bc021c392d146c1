"""LBFGS, Adafactor, Muon and swa_utils against torch.optim.

Trajectories: the same float64 problem (a small MLP on fixed data, the Rosenbrock function)
runs through torch and ember; every parameter is compared after every step (relative 1e-5).
State dicts move between the two mid-run (tensors through NumPy) and the runs go on equal.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

RTOL, ATOL = 1e-5, 1e-10

_rng = np.random.default_rng(2026)
X = _rng.standard_normal((10, 4))
Y = _rng.standard_normal((10, 2))
MLP_INIT = [
    _rng.standard_normal((6, 4)) * 0.5,  # Linear(4, 6).weight
    _rng.standard_normal(6) * 0.1,
    _rng.standard_normal((2, 6)) * 0.5,  # Linear(6, 2).weight
    _rng.standard_normal(2) * 0.1,
]
ROSEN_INIT = [np.array([-1.2, 1.5, 0.3, -0.7])]
# shapes that exercise Adafactor's factored (>= 2-D, batched) and unfactored (1-D, 0-d) paths
MIXED_INIT = [
    _rng.standard_normal((2, 3, 4)),
    _rng.standard_normal((5, 3)),
    _rng.standard_normal(7),
    np.array(0.8),
]
MIXED_TARGET = [_rng.standard_normal(a.shape) for a in MIXED_INIT]


def mlp_loss(lib, params):
    w1, b1, w2, b2 = params
    x, y = lib.tensor(X), lib.tensor(Y)
    h = (x @ w1.T + b1).tanh()
    return ((h @ w2.T + b2 - y) ** 2).mean()


def rosenbrock_loss(lib, params):
    (x,) = params
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def mixed_loss(lib, params):
    total = 0
    for p, target in zip(params, MIXED_TARGET):
        total = total + ((p - lib.tensor(target)) ** 2).sum() + 0.1 * (p**4).sum()
    return total


PROBLEMS = {
    "mlp": (MLP_INIT, mlp_loss),
    "rosenbrock": (ROSEN_INIT, rosenbrock_loss),
    "mixed": (MIXED_INIT, mixed_loss),
}


# -- helpers ----------------------------------------------------------------------------------


def _convert(lib, obj):
    """A state_dict (or part of one) with every tensor rebuilt in ``lib`` through NumPy."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return lib.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _convert(lib, v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(lib, v) for v in obj)
    return obj


class Run:
    """One optimizer on one problem in one library; ``step()`` returns the params as arrays."""

    def __init__(self, lib, name, problem, kwargs, init=None, train=None):
        arrays, self.loss_fn = PROBLEMS[problem]
        if init is not None:
            arrays = init
        self.lib = lib
        self.params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        train = self.params if train is None else [self.params[i] for i in train]
        self.opt = getattr(lib.optim, name)(train, **kwargs)

    def closure(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.lib, self.params)
        loss.backward()
        return loss

    def step(self, use_closure=False):
        if use_closure:
            loss = self.opt.step(self.closure)
        else:
            loss = self.closure()
            self.opt.step()
        return float(loss.detach()), [p.detach().numpy().copy() for p in self.params]


def _compare(t_run, e_run, steps, use_closure, what):
    for i in range(steps):
        t_loss, t_params = t_run.step(use_closure)
        e_loss, e_params = e_run.step(use_closure)
        assert math.isclose(e_loss, t_loss, rel_tol=RTOL, abs_tol=ATOL), (what, i)
        for k, (e, t) in enumerate(zip(e_params, t_params)):
            np.testing.assert_allclose(e, t, rtol=RTOL, atol=ATOL, err_msg=f"{what} step {i} p{k}")


def _trajectory(name, problem, kwargs, steps, use_closure=False, train=None):
    t_run = Run(torch, name, problem, kwargs, train=train)
    e_run = Run(ember, name, problem, kwargs, train=train)
    _compare(t_run, e_run, steps, use_closure, f"{name}{kwargs} on {problem}")
    return t_run, e_run


def _round_trip(name, problem, kwargs, first, then, use_closure=False, train=None):
    """Run ``first`` steps in one library, move params + state_dict to the other, go on;
    compare with the run that never moved. Both directions."""
    for src_lib, dst_lib in ((ember, torch), (torch, ember)):
        ref = Run(torch, name, problem, kwargs, train=train)
        src = Run(src_lib, name, problem, kwargs, train=train)
        for _ in range(first):
            ref.step(use_closure)
            _, params = src.step(use_closure)
        state = _convert(dst_lib, src.opt.state_dict())
        dst = Run(dst_lib, name, problem, kwargs, init=params, train=train)
        dst.opt.load_state_dict(state)
        _compare(ref, dst, then, use_closure, f"{name} {src_lib.__name__}->{dst_lib.__name__}")


def _same_error(make, match=None):
    """``make(lib)`` raises the same exception type in torch and ember (and both messages
    contain ``match``)."""
    errors = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            make(lib)
        errors.append(info.value)
    t_err, e_err = errors
    want = next(c for c in type(t_err).__mro__ if c.__module__ == "builtins")
    assert isinstance(e_err, want), (t_err, e_err)
    if match is not None:
        assert match in str(t_err) and match in str(e_err), (str(t_err), str(e_err))


# -- LBFGS ------------------------------------------------------------------------------------

LBFGS_GRID = [
    ("rosenbrock", {"lr": 0.05, "history_size": 3, "max_iter": 5}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    (
        "rosenbrock",
        {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 4, "max_eval": 6},
    ),  # fmt: skip
    ("mlp", {"lr": 0.5, "history_size": 10}),
    (
        "mlp",
        {
            "line_search_fn": "strong_wolfe",
            "history_size": 5,
            "max_iter": 10,
            "tolerance_change": 1e-5,
        },
    ),  # fmt: skip
    ("mlp", {"line_search_fn": "strong_wolfe", "tolerance_grad": 1e-3}),  # stops early
]


@pytest.mark.parametrize("problem,kwargs", LBFGS_GRID)
def test_lbfgs_trajectory(problem, kwargs):
    t_run, e_run = _trajectory("LBFGS", problem, kwargs, steps=20, use_closure=True)
    t_state, e_state = t_run.opt.state[t_run.params[0]], e_run.opt.state[e_run.params[0]]
    assert e_state["func_evals"] == t_state["func_evals"]
    assert e_state["n_iter"] == t_state["n_iter"]
    assert len(e_state["old_dirs"]) == len(t_state["old_dirs"])


def test_lbfgs_closure_loss_and_state_dict_keys():
    t_run = Run(torch, "LBFGS", "mlp", {"max_iter": 3})
    e_run = Run(ember, "LBFGS", "mlp", {"max_iter": 3})
    t_loss, e_loss = t_run.opt.step(t_run.closure), e_run.opt.step(e_run.closure)
    assert isinstance(e_loss, ember.Tensor)  # the closure's first loss, as returned
    assert float(e_loss) == pytest.approx(float(t_loss.detach()), rel=1e-12)
    t_sd, e_sd = t_run.opt.state_dict(), e_run.opt.state_dict()
    assert sorted(e_sd["state"][0]) == sorted(t_sd["state"][0])
    assert e_sd["param_groups"] == t_sd["param_groups"]


def test_lbfgs_complex_parameter():
    # a complex parameter enters the flat vector as its real and imaginary parts
    z0 = np.array([1 + 2j, -0.5 + 0.3j, 0.2 - 1j])
    target = np.array([0.3 - 0.1j, 1 + 1j, -2 + 0.5j])
    out = []
    for lib in (torch, ember):
        z = lib.tensor(z0.copy(), requires_grad=True)
        opt = lib.optim.LBFGS([z], line_search_fn="strong_wolfe", max_iter=4)

        def closure(lib=lib, z=z, opt=opt):
            opt.zero_grad()
            loss = ((z - lib.tensor(target)).abs() ** 2).sum() + 0.1 * (z.abs() ** 4).sum()
            loss.backward()
            return loss

        for _ in range(5):
            opt.step(closure)
        out.append(z.detach().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=RTOL, atol=ATOL)
    assert not np.allclose(out[0], z0)


@pytest.mark.parametrize("kwargs", [{"history_size": 4, "lr": 0.5, "max_iter": 5},
                                    {"line_search_fn": "strong_wolfe", "max_iter": 5}])  # fmt: skip
def test_lbfgs_state_dict_round_trip(kwargs):
    _round_trip("LBFGS", "mlp", kwargs, first=3, then=4, use_closure=True)


def test_lbfgs_errors():
    p = np.ones(3)

    def group(lib):
        a, b = lib.tensor(p, requires_grad=True), lib.tensor(p, requires_grad=True)
        return lib.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])

    def bad_line_search(lib):
        x = lib.tensor(p, requires_grad=True)
        opt = lib.optim.LBFGS([x], line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = (x**2).sum()
            loss.backward()
            return loss

        opt.step(closure)

    _same_error(lambda lib: lib.optim.LBFGS([lib.tensor(p, requires_grad=True)], lr=-1.0),
                match="Invalid learning rate: -1.0")  # fmt: skip
    _same_error(group, match="LBFGS doesn't support per-parameter options")
    _same_error(bad_line_search, match="only 'strong_wolfe' is supported")
    _same_error(lambda lib: lib.optim.LBFGS([lib.tensor(p, requires_grad=True)]).step())


# -- Adafactor --------------------------------------------------------------------------------

# Settings stay out of oscillating regimes: at lr=0.03, weight_decay=0.1 on the MLP an
# ulp grows 3x per step from step 65 on, and torch's own foreach and for-loop paths part
# by 1e-3 at step 90; no implementation can follow torch there.
ADAFACTOR_GRID = [
    ("mlp", {}),
    ("mlp", {"lr": 0.02, "weight_decay": 0.2}),
    ("mlp", {"eps": (1e-30, 1e-2), "d": 1.5, "beta2_decay": -0.5}),
    ("mixed", {}),
    ("mixed", {"lr": 0.02, "maximize": True, "foreach": True}),
    ("rosenbrock", {"lr": 0.02, "eps": (1e-8, 1e-3)}),
]


@pytest.mark.parametrize("problem,kwargs", ADAFACTOR_GRID)
def test_adafactor_trajectory(problem, kwargs):
    t_run, e_run = _trajectory("Adafactor", problem, kwargs, steps=100)
    for t_p, e_p in zip(t_run.params, e_run.params):
        t_state, e_state = t_run.opt.state[t_p], e_run.opt.state[e_p]
        assert sorted(e_state) == sorted(t_state)
        for key in t_state:
            assert e_state[key].shape == tuple(t_state[key].shape), key
            assert str(e_state[key].dtype).split(".")[1] == str(t_state[key].dtype).split(".")[1]


def test_adafactor_state_dict_round_trip():
    _round_trip("Adafactor", "mixed", {"weight_decay": 0.05}, first=5, then=10)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
        ({"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
        ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
        ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
        ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
        ({"weight_decay": -0.1}, "weight_decay should be >= 0 but is: -0.1"),
    ],
)
def test_adafactor_errors(kwargs, match):
    _same_error(lambda lib: lib.optim.Adafactor([lib.ones(2, requires_grad=True)], **kwargs),
                match=match)  # fmt: skip


def test_adafactor_complex_param():
    def make(lib):
        z = lib.ones(2, dtype=lib.complex128, requires_grad=True)
        opt = lib.optim.Adafactor([z])
        (z.abs() ** 2).sum().backward()
        opt.step()

    _same_error(make, match="Adafactor does not support complex parameters")


# -- Muon -------------------------------------------------------------------------------------

MUON_WEIGHTS = [0, 2]  # the MLP's 2-D weights (Muon takes matrices only)
MUON_GRID = [
    {"lr": 0.02},
    {"lr": 0.05, "nesterov": False, "weight_decay": 0.0},
    {"lr": 0.01, "adjust_lr_fn": "match_rms_adamw", "momentum": 0.5},
    {
        "lr": 0.03,
        "adjust_lr_fn": "original",
        "ns_steps": 3,
        "ns_coefficients": (3.0, -3.2, 1.2),
        "eps": 1e-5,
    },  # fmt: skip
    {"lr": 0.02, "momentum": 0.0, "weight_decay": 0.3},
]


@pytest.mark.parametrize("kwargs", MUON_GRID)
def test_muon_trajectory(kwargs):
    # torch runs the Newton-Schulz iteration in bfloat16; ember rounds each of its steps to
    # bfloat16 the same way, so on these small matrices the updates agree exactly
    _trajectory("Muon", "mlp", kwargs, steps=100, train=MUON_WEIGHTS)


def test_muon_newton_schulz_matches_torch_bitwise():
    from torch.optim._muon import _zeropower_via_newtonschulz as torch_ns

    from ember.optim._muon import _zeropower_via_newtonschulz as ember_ns

    rng = np.random.default_rng(0)
    coefficients = (3.4445, -4.7750, 2.0315)
    for shape in [(6, 4), (4, 6), (3, 8), (5, 5), (1, 7)]:
        for scale in (1e-3, 1.0, 50.0):
            g = rng.standard_normal(shape) * scale
            want = torch_ns(torch.tensor(g), coefficients, 5, 1e-7).double().numpy()
            got = ember_ns(ember.tensor(g), coefficients, 5, 1e-7).numpy()
            np.testing.assert_array_equal(got, want)
    # a larger matrix: torch's float32 accumulation order differs from NumPy's, so a few
    # elements land one bfloat16 step apart; the result is still the same up to that
    g = rng.standard_normal((48, 32))
    want = torch_ns(torch.tensor(g), coefficients, 5, 1e-7).double().numpy()
    got = ember_ns(ember.tensor(g), coefficients, 5, 1e-7).numpy()
    np.testing.assert_allclose(got, want, rtol=2**-6, atol=2**-8)


def test_muon_bfloat16_rounding():
    from ember.optim._muon import _round_to_bfloat16

    rng = np.random.default_rng(1)
    x = rng.standard_normal(5000) * np.logspace(-40, 38, 5000)
    x = np.concatenate([x, [0.0, -0.0, np.inf, -np.inf, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 3.4e38]])
    want = torch.tensor(x).bfloat16().double().numpy()
    got = _round_to_bfloat16(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(got, want)
    assert np.isnan(_round_to_bfloat16(ember.tensor([np.nan])).numpy()).all()


def test_muon_state_dict_round_trip():
    _round_trip("Muon", "mlp", {"lr": 0.02}, first=4, then=8, train=MUON_WEIGHTS)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
        ({"momentum": -0.5}, "momentum should be >= 0 but is: -0.5"),
        ({"weight_decay": -0.1}, "weight decay should be >= 0 but is: -0.1"),
        ({"adjust_lr_fn": "rms"}, "Adjust learning rate function rms is not supported"),
    ],
)
def test_muon_errors(kwargs, match):
    _same_error(lambda lib: lib.optim.Muon([lib.ones(2, 2, requires_grad=True)], **kwargs),
                match=match)  # fmt: skip


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"ns_steps": 100}, "Number of steps must be less than 100"),
        ({"ns_coefficients": (1.0, 2.0)}, "Coefficients must be a tuple of exactly 3 values"),
    ],
)
def test_muon_step_errors(kwargs, match):
    def make(lib):
        w = lib.ones(2, 3, requires_grad=True)
        opt = lib.optim.Muon([w], **kwargs)
        (w**2).sum().backward()
        opt.step()

    _same_error(make, match=match)


def test_muon_rejects_non_matrix():
    _same_error(
        lambda lib: lib.optim.Muon([lib.ones(3, requires_grad=True)]),
        match="Muon only supports 2D parameters whereas we found a parameter with size",
    )


# -- swa_utils: AveragedModel -----------------------------------------------------------------


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2)
    ).double()


def _twin_nets():
    """The same float64 network in torch and ember (ember's weights copied from torch's)."""
    t_net = _net(torch)
    e_net = _net(ember)
    e_net.load_state_dict(_convert(ember, t_net.state_dict()))
    return t_net, e_net


def _assert_same_state(e_module, t_module):
    t_sd, e_sd = t_module.state_dict(), e_module.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        np.testing.assert_allclose(e_sd[k].numpy(), t_sd[k].numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=k)  # fmt: skip
        assert str(e_sd[k].dtype).split(".")[1] == str(t_sd[k].dtype).split(".")[1], k


def _averaging_kwargs(lib, which):
    swa = lib.optim.swa_utils
    return {
        "default": {},
        "ema_multi": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
        "swa_multi": {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
        "ema": {"avg_fn": swa.get_ema_avg_fn(0.8)},
        "swa": {"avg_fn": swa.get_swa_avg_fn()},
        "custom": {"avg_fn": lambda avg, cur, n: 0.3 * avg + 0.7 * cur},
        "ema_buffers": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.7), "use_buffers": True},
        "default_buffers": {"use_buffers": True},
    }[which]


@pytest.mark.parametrize(
    "which",
    ["default", "ema_multi", "swa_multi", "ema", "swa", "custom", "ema_buffers", "default_buffers"],
)
def test_averaged_model(which):
    t_net, e_net = _twin_nets()
    t_avg = torch.optim.swa_utils.AveragedModel(t_net, **_averaging_kwargs(torch, which))
    e_avg = ember.optim.swa_utils.AveragedModel(e_net, **_averaging_kwargs(ember, which))
    rng = np.random.default_rng(3)
    for _ in range(5):
        # move the source model: a training-mode forward (BatchNorm statistics) and a
        # shared random change of every parameter
        x = rng.standard_normal((6, 3))
        t_net.train(), e_net.train()
        t_net(torch.tensor(x)), e_net(ember.tensor(x))
        with torch.no_grad(), ember.no_grad():
            for t_p, e_p in zip(t_net.parameters(), e_net.parameters()):
                delta = rng.standard_normal(tuple(t_p.shape)) * 0.1
                t_p.add_(torch.tensor(delta))
                e_p.add_(ember.tensor(delta))
        t_avg.update_parameters(t_net)
        e_avg.update_parameters(e_net)
        _assert_same_state(e_avg, t_avg)
        assert int(e_avg.n_averaged) == int(t_avg.n_averaged)
    x = rng.standard_normal((4, 3))
    t_avg.eval(), e_avg.eval()
    np.testing.assert_allclose(e_avg(ember.tensor(x)).detach().numpy(),
                               t_avg(torch.tensor(x)).detach().numpy(), rtol=1e-12)  # fmt: skip


def test_averaged_model_integer_buffers_and_errors():
    # with use_buffers the long num_batches_tracked is averaged by the integer path
    t_net, e_net = _twin_nets()
    t_avg = torch.optim.swa_utils.AveragedModel(t_net, use_buffers=True)
    e_avg = ember.optim.swa_utils.AveragedModel(e_net, use_buffers=True)
    assert [n for n, _ in e_avg.named_buffers()] == [n for n, _ in t_avg.named_buffers()]
    _same_error(lambda lib: lib.optim.swa_utils.AveragedModel(
        lib.nn.Linear(2, 2), avg_fn=lib.optim.swa_utils.get_swa_avg_fn(),
        multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn()),
        match="Only one of avg_fn and multi_avg_fn should be provided")  # fmt: skip
    for fn in ("get_ema_multi_avg_fn", "get_ema_avg_fn"):
        _same_error(lambda lib, fn=fn: getattr(lib.optim.swa_utils, fn)(1.5),
                    match="Invalid decay value 1.5 provided")  # fmt: skip


def test_multi_avg_fns_directly():
    # the functions themselves, on float and integer lists, with int and tensor counts
    swa = {lib: lib.optim.swa_utils for lib in (torch, ember)}
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    for n in (2, "tensor"):
        out = {}
        for lib in (torch, ember):
            avg, cur = [lib.tensor(a)], [lib.tensor(b)]
            count = lib.tensor(n if n != "tensor" else 3)
            swa[lib].get_swa_multi_avg_fn()(avg, cur, count if n == "tensor" else n)
            swa[lib].get_ema_multi_avg_fn(0.6)(cur, avg, count)
            out[lib] = (avg[0].numpy(), cur[0].numpy())
        for e, t in zip(out[ember], out[torch]):
            # the same float32 weight 1 / (n + 1) as torch (an ulp apart: torch's lerp uses fma)
            np.testing.assert_allclose(e, t, rtol=1e-14, atol=1e-16)
    ints = {}
    for lib in (torch, ember):
        avg, cur = [lib.tensor([0, 10, -7])], [lib.tensor([9, 3, 5])]
        swa[lib].get_ema_multi_avg_fn(0.5)(avg, cur, 2)  # integers: not lerp, truncated
        ints[lib] = avg[0]
    np.testing.assert_array_equal(ints[ember].numpy(), ints[torch].numpy())
    assert str(ints[ember].dtype) == "ember.int64"
    # torch's integer SWA path refuses both kinds of count (float alpha, integer addcdiv)
    for count in (2, "tensor"):
        _same_error(
            lambda lib, count=count: swa[lib].get_swa_multi_avg_fn()(
                [lib.tensor([0, 10])],
                [lib.tensor([9, 3])],
                lib.tensor(2) if count == "tensor" else count,
            ),
            match="nteg",
        )


# -- swa_utils: update_bn ---------------------------------------------------------------------


@pytest.mark.parametrize("batches", ["tensors", "pairs"])
def test_update_bn(batches):
    t_net, e_net = _twin_nets()
    for net in (t_net, e_net):
        net[1].momentum = 0.3
        net.eval()
    rng = np.random.default_rng(7)
    data = [rng.standard_normal((5, 3)) for _ in range(4)]
    loaders = {}
    for lib in (torch, ember):
        xs = [lib.tensor(x) for x in data]
        loaders[lib] = xs if batches == "tensors" else [(x, lib.zeros(5)) for x in xs]
    torch.optim.swa_utils.update_bn(loaders[torch], t_net)
    ember.optim.swa_utils.update_bn(loaders[ember], e_net)
    _assert_same_state(e_net, t_net)
    assert e_net[1].momentum == 0.3 and not e_net.training  # restored
    # the statistics are the plain average over the batches
    bn_in = [np.asarray(e_net[0](ember.tensor(x)).detach().numpy()) for x in data]
    np.testing.assert_allclose(e_net[1].running_mean.numpy(),
                               np.mean([h.mean(0) for h in bn_in], 0), rtol=1e-12)  # fmt: skip


def test_update_bn_without_batchnorm_is_a_no_op():
    for lib in (torch, ember):
        net = lib.nn.Linear(2, 2)
        calls = []
        lib.optim.swa_utils.update_bn(iter([calls.append(1) or lib.ones(1, 2)]), net)
        assert net.training


# -- swa_utils: SWALR -------------------------------------------------------------------------


def _two_group_sgd(lib):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"swa_lr": 0.05},
        {"swa_lr": [0.05, 0.01], "anneal_epochs": 3, "anneal_strategy": "linear"},
        {"swa_lr": 0.1, "anneal_epochs": 0},
        {"swa_lr": 0.3, "anneal_epochs": 4, "anneal_strategy": "cos"},
    ],
)
def test_swalr(kwargs):
    scheds, opts = {}, {}
    for lib in (torch, ember):
        opts[lib] = _two_group_sgd(lib)
        scheds[lib] = lib.optim.swa_utils.SWALR(opts[lib], **kwargs)
    for _ in range(8):
        lrs = {}
        for lib in (torch, ember):
            opts[lib].step()
            scheds[lib].step()
            lrs[lib] = scheds[lib].get_last_lr()
        np.testing.assert_allclose(lrs[ember], lrs[torch], rtol=1e-15)
        assert [g["lr"] for g in opts[ember].param_groups] == pytest.approx(
            [g["lr"] for g in opts[torch].param_groups], rel=1e-15
        )
    assert [g["swa_lr"] for g in opts[ember].param_groups] == [
        g["swa_lr"] for g in opts[torch].param_groups
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheds[ember].get_lr()
    assert any("get_last_lr()" in str(w.message) for w in caught)


def test_swalr_state_dict_round_trip():
    for src_lib, dst_lib in ((ember, torch), (torch, ember)):
        ref_opt = _two_group_sgd(torch)
        ref = torch.optim.swa_utils.SWALR(ref_opt, swa_lr=0.05, anneal_epochs=5,
                                          anneal_strategy="linear")  # fmt: skip
        src_opt = _two_group_sgd(src_lib)
        src = src_lib.optim.swa_utils.SWALR(src_opt, swa_lr=0.05, anneal_epochs=5,
                                            anneal_strategy="linear")  # fmt: skip
        for _ in range(2):
            ref_opt.step(), ref.step(), src_opt.step(), src.step()
        state = src.state_dict()
        assert "anneal_func" not in state and state["_anneal_strategy"] == "linear"
        dst_opt = _two_group_sgd(dst_lib)
        dst_opt.load_state_dict(_convert(dst_lib, src_opt.state_dict()))
        dst = dst_lib.optim.swa_utils.SWALR(dst_opt, swa_lr=0.05)  # cos, 10: overwritten
        dst.load_state_dict(state)
        for _ in range(5):
            ref_opt.step(), ref.step(), dst_opt.step(), dst.step()
            assert dst.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-15)


def test_swalr_errors():
    _same_error(
        lambda lib: lib.optim.swa_utils.SWALR(_two_group_sgd(lib), 0.1, anneal_strategy="exp"),
        match="anneal_strategy must be one of 'cos' or 'linear', instead got exp",
    )
    _same_error(lambda lib: lib.optim.swa_utils.SWALR(_two_group_sgd(lib), 0.1, anneal_epochs=-1),
                match="anneal_epochs must be equal or greater than 0, got -1")  # fmt: skip
    _same_error(lambda lib: lib.optim.swa_utils.SWALR(_two_group_sgd(lib), [0.1]),
                match="swa_lr must have the same length as optimizer.param_groups")  # fmt: skip


def test_public_names():
    import torch.optim.swa_utils as t_swa

    import ember.optim.swa_utils as e_swa

    assert sorted(e_swa.__all__) == sorted(t_swa.__all__)
    for name in ("LBFGS", "Adafactor", "Muon"):
        assert getattr(ember.optim, name).__name__ == name
