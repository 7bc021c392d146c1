"""ember.optim.lr_scheduler against torch.optim.lr_scheduler.

Every scheduler runs side by side with torch's on twin optimizers (ember's and torch's, same
parameter groups, both stepped every iteration); the learning rates (and momenta / betas
where they cycle) must be equal, step by step, over 200 steps. The arithmetic follows torch's
term by term, so the comparison is exact.
"""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.optim import lr_scheduler as elr  # noqa: E402

tlr = torch.optim.lr_scheduler
STEPS = 200


# ----------------------------------------------------------------------------- twins


def _params(lib):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3), rng.standard_normal(2)
    if lib is torch:
        ps = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    else:
        ps = [ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)]
    for p in ps:
        p.grad = p.detach() * 0.5 + 0.25  # a fixed gradient: the params move with the lr
    return ps


def make_opt(lib, kind="sgd", lr=None):
    """Two param groups with different lrs; kind picks SGD(momentum) or Adam (betas)."""
    a, b = _params(lib)
    lrs = lr if lr is not None else (0.1, 0.05)
    groups = [{"params": [a], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))


def _momenta(opt):
    return [g["betas"] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def snapshot(opt, sched):
    return [g["lr"] for g in opt.param_groups], list(sched.get_last_lr()), _momenta(opt)


def run_twins(factory, kind="sgd", steps=STEPS, metrics=None):
    """Build the scheduler with ember and torch; step both; return the two trajectories."""
    out = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        opt = make_opt(lib, kind)
        sched = factory(mod, opt)
        traj = [snapshot(opt, sched)]
        for i in range(steps):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            traj.append(snapshot(opt, sched))
        params = [p.detach().numpy().copy() for g in opt.param_groups for p in g["params"]]
        out.append((traj, params))
    (e_traj, e_params), (t_traj, t_params) = out
    return e_traj, t_traj, e_params, t_params


def assert_same_trajectory(e_traj, t_traj):
    assert len(e_traj) == len(t_traj)
    for i, (e, t) in enumerate(zip(e_traj, t_traj)):
        assert e == t, f"step {i}: ember {e} != torch {t}"


class Scale:
    """A callable object (its __dict__ goes into state_dict, unlike a lambda)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate**epoch


CASES = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.95**e),
    "lambda_list": lambda m, o: m.LambdaLR(o, [lambda e: 1.0 / (1 + e), Scale(0.97)]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "multiplicative_list": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.99, lambda e: 1.0 if e % 3 else 0.9]
    ),
    "step": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "step_1": lambda m, o: m.StepLR(o, step_size=1, gamma=0.97),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[10, 50, 50, 120], gamma=0.3),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=10),
    "constant_default": lambda m, o: m.ConstantLR(o),
    "linear_default": lambda m, o: m.LinearLR(o),
    "linear_up": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=50),
    "linear_down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=100),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.98),
    "polynomial_default": lambda m, o: m.PolynomialLR(o),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=50, power=0.9),
    "polynomial_2": lambda m, o: m.PolynomialLR(o, total_iters=200, power=2.0),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=50, eta_min=0.001),
    "cosine_long": lambda m, o: m.CosineAnnealingLR(o, T_max=200),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=1e-3
    ),
    "cyclic_triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8),
    "cyclic_triangular2": lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=5, step_size_down=12,
        mode="triangular2",
    ),
    "cyclic_exp_range": lambda m, o: m.CyclicLR(
        o, base_lr=0.001, max_lr=0.05, step_size_up=10, mode="exp_range", gamma=0.99,
        base_momentum=[0.7, 0.75], max_momentum=[0.95, 0.9],
    ),
    "cyclic_custom": lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=6, scale_fn=lambda x: 1 / (1 + 0.01 * x),
        scale_mode="iterations",
    ),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False
    ),
    "onecycle": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=STEPS),
    "onecycle_linear": lambda m, o: m.OneCycleLR(
        o, max_lr=[0.1, 0.2], total_steps=STEPS, anneal_strategy="linear", pct_start=0.25
    ),
    "onecycle_three_phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.1, epochs=10, steps_per_epoch=20, three_phase=True,
        base_momentum=[0.8, 0.85], max_momentum=0.95, div_factor=10.0, final_div_factor=100.0,
    ),
    "onecycle_no_momentum": lambda m, o: m.OneCycleLR(
        o, max_lr=0.1, total_steps=STEPS, cycle_momentum=False, three_phase=True
    ),
    "sequential": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=10), m.CosineAnnealingLR(o, T_max=100)],
        milestones=[10],
    ),
    "sequential_three": lambda m, o: m.SequentialLR(
        o,
        [m.ConstantLR(o, factor=0.2, total_iters=5), m.ExponentialLR(o, gamma=0.97),
         m.StepLR(o, step_size=20, gamma=0.5)],
        milestones=[8, 60],
    ),
    "sequential_closed_less": lambda m, o: m.SequentialLR(
        o, [m.MultiplicativeLR(o, lambda e: 0.98), m.LambdaLR(o, lambda e: 0.9**e)],
        milestones=[30],
    ),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.9)]
    ),
    "chained_three": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=15), m.MultiStepLR(o, [40, 90], 0.5),
         m.CosineAnnealingLR(o, T_max=70, eta_min=1e-4)],
        optimizer=o,
    ),
    "chained_with_sequential": lambda m, o: m.ChainedScheduler(
        [m.SequentialLR(o, [m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.95)], [10]),
         m.StepLR(o, 25, 0.7)]
    ),
}  # fmt: skip

ADAM_CASES = ["cyclic_triangular", "cyclic_exp_range", "onecycle", "onecycle_three_phase"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch(name):
    e_traj, t_traj, e_params, t_params = run_twins(CASES[name])
    assert_same_trajectory(e_traj, t_traj)
    for e, t in zip(e_params, t_params):  # the optimizers really used those lrs
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ADAM_CASES)
def test_momentum_cycles_adam_betas(name):
    e_traj, t_traj, e_params, t_params = run_twins(CASES[name], kind="adam")
    assert_same_trajectory(e_traj, t_traj)
    assert len({m[0][0] for _, _, m in e_traj}) > 5  # beta1 really cycles
    assert all(m[0][1] == 0.99 for _, _, m in e_traj)  # beta2 untouched
    for e, t in zip(e_params, t_params):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- plateau


def _metric_sequence(seed):
    rng = np.random.default_rng(seed)
    base = np.concatenate([np.linspace(1.0, 0.5, 40), np.full(60, 0.5), np.linspace(0.5, 0.3, 100)])
    return [float(v) for v in base + 0.01 * rng.standard_normal(STEPS)]


PLATEAU = {
    "default": {},
    "min_rel": dict(patience=3, factor=0.5),
    "min_abs": dict(patience=2, factor=0.3, threshold=0.01, threshold_mode="abs"),
    "max_rel": dict(mode="max", patience=4, factor=0.5, threshold=0.05),
    "max_abs": dict(mode="max", patience=1, threshold=0.002, threshold_mode="abs"),
    "cooldown": dict(patience=2, factor=0.5, cooldown=5),
    "min_lr_list": dict(patience=1, factor=0.5, min_lr=[1e-3, 2e-3]),
    "min_lr_scalar": dict(patience=0, factor=0.2, min_lr=1e-4),
    "big_eps": dict(patience=1, factor=0.5, eps=1e-3),
}


@pytest.mark.parametrize("name", sorted(PLATEAU))
def test_reduce_on_plateau_matches_torch(name):
    kwargs = PLATEAU[name]
    metrics = _metric_sequence(1)
    if kwargs.get("mode") == "max":
        metrics = [2.0 - m for m in metrics]  # an accuracy-like metric
    factory = lambda m, o: m.ReduceLROnPlateau(o, **kwargs)  # noqa: E731
    e_traj, t_traj, _, _ = run_twins(factory, metrics=metrics)
    assert_same_trajectory(e_traj, t_traj)
    assert e_traj[-1][0] != e_traj[0][0] or name == "default"  # the lr did drop


def test_reduce_on_plateau_tensor_metric_and_state():
    e_opt, t_opt = make_opt(ember), make_opt(torch)
    es = elr.ReduceLROnPlateau(e_opt, patience=1, cooldown=2)
    ts = tlr.ReduceLROnPlateau(t_opt, patience=1, cooldown=2)
    for m in _metric_sequence(2)[:50]:
        es.step(ember.tensor(m))
        ts.step(torch.tensor(m))
        assert es.state_dict() == ts.state_dict()
    assert es.in_cooldown == ts.in_cooldown


# ----------------------------------------------------------------------------- state_dict


def _copy_groups(dst_opt, src_opt):
    """Move the group hyperparameters (lr, initial_lr, momentum ...) as a checkpoint would."""
    for dst, src in zip(dst_opt.param_groups, src_opt.param_groups):
        dst.update({k: v for k, v in src.items() if k != "params"})


STATE_CASES = sorted(CASES)


@pytest.mark.parametrize("name", STATE_CASES)
def test_state_dict_keys_and_resume(name):
    factory = CASES[name]
    split = 60
    # reference trajectories, uninterrupted
    e_traj, t_traj, _, _ = run_twins(factory)
    assert_same_trajectory(e_traj, t_traj)

    def first_part(lib, mod):
        opt = make_opt(lib)
        sched = factory(mod, opt)
        for _ in range(split):
            opt.step()
            sched.step()
        return opt, sched

    e_opt, e_sched = first_part(ember, elr)
    t_opt, t_sched = first_part(torch, tlr)
    e_sd, t_sd = e_sched.state_dict(), t_sched.state_dict()
    assert list(e_sd) == list(t_sd)
    assert e_sd == t_sd

    # resume ember from ember, torch from ember, ember from torch
    for lib, mod, sd, src_opt in (
        (ember, elr, e_sd, e_opt),
        (torch, tlr, e_sd, e_opt),
        (ember, elr, t_sd, t_opt),
    ):
        opt = make_opt(lib)
        sched = factory(mod, opt)  # constructed before restoring the optimizer, as torch advises
        _copy_groups(opt, src_opt)
        sched.load_state_dict(sd)
        traj = [snapshot(opt, sched)]
        for _ in range(STEPS - split):
            opt.step()
            sched.step()
            traj.append(snapshot(opt, sched))
        assert_same_trajectory(traj, e_traj[split:])


def test_state_dict_does_not_mutate_and_keeps_callable_objects():
    opt = make_opt(ember)
    sched = elr.LambdaLR(opt, [lambda e: 1.0, Scale(0.9)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.9}]
    sd["lr_lambdas"][1] = {"rate": 0.5}
    keys = list(sd)
    sched.load_state_dict(sd)
    assert list(sd) == keys  # load_state_dict leaves its argument whole
    assert sched.lr_lambdas[1].rate == 0.5
    t_opt = make_opt(torch)
    t_sched = tlr.LambdaLR(t_opt, [lambda e: 1.0, Scale(0.9)])
    t_sched.load_state_dict(sd)
    for _ in range(5):
        opt.step(), sched.step(), t_opt.step(), t_sched.step()
        assert sched.get_last_lr() == t_sched.get_last_lr()


def test_cyclic_custom_scale_object_state():
    class Fn:
        def __init__(self):
            self.k = 0.5

        def __call__(self, x):
            return self.k**x

    e_opt, t_opt = make_opt(ember), make_opt(torch)
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=Fn(), scale_mode="cycle")
    es, ts = elr.CyclicLR(e_opt, **kw), tlr.CyclicLR(t_opt, **dict(kw, scale_fn=Fn()))
    sd = ts.state_dict()
    assert es.state_dict() == sd
    sd["_scale_fn_custom"] = {"k": 0.8}
    es.load_state_dict(dict(sd))
    ts.load_state_dict(dict(sd))
    for _ in range(20):
        e_opt.step(), es.step(), t_opt.step(), ts.step()
        assert es.get_last_lr() == ts.get_last_lr()


# ----------------------------------------------------------------------------- last_epoch


RESUMABLE = [
    "step", "multistep", "constant", "linear_up", "exponential", "polynomial", "cosine",
    "warm_restarts_mult", "lambda", "multiplicative", "cyclic_triangular2", "onecycle",
]  # fmt: skip


@pytest.mark.parametrize("name", RESUMABLE)
def test_last_epoch_resume(name):
    factory = CASES[name]
    trajs = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        opt = make_opt(lib)
        factory(mod, opt)  # the first run wrote initial_lr (and max_lr, momenta if cyclic)
        for g in opt.param_groups:
            g["lr"] = g["lr"] * 0.5  # the lr "from the checkpoint"
        sched = _with_last_epoch(factory, mod, opt, 17)
        traj = [snapshot(opt, sched)]
        for _ in range(40):
            opt.step()
            sched.step()
            traj.append(snapshot(opt, sched))
        trajs.append(traj)
    assert_same_trajectory(*trajs)


def _with_last_epoch(factory, mod, opt, last_epoch):
    """Call ``factory`` with every scheduler class bound to ``last_epoch=...``."""

    class Bound:
        def __getattr__(self, name):
            cls = getattr(mod, name)
            return lambda *a, **k: cls(*a, last_epoch=last_epoch, **k)

    return factory(Bound(), opt)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "OneCycleLR", "CyclicLR"])
def test_last_epoch_without_initial_lr_raises_keyerror(name):
    args = {
        "StepLR": dict(step_size=3),
        "ExponentialLR": dict(gamma=0.9),
        "OneCycleLR": dict(max_lr=0.1, total_steps=50),
        "CyclicLR": dict(base_lr=0.01, max_lr=0.1),
    }[name]
    errors = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        with pytest.raises(KeyError) as info:
            getattr(mod, name)(make_opt(lib), last_epoch=5, **args)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


# ----------------------------------------------------------------------------- step(epoch)


CLOSED = {
    "StepLR": dict(step_size=4, gamma=0.5),
    "MultiStepLR": dict(milestones=[3, 7, 7], gamma=0.5),
    "ConstantLR": dict(factor=0.25, total_iters=6),
    "LinearLR": dict(start_factor=0.2, end_factor=0.8, total_iters=9),
    "ExponentialLR": dict(gamma=0.9),
    "PolynomialLR": dict(total_iters=12, power=1.5),
    "CosineAnnealingLR": dict(T_max=10, eta_min=0.01),
    "LambdaLR": dict(lr_lambda=lambda e: 1 / (e + 1)),  # no closed form: get_lr
}


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_step_with_epoch_warns_and_uses_closed_form(name):
    epochs = [3, 10, 5, 0, 20, 7, 8]
    got = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        opt = make_opt(lib)
        sched = getattr(mod, name)(opt, **CLOSED[name])
        lrs = []
        for e in epochs:
            opt.step()
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step"):
                sched.step(e)
            lrs.append((sched.last_epoch, sched.get_last_lr()))
            sched.step()  # a chained step from there
            lrs.append((sched.last_epoch, sched.get_last_lr()))
        got.append(lrs)
    assert got[0] == got[1]


def test_closed_forms_agree_with_torch():
    for name, kwargs in CLOSED.items():
        if name == "LambdaLR":
            continue
        e_s = getattr(elr, name)(make_opt(ember), **kwargs)
        t_s = getattr(tlr, name)(make_opt(torch), **kwargs)
        for epoch in range(30):
            e_s.last_epoch = t_s.last_epoch = epoch
            assert e_s._get_closed_form_lr() == t_s._get_closed_form_lr(), (name, epoch)


def test_warm_restarts_fractional_epochs():
    got = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        opt = make_opt(lib)
        sched = mod.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no deprecation warning for this one
            for epoch in range(12):
                for i in range(4):
                    opt.step()
                    sched.step(epoch + i / 4)
                    lrs.append((sched.T_cur, sched.T_i, sched.last_epoch, sched.get_last_lr()))
            sched.step(26)
            sched.step()
            lrs.append((sched.T_cur, sched.T_i, sched.get_last_lr()))
        got.append(lrs)
        with pytest.raises(ValueError, match="Expected non-negative epoch"):
            sched.step(-1)
    assert got[0] == got[1]


# ----------------------------------------------------------------------------- warnings


@pytest.mark.parametrize("lib, mod", [(ember, elr), (torch, tlr)], ids=["ember", "torch"])
def test_order_warning(lib, mod):
    opt = make_opt(lib)
    sched = mod.StepLR(opt, 3)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        sched.step()
    assert hasattr(opt.step, "_wrapped_by_lr_sched")

    opt = make_opt(lib)
    sched = mod.StepLR(opt, 3)
    mod.ExponentialLR(opt, 0.9)  # a second scheduler does not wrap step twice
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert opt._opt_called

    opt = make_opt(lib)
    sched = mod.StepLR(opt, 3)
    opt.step = lambda: None  # overridden after the scheduler was made
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        sched.step()


@pytest.mark.parametrize("lib, mod", [(ember, elr), (torch, tlr)], ids=["ember", "torch"])
def test_get_lr_outside_step_warns(lib, mod):
    opt = make_opt(lib)
    sched = mod.ExponentialLR(opt, 0.5)
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        lrs = sched.get_lr()
    assert lrs == [0.05, 0.025]


def test_get_lr_outside_step_values_match():
    for name in ("step", "cosine", "cyclic_triangular", "onecycle", "warm_restarts"):
        vals = []
        for lib, mod in ((ember, elr), (torch, tlr)):
            opt = make_opt(lib)
            sched = CASES[name](mod, opt)
            for _ in range(13):
                opt.step()
                sched.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                vals.append(sched.get_lr())
        assert vals[0] == vals[1], name


# ----------------------------------------------------------------------------- errors


def _same_error(build, compare_message=True):
    """``build(lib, mod)`` must raise the same exception type (and message) on both sides."""
    caught = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        with pytest.raises(Exception) as info:
            build(lib, mod)
        caught.append(info.value)
    e, t = caught
    assert type(e) is type(t), (e, t)
    if compare_message:
        assert str(e) == str(t)


ERRORS = {
    "constant_factor": lambda L, m: m.ConstantLR(make_opt(L), factor=1.5),
    "constant_negative": lambda L, m: m.ConstantLR(make_opt(L), factor=-0.1),
    "linear_start": lambda L, m: m.LinearLR(make_opt(L), start_factor=0),
    "linear_end": lambda L, m: m.LinearLR(make_opt(L), end_factor=1.5),
    "lambda_count": lambda L, m: m.LambdaLR(make_opt(L), [lambda e: 1.0]),
    "multiplicative_count": lambda L, m: m.MultiplicativeLR(make_opt(L), [lambda e: 1.0] * 3),
    "multiplicative_callable": lambda L, m: m.MultiplicativeLR(make_opt(L), 0.5),
    "warm_T0": lambda L, m: m.CosineAnnealingWarmRestarts(make_opt(L), T_0=0),
    "warm_T0_float": lambda L, m: m.CosineAnnealingWarmRestarts(make_opt(L), T_0=1.5),
    "warm_Tmult": lambda L, m: m.CosineAnnealingWarmRestarts(make_opt(L), T_0=2, T_mult=0),
    "warm_eta": lambda L, m: m.CosineAnnealingWarmRestarts(make_opt(L), T_0=2, eta_min="x"),
    "cyclic_mode": lambda L, m: m.CyclicLR(make_opt(L), 0.01, 0.1, mode="sine"),
    "cyclic_base_len": lambda L, m: m.CyclicLR(make_opt(L), [0.01], 0.1),
    "cyclic_max_len": lambda L, m: m.CyclicLR(make_opt(L), 0.01, [0.1, 0.2, 0.3]),
    "cyclic_momentum_len": lambda L, m: m.CyclicLR(make_opt(L), 0.01, 0.1, base_momentum=[0.8]),
    "cyclic_not_optimizer": lambda L, m: m.CyclicLR(object(), 0.01, 0.1),
    "onecycle_nothing": lambda L, m: m.OneCycleLR(make_opt(L), 0.1),
    "onecycle_total_zero": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, total_steps=0),
    "onecycle_total_float": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, total_steps=10.0),
    "onecycle_epochs": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, epochs=0, steps_per_epoch=3),
    "onecycle_spe": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, epochs=2, steps_per_epoch=-1),
    "onecycle_pct": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, 10, pct_start=1.5),
    "onecycle_pct_int": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, 10, pct_start=1),
    "onecycle_anneal": lambda L, m: m.OneCycleLR(make_opt(L), 0.1, 10, anneal_strategy="exp"),
    "onecycle_max_len": lambda L, m: m.OneCycleLR(make_opt(L), [0.1], 10),
    "onecycle_not_optimizer": lambda L, m: m.OneCycleLR(None, 0.1, 10),
    "plateau_factor": lambda L, m: m.ReduceLROnPlateau(make_opt(L), factor=1.0),
    "plateau_mode": lambda L, m: m.ReduceLROnPlateau(make_opt(L), mode="up"),
    "plateau_threshold_mode": lambda L, m: m.ReduceLROnPlateau(make_opt(L), threshold_mode="x"),
    "plateau_min_lr": lambda L, m: m.ReduceLROnPlateau(make_opt(L), min_lr=[0.1, 0.1, 0.1]),
    "plateau_not_optimizer": lambda L, m: m.ReduceLROnPlateau("sgd"),
    "base_not_optimizer": lambda L, m: m.StepLR(3, step_size=2),
    "sequential_empty": lambda L, m: m.SequentialLR(make_opt(L), [], []),
    "sequential_milestones": lambda L, m: _seq(L, m, milestones=[3, 6]),
    "sequential_plateau": lambda L, m: _seq(L, m, plateau=True),
    "sequential_no_optimizer": lambda L, m: m.SequentialLR(make_opt(L), [object()], []),
    "chained_empty": lambda L, m: m.ChainedScheduler([]),
    "chained_plateau": lambda L, m: _chain(L, m, plateau=True),
    "chained_no_optimizer": lambda L, m: m.ChainedScheduler([object()], optimizer=make_opt(L)),
}


def _seq(L, m, milestones=(3,), plateau=False):
    opt = make_opt(L)
    second = m.ReduceLROnPlateau(opt) if plateau else m.ExponentialLR(opt, 0.9)
    return m.SequentialLR(opt, [m.StepLR(opt, 2), second], list(milestones))


def _chain(L, m, plateau=False):
    opt = make_opt(L)
    second = m.ReduceLROnPlateau(opt) if plateau else m.ExponentialLR(opt, 0.9)
    return m.ChainedScheduler([m.StepLR(opt, 2), second])


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    _same_error(ERRORS[name])


def test_other_optimizer_errors_match_torch():
    def seq_other(L, m):
        a, b = make_opt(L), make_opt(L)
        return m.SequentialLR(a, [m.StepLR(a, 2), m.StepLR(b, 2)], [3])

    def chain_other(L, m):
        a, b = make_opt(L), make_opt(L)
        return m.ChainedScheduler([m.StepLR(a, 2), m.StepLR(b, 2)])

    # the message holds the optimizer's repr, which differs between libraries
    _same_error(seq_other, compare_message=False)
    _same_error(chain_other, compare_message=False)

    def grown(L, m):
        opt = make_opt(L)
        sched = m.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        extra = L.zeros(1, requires_grad=True, dtype=L.float64)
        opt.add_param_group({"params": [extra], "lr": 0.1})
        sched.step(1.0)
        sched.step(2.0)

    _same_error(grown)

    def onecycle_past_end(L, m):
        opt = make_opt(L)
        sched = m.OneCycleLR(opt, 0.1, total_steps=5)
        for _ in range(6):
            opt.step()
            sched.step()

    _same_error(onecycle_past_end)


def test_cycle_momentum_needs_momentum_or_betas():
    def build(L, m):
        return m.OneCycleLR(L.optim.Adagrad([L.zeros(2, requires_grad=True)]), 0.1, 10)

    _same_error(build)
    _same_error(
        lambda L, m: m.CyclicLR(L.optim.Adagrad([L.zeros(2, requires_grad=True)]), 0.01, 0.1)
    )


def test_plateau_default_min_lr_follows_new_groups():
    got = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        opt = make_opt(lib)
        sched = mod.ReduceLROnPlateau(opt, patience=0, min_lr=0.01)
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 0.1})
        for m in (1.0, 2.0, 3.0, 4.0):
            sched.step(m)
        got.append((sched.min_lrs, sched.get_last_lr()))
    assert got[0] == got[1]


# ----------------------------------------------------------------------------- misc


def test_tensor_lr_stays_a_tensor():
    got = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        p = lib.zeros(2, requires_grad=True, dtype=lib.float64)
        opt = lib.optim.SGD([p], lr=lib.tensor(0.1, dtype=lib.float64))
        lr_obj = opt.param_groups[0]["lr"]
        sched = mod.StepLR(opt, step_size=2, gamma=0.5)
        vals = []
        for _ in range(6):
            opt.step()
            sched.step()
            last = sched.get_last_lr()[0]
            assert last is not opt.param_groups[0]["lr"]  # a copy, never an alias
            vals.append(float(last))
        assert opt.param_groups[0]["lr"] is lr_obj  # updated in place
        assert type(opt.param_groups[0]["initial_lr"]) is type(lr_obj)
        got.append(vals)
    assert got[0] == got[1]


def test_names_and_aliases():
    for name in tlr.__all__:
        assert hasattr(elr, name), name
    assert issubclass(elr._LRScheduler, elr.LRScheduler)
    assert elr._LRScheduler.__name__ == "_LRScheduler"
    assert ember.optim.lr_scheduler is elr
    for cls in (elr.ReduceLROnPlateau, elr.SequentialLR, elr.ChainedScheduler, elr.OneCycleLR):
        assert issubclass(cls, elr.LRScheduler)
    with pytest.raises(NotImplementedError):
        elr.LRScheduler(make_opt(ember))


def test_base_class_subclass_like_torch():
    class Halve:
        def get_lr(self):
            if self.last_epoch == 0:
                return [g["lr"] for g in self.optimizer.param_groups]
            return [g["lr"] * 0.5 for g in self.optimizer.param_groups]

    got = []
    for lib, mod in ((ember, elr), (torch, tlr)):
        cls = type("H", (Halve, mod.LRScheduler), {})
        opt = make_opt(lib)
        sched = cls(opt)
        for _ in range(4):
            opt.step()
            sched.step()
        got.append((sched.get_last_lr(), sched.last_epoch, sched._step_count))
    assert got[0] == got[1]
    assert math.isclose(got[0][0][0], 0.1 / 16)
