"""ember.optim against torch.optim: trajectories, state_dict layout and round trips, hooks, errors.

Each trajectory runs the same float64 problem through torch and ember for 100 steps and
compares every parameter after every step (relative 1e-5).
"""

from __future__ import annotations

import copy
import importlib
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

STEPS = 100
RTOL, ATOL = 1e-5, 1e-10

_rng = np.random.default_rng(1234)
X = _rng.standard_normal((12, 3))
Y = _rng.standard_normal((12, 2))
MLP_INIT = [
    _rng.standard_normal((3, 5)) * 0.6,
    _rng.standard_normal(5) * 0.1,
    _rng.standard_normal((5, 2)) * 0.6,
]
ROSEN_INIT = [np.array([-1.2, 1.5])]


def mlp_loss(lib, params, data):
    w1, b1, w2 = params
    x, y = data
    return ((x @ w1 + b1).tanh() @ w2 - y).pow(2).mean()


def rosenbrock_loss(lib, params, data):
    (p,) = params
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


PROBLEMS = {"mlp": (MLP_INIT, mlp_loss), "rosenbrock": (ROSEN_INIT, rosenbrock_loss)}

# lr per problem (the Rosenbrock gradients are in the hundreds: plain SGD needs a small lr)
LRS = {
    "SGD": (0.05, 2e-4),
    "ASGD": (0.05, 2e-4),
    "Adam": (0.01, 0.01),
    "AdamW": (0.01, 0.01),
    "Adamax": (0.01, 0.01),
    "NAdam": (0.01, 0.01),
    "RAdam": (0.01, 0.01),
    "Adagrad": (0.1, 0.1),
    "Adadelta": (1.0, 1.0),
    "RMSprop": (0.01, 0.001),
    "Rprop": (0.01, 0.001),
}

CONFIGS = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"momentum": 0.5, "maximize": True}),
    ("SGD", {"momentum": 0.9, "foreach": True}),
    ("SGD", {"lr": "tensor", "momentum": 0.9}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": True}),
    ("Adam", {"maximize": True, "foreach": True}),
    ("Adam", {"fused": True}),
    ("Adam", {"lr": "tensor"}),
    ("AdamW", {}),
    ("AdamW", {"amsgrad": True, "weight_decay": 0.1}),
    ("Adamax", {}),
    ("Adamax", {"weight_decay": 0.1, "betas": (0.8, 0.99), "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),
    ("RAdam", {"weight_decay": 0.1, "betas": (0.9, 0.9)}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}),
    ("Adagrad", {"maximize": True, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.5, "weight_decay": 0.05, "eps": 1e-4, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.8, "alpha": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-4, 0.02), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"t0": 20, "lambd": 1e-2, "alpha": 0.5, "weight_decay": 0.01}),
    ("ASGD", {"t0": 5, "maximize": True}),
    ("ASGD", {"lr": "tensor"}),
    ("NAdam", {"lr": "tensor", "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RMSprop", {"lr": "tensor", "momentum": 0.5}),
]


def _kwargs(lib, cls, kw, problem):
    kw = dict(kw)
    lr = LRS[cls][0 if problem == "mlp" else 1]
    kw["lr"] = lib.tensor(lr) if kw.get("lr") == "tensor" else lr  # a 0-d float32 tensor
    return kw


def _make(lib, inits):
    return [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True) for a in inits]


def _data(lib):
    return lib.tensor(X), lib.tensor(Y)


def _train(lib, opt, params, loss_fn, steps, maximize=False):
    """``steps`` steps; returns the parameters after each one (numpy copies)."""
    data = _data(lib)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(lib, params, data)
        (-loss if maximize else loss).backward()
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out


def _assert_trajectories(a, b):
    for step, (pa, pb) in enumerate(zip(a, b)):
        for x, y in zip(pa, pb):
            np.testing.assert_allclose(y, x, rtol=RTOL, atol=ATOL, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize(
    "cls,kw", CONFIGS, ids=[f"{c}-{'-'.join(map(str, k)) or 'default'}" for c, k in CONFIGS]
)
def test_trajectory(cls, kw, problem):
    inits, loss_fn = PROBLEMS[problem]
    maximize = kw.get("maximize", False)
    traj = {}
    for lib in (torch, ember):
        params = _make(lib, inits)
        opt = getattr(lib.optim, cls)(params, **_kwargs(lib, cls, kw, problem))
        traj[lib] = _train(lib, opt, params, loss_fn, STEPS, maximize)
    assert np.all(np.isfinite(traj[torch][-1][0]))
    assert not np.allclose(traj[torch][-1][0], inits[0])  # the problem really moved
    _assert_trajectories(traj[torch], traj[ember])


def test_tensor_betas():
    """float32 tensor betas: the bias corrections are float32 numbers on both sides; torch
    rounds ``lr / bias_correction`` through a float32 reciprocal, so allow 1e-4 here."""
    traj = {}
    for lib in (torch, ember):
        params = _make(lib, MLP_INIT)
        betas = (lib.tensor(0.8), lib.tensor([0.99]))
        opt = lib.optim.Adam(params, lr=lib.tensor(0.01), betas=betas, weight_decay=0.1)
        assert [b.dim() for b in opt.param_groups[0]["betas"]] == [0, 0]
        traj[lib] = _train(lib, opt, params, mlp_loss, STEPS)
    for pa, pb in zip(traj[torch], traj[ember]):
        for x, y in zip(pa, pb):
            np.testing.assert_allclose(y, x, rtol=1e-4, atol=1e-8)


# -- state_dict ---------------------------------------------------------------------------


def _convert(obj, to):
    """Deep-convert the tensors of a state_dict between torch and ember (through numpy)."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return to.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _convert(v, to) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(v, to) for v in obj)
    return obj


def _assert_same_state_dict(sd_torch, sd_ember):
    assert list(sd_torch) == list(sd_ember) == ["state", "param_groups"]
    assert sorted(sd_torch["state"]) == sorted(sd_ember["state"])
    for k, st in sd_torch["state"].items():
        se = sd_ember["state"][k]
        assert list(st) == list(se)
        for name, vt in st.items():
            ve = se[name]
            if isinstance(vt, torch.Tensor):
                assert isinstance(ve, ember.Tensor), name
                assert str(vt.dtype).split(".")[1] == str(ve.dtype).split(".")[1], name
                assert tuple(vt.shape) == tuple(ve.shape), name
                np.testing.assert_allclose(ve.numpy(), vt.numpy(), rtol=RTOL, atol=ATOL)
            else:
                assert type(vt) is type(ve) and vt == ve, name
    assert len(sd_torch["param_groups"]) == len(sd_ember["param_groups"])
    for gt, ge in zip(sd_torch["param_groups"], sd_ember["param_groups"]):
        assert list(gt) == list(ge)
        for key, vt in gt.items():
            ve = ge[key]
            if isinstance(vt, torch.Tensor):
                assert vt.item() == ve.item(), key
            else:
                assert vt == ve and type(vt) is type(ve), key


SD_CONFIGS = [
    ("SGD", {"momentum": 0.9}),
    ("SGD", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("Adamax", {}),
    ("NAdam", {"weight_decay": 0.1}),
    ("RAdam", {}),
    ("Adagrad", {"lr_decay": 0.01}),
    ("Adadelta", {}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Rprop", {}),
    ("ASGD", {"t0": 3}),
]


@pytest.mark.parametrize("cls,kw", SD_CONFIGS, ids=[c for c, _ in SD_CONFIGS])
@pytest.mark.parametrize("direction", ["ember_to_torch", "torch_to_ember"])
def test_state_dict_round_trip(cls, kw, direction):
    """Train 10 steps on one side, load its state_dict into the other, continue both 20 steps."""
    src, dst = (ember, torch) if direction == "ember_to_torch" else (torch, ember)
    kw = _kwargs(None, cls, kw, "mlp")
    p_src = _make(src, MLP_INIT)
    opt_src = getattr(src.optim, cls)(p_src, **kw)
    _train(src, opt_src, p_src, mlp_loss, 10)

    # fresh optimizers on both sides, with different options that loading must replace
    sd = opt_src.state_dict()
    loaded = {}
    for lib in (torch, ember):
        params = [lib.tensor(p.detach().numpy().copy(), requires_grad=True) for p in p_src]
        opt = getattr(lib.optim, cls)(params, lr=0.5)
        opt.load_state_dict(_convert(sd, lib))
        loaded[lib] = params, opt
    # what the other side holds after loading is what torch holds after loading the same dict
    # (load casts state to the parameter's dtype, as torch: NAdam's mu_product becomes float64)
    _assert_same_state_dict(loaded[torch][1].state_dict(), loaded[ember][1].state_dict())
    p_dst, opt_dst = loaded[dst]
    a = _train(src, opt_src, p_src, mlp_loss, 20)
    b = _train(dst, opt_dst, p_dst, mlp_loss, 20)
    _assert_trajectories(a, b)


@pytest.mark.parametrize("cls,kw", SD_CONFIGS, ids=[c for c, _ in SD_CONFIGS])
def test_state_dict_layout_matches_torch(cls, kw):
    """Same keys, dtypes (``step`` float32 ...), values and group options after 5 steps."""
    kw = _kwargs(None, cls, kw, "mlp")
    sds = []
    for lib in (torch, ember):
        params = _make(lib, MLP_INIT)
        opt = getattr(lib.optim, cls)(params, **kw)
        _train(lib, opt, params, mlp_loss, 5)
        sds.append(opt.state_dict())
    _assert_same_state_dict(*sds)


@pytest.mark.parametrize("cls", sorted(LRS))
def test_float32_params_keep_dtypes(cls):
    """float32 parameters and state stay float32 (``step`` too) and follow torch closely."""
    out = []
    for lib in (torch, ember):
        params = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in MLP_INIT]
        data = lib.tensor(X.astype(np.float32)), lib.tensor(Y.astype(np.float32))
        opt = getattr(lib.optim, cls)(params, lr=LRS[cls][0], momentum=0.9) if cls == "SGD" else (
            getattr(lib.optim, cls)(params, lr=LRS[cls][0]))  # fmt: skip
        for _ in range(10):
            opt.zero_grad()
            mlp_loss(lib, params, data).backward()
            opt.step()
        state = opt.state_dict()["state"][0]
        dtypes = [str(p.dtype).split(".")[1] for p in params]
        dtypes += [(k, str(v.dtype).split(".")[1]) for k, v in state.items()]
        out.append((dtypes, [p.detach().numpy() for p in params]))
    assert out[0][0] == out[1][0]
    for a, b in zip(out[0][1], out[1][1]):
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-5)


def test_state_dict_with_default_dtype_float64():
    """torch keeps ``step`` as float64 when that is the default dtype."""
    sds = []
    for lib in (torch, ember):
        prev = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            params = _make(lib, MLP_INIT)
            opt = lib.optim.Adam(params, lr=0.01)
            _train(lib, opt, params, mlp_loss, 2)
            sds.append(opt.state_dict())
        finally:
            lib.set_default_dtype(prev)
    _assert_same_state_dict(*sds)


def test_load_state_dict_errors_and_live_state():
    for lib in (torch, ember):
        a, b = _make(lib, MLP_INIT[:2])
        opt = lib.optim.SGD([a, b], lr=0.1, momentum=0.9)
        one_group = lib.optim.SGD([a], lr=0.1).state_dict()
        with pytest.raises(ValueError):
            opt.load_state_dict(one_group)
        two_groups = lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
        with pytest.raises(ValueError):
            opt.load_state_dict(two_groups)
        # state_dict() hands out the live state tensors, as torch does
        _train(lib, opt, [a, b], lambda lib_, ps, d: (ps[0].sum() + ps[1].sum()) ** 2, 1)
        buf = opt.state_dict()["state"][0]["momentum_buffer"]
        assert buf is opt.state[a]["momentum_buffer"]


# -- groups, zero_grad, skipped params ------------------------------------------------------


def test_param_groups_per_group_options_and_add_param_group():
    traj = {}
    for lib in (torch, ember):
        w1, b1, w2 = _make(lib, MLP_INIT)
        opt = lib.optim.Adam(
            [{"params": [w1, b1], "lr": 0.05}, {"params": [w2], "weight_decay": 0.1}], lr=0.01
        )
        out = _train(lib, opt, [w1, b1, w2], mlp_loss, 10)
        opt.param_groups[0]["lr"] = 0.02  # what a scheduler does
        out += _train(lib, opt, [w1, b1, w2], mlp_loss, 10)
        assert [g["lr"] for g in opt.param_groups] == [0.02, 0.01]
        assert opt.param_groups[1]["betas"] == (0.9, 0.999)
        traj[lib] = out
    _assert_trajectories(traj[torch], traj[ember])

    traj = {}
    for lib in (torch, ember):
        w1, b1, w2 = _make(lib, MLP_INIT)
        opt = lib.optim.SGD([w1], lr=0.1, momentum=0.9)
        out = _train(lib, opt, [w1, b1, w2], mlp_loss, 5)
        opt.add_param_group({"params": [b1, w2], "lr": 0.02, "nesterov": True})
        assert opt.param_groups[1]["momentum"] == 0.9
        out += _train(lib, opt, [w1, b1, w2], mlp_loss, 10)
        traj[lib] = out
        with pytest.raises(ValueError):
            opt.add_param_group({"params": [w1]})  # already in a group
        with pytest.raises(TypeError):
            opt.add_param_group([w1])
        with pytest.raises(TypeError):
            opt.add_param_group({"params": {lib.zeros(1, requires_grad=True)}})
    _assert_trajectories(traj[torch], traj[ember])


def test_add_param_group_adagrad_initializes_state():
    for lib in (torch, ember):
        a, b = (lib.ones(2, dtype=lib.float64, requires_grad=True) for _ in range(2))
        opt = lib.optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
        assert set(opt.state_dict()["state"]) == {0}
        opt.add_param_group({"params": [b]})
        (a.sum() + b.sum()).backward()
        opt.step()
        assert opt.state[b]["sum"].tolist() == [1.5, 1.5]  # init from defaults + grad**2


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    for lib in (torch, ember):
        w = lib.ones(3, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w * 2).sum().backward()
        opt.zero_grad(set_to_none=set_to_none)
        if set_to_none:
            assert w.grad is None
        else:
            assert w.grad is not None and w.grad.tolist() == [0.0, 0.0, 0.0]
    for lib in (torch, ember):  # the default is set_to_none=True
        w = lib.ones(3, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        w.sum().backward()
        opt.zero_grad()
        assert w.grad is None


@pytest.mark.parametrize("cls", sorted(LRS))
def test_params_without_grad_are_skipped(cls):
    sds, values = [], []
    for lib in (torch, ember):
        w1, b1, w2 = _make(lib, MLP_INIT)
        unused = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        opt = getattr(lib.optim, cls)([w1, unused, b1, w2], lr=LRS[cls][0])
        _train(lib, opt, [w1, b1, w2], mlp_loss, 3)
        assert unused.grad is None and unused.tolist() == [1.0, 2.0]
        sds.append(opt.state_dict())
        values.append(w2.detach().numpy())
    _assert_same_state_dict(*sds)  # incl. which indices have state (Adagrad: all)
    np.testing.assert_allclose(values[1], values[0], rtol=RTOL)


def test_update_is_in_place_and_without_history():
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    view = w.detach()[1:]
    opt = ember.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert view.tolist() == w.detach()[1:].tolist() != [2.0, 3.0]
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    for s in opt.state[w].values():
        assert not s.requires_grad


def test_closure_and_lr_tensor():
    losses = {}
    for lib in (torch, ember):
        params = _make(lib, MLP_INIT)
        data = _data(lib)
        opt = lib.optim.SGD(params, lr=lib.tensor([0.05]), momentum=0.9)

        def closure(opt=opt, lib=lib, params=params, data=data):
            opt.zero_grad()
            loss = mlp_loss(lib, params, data)
            loss.backward()
            return loss

        with lib.no_grad():  # step's closure runs with grad enabled anyway
            losses[lib] = [opt.step(closure).item() for _ in range(5)]
    np.testing.assert_allclose(losses[ember], losses[torch], rtol=RTOL)


def test_repr_matches_torch():
    for cls in sorted(LRS) + ["SparseAdam"]:
        reprs = [
            repr(getattr(lib.optim, cls)([lib.ones(2, requires_grad=True)]))
            for lib in (torch, ember)
        ]
        assert reprs[0] == reprs[1], cls
    groups = []
    for lib in (torch, ember):
        a, b = lib.ones(1, requires_grad=True), lib.ones(1, requires_grad=True)
        groups.append(repr(lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)))
    assert groups[0] == groups[1]


def test_named_parameters_and_pickle():
    for lib in (torch, ember):
        model = lib.nn.Linear(2, 2)
        opt = lib.optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
        assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
        model(lib.ones(1, 2)).sum().backward()
        opt.step()
        clone = copy.deepcopy(opt)
        p0 = clone.param_groups[0]["params"][0]
        assert p0 is not model.weight and p0 in clone.state
        back = pickle.loads(pickle.dumps(opt))
        assert back.param_groups[0]["lr"] == 0.1 and len(back.state) == 2
        assert back.defaults["differentiable"] is False
        with pytest.raises(ValueError):
            lib.optim.SGD([("a", lib.ones(1, requires_grad=True)), lib.ones(1, requires_grad=True)])


# -- hooks --------------------------------------------------------------------------------


def _submodule(lib):
    # torch.optim deletes its submodule names from the package; import it by name
    return importlib.import_module(lib.__name__ + ".optim.optimizer")


def _hook_log(lib):
    log = []
    w = lib.ones(2, requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    hooks = [
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", type(o).__name__, a[1:], k))),
        opt.register_step_post_hook(lambda o, a, k: log.append(("post", a[1:], k))),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre")),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre_first"), prepend=True),
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1}),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(("load_pre", sorted(sd)))),
        opt.register_load_state_dict_post_hook(lambda o: log.append("load_post")),
        _submodule(lib).register_optimizer_step_pre_hook(lambda o, a, k: log.append("gpre")),
        _submodule(lib).register_optimizer_step_post_hook(lambda o, a, k: log.append("gpost")),
    ]
    try:
        w.sum().backward()
        opt.step()
        sd = opt.state_dict()
        log.append(sorted(sd))
        sd.pop("extra")
        opt.load_state_dict(sd)
        for h in hooks:
            h.remove()
        opt.step()
        opt.state_dict()
        # a pre hook may replace the arguments of step
        h = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 7.0}))
        log.append(opt.step())
        h.remove()
        h = opt.register_step_pre_hook(lambda o, a, k: "bad")
        with pytest.raises(RuntimeError):
            opt.step()
        h.remove()
    finally:
        for h in hooks:
            h.remove()
    log.append(w.tolist())
    return log


def test_hooks_match_torch():
    assert _hook_log(ember) == _hook_log(torch)


def test_custom_optimizer_subclass():
    class Sign:
        """A user-defined optimizer written against the base class only."""

        def __init__(self, lib):
            class SignSGD(lib.optim.Optimizer):
                def __init__(self, params, lr=0.1):
                    super().__init__(params, {"lr": lr})

                @lib.no_grad()
                def step(self, closure=None):
                    for group in self.param_groups:
                        for p in group["params"]:
                            if p.grad is not None:
                                self.state[p]["n"] = self.state[p].get("n", 0) + 1
                                p.add_(p.grad.sign(), alpha=-group["lr"])

            self.cls = SignSGD

    out = []
    for lib in (torch, ember):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = Sign(lib).cls([w])
        calls = []
        opt.register_step_post_hook(lambda o, a, k, calls=calls: calls.append(1))
        for _ in range(3):
            (w * w).sum().backward()
            opt.step()
            opt.zero_grad()
        out.append((w.tolist(), calls, opt.state_dict(), repr(opt)))
    assert out[0] == out[1]
    with pytest.raises(NotImplementedError):
        ember.optim.Optimizer([ember.ones(1, requires_grad=True)], {}).step()


# -- errors -------------------------------------------------------------------------------


def _w(lib):
    return lib.ones(2, requires_grad=True)


def _two_groups(lib):
    w = _w(lib)
    return lib.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


BAD_ARGS = [
    ("params as one Tensor", lambda lib: lib.optim.SGD(_w(lib), lr=0.1)),
    ("empty params", lambda lib: lib.optim.Adam([], lr=0.1)),
    ("non-tensor param", lambda lib: lib.optim.SGD([1.0], lr=0.1)),
    ("non-leaf param", lambda lib: lib.optim.SGD([_w(lib) * 2], lr=0.1)),
    ("param in two groups", lambda lib: _two_groups(lib)),
    ("negative lr SGD", lambda lib: lib.optim.SGD([_w(lib)], lr=-0.1)),
    ("negative momentum", lambda lib: lib.optim.SGD([_w(lib)], momentum=-0.1)),
    ("negative wd SGD", lambda lib: lib.optim.SGD([_w(lib)], weight_decay=-0.1)),
    ("nesterov w/o momentum", lambda lib: lib.optim.SGD([_w(lib)], nesterov=True)),
    ("nesterov dampening", lambda lib: lib.optim.SGD([_w(lib)], momentum=0.9, dampening=0.1,
                                                     nesterov=True)),
    ("fused differentiable", lambda lib: lib.optim.SGD([_w(lib)], fused=True, differentiable=True)),
    ("fused foreach", lambda lib: lib.optim.Adam([_w(lib)], fused=True, foreach=True)),
    ("lr tensor 2 elems", lambda lib: lib.optim.Adam([_w(lib)], lr=lib.tensor([0.1, 0.2]))),
    ("lr tensor foreach", lambda lib: lib.optim.Adam([_w(lib)], lr=lib.tensor(0.1), foreach=True)),
    ("negative lr Adam", lambda lib: lib.optim.Adam([_w(lib)], lr=-1.0)),
    ("negative eps Adam", lambda lib: lib.optim.Adam([_w(lib)], eps=-1.0)),
    ("beta0 = 1", lambda lib: lib.optim.Adam([_w(lib)], betas=(1.0, 0.9))),
    ("beta1 < 0", lambda lib: lib.optim.AdamW([_w(lib)], betas=(0.9, -0.1))),
    ("betas mixed", lambda lib: lib.optim.Adam([_w(lib)], betas=(lib.tensor(0.9), 0.99))),
    ("betas tensor foreach", lambda lib: lib.optim.Adam([_w(lib)], foreach=True,
                                                       betas=(lib.tensor(0.9), lib.tensor(0.9)))),
    ("betas tensor 2 elems", lambda lib: lib.optim.Adam([_w(lib)], betas=(lib.tensor([0.9, 0.8]),
                                                                          lib.tensor(0.9)))),
    ("negative wd AdamW", lambda lib: lib.optim.AdamW([_w(lib)], weight_decay=-1.0)),
    ("Adamax beta", lambda lib: lib.optim.Adamax([_w(lib)], betas=(0.9, 1.0))),
    ("NAdam momentum_decay", lambda lib: lib.optim.NAdam([_w(lib)], momentum_decay=-1.0)),
    ("RAdam eps", lambda lib: lib.optim.RAdam([_w(lib)], eps=-1e-8)),
    ("Adagrad lr_decay", lambda lib: lib.optim.Adagrad([_w(lib)], lr_decay=-1.0)),
    ("Adagrad init acc", lambda lib: lib.optim.Adagrad([_w(lib)], initial_accumulator_value=-1.0)),
    ("Adadelta rho", lambda lib: lib.optim.Adadelta([_w(lib)], rho=1.5)),
    ("RMSprop alpha", lambda lib: lib.optim.RMSprop([_w(lib)], alpha=-0.5)),
    ("RMSprop momentum", lambda lib: lib.optim.RMSprop([_w(lib)], momentum=-0.5)),
    ("Rprop etas", lambda lib: lib.optim.Rprop([_w(lib)], etas=(1.5, 1.2))),
    ("ASGD wd", lambda lib: lib.optim.ASGD([_w(lib)], weight_decay=-1.0)),
    ("SparseAdam lr 0", lambda lib: lib.optim.SparseAdam([_w(lib)], lr=0.0)),
    ("SparseAdam eps 0", lambda lib: lib.optim.SparseAdam([_w(lib)], eps=0.0)),
    ("SparseAdam complex", lambda lib: lib.optim.SparseAdam([lib.ones(2, dtype=lib.complex64,
                                                                      requires_grad=True)])),
    ("required option", lambda lib: lib.optim.Optimizer([_w(lib)],
                                                        {"lr": _submodule(lib).required})),
]  # fmt: skip


@pytest.mark.parametrize("what,make", BAD_ARGS, ids=[w for w, _ in BAD_ARGS])
def test_bad_arguments_raise_as_torch(what, make):
    with pytest.raises(Exception) as expected:
        make(torch)
    with pytest.raises(expected.type) as got:
        make(ember)
    assert type(got.value) is expected.type
    if expected.type is ValueError and "Invalid" in str(expected.value):
        assert str(got.value) == str(expected.value)


def test_sparse_adam_rejects_dense_gradients():
    for lib in (torch, ember):
        w = _w(lib)
        opt = lib.optim.SparseAdam([w], lr=0.1)
        opt.step()  # no gradient yet: nothing to do
        w.sum().backward()
        with pytest.raises(RuntimeError, match="dense gradients"):
            opt.step()


def test_duplicate_params_warn():
    sds = []
    for lib in (torch, ember):
        w, v = _w(lib), _w(lib)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            opt = lib.optim.SGD([w, w, v], lr=0.1, momentum=0.9)
        (w.sum() + v.sum()).backward()
        opt.step()
        sds.append(opt.state_dict())
    _assert_same_state_dict(*sds)  # torch numbers w 1 (its last position), v 2


def test_namespace():
    import torch.optim as topt

    for name in topt.__all__:
        if name in ("lr_scheduler", "swa_utils", "LBFGS", "Adafactor", "Muon"):
            continue  # written elsewhere (other files of ember.optim)
        assert hasattr(ember.optim, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from ember.optim import Adam

        assert ember.optim.Adam is Adam
    with pytest.raises(AttributeError):
        ember.optim.NoSuchOptimizer  # noqa: B018


def test_swap_in_optimizer_params_and_state():
    out = []
    for lib in (torch, ember):
        params = _make(lib, MLP_INIT)
        opt = lib.optim.Adam(params, lr=0.01)
        with pytest.raises(RuntimeError):  # no state yet
            with lib.optim.swap_in_optimizer_params_and_state(opt, {}, opt.state_dict()):
                pass
        _train(lib, opt, params, mlp_loss, 3)
        live_params, live_state = opt.param_groups[0]["params"], opt.state
        other = {f"p{i}": p.detach().clone().requires_grad_() for i, p in enumerate(params)}
        sd = _convert(opt.state_dict(), lib)  # an independent copy of the state
        sd["param_groups"][0]["lr"] = 0.1
        loss = mlp_loss(lib, list(other.values()), _data(lib))
        loss.backward()
        with lib.optim.swap_in_optimizer_params_and_state(opt, other, sd):
            assert opt.param_groups[0]["lr"] == 0.1
            opt.step()
        assert opt.param_groups[0]["params"] is live_params and opt.state is live_state
        assert opt.param_groups[0]["lr"] == 0.01
        bad = _convert(opt.state_dict(), lib)
        bad["param_groups"][0]["extra"] = 1
        with pytest.raises(RuntimeError):
            with lib.optim.swap_in_optimizer_params_and_state(opt, other, bad):
                pass
        out.append(
            [p.detach().numpy() for p in other.values()]
            + [sd["state"][0]["exp_avg"].numpy(), sd["state"][2]["step"].numpy()]
            + [p.detach().numpy() for p in params]
        )
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
