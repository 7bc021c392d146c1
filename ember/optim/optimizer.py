"""The Optimizer base class: parameter groups, per-parameter state, hooks, state_dict.

Every optimizer in ``ember.optim`` subclasses :class:`Optimizer` and writes only ``step``.
The base keeps torch's public layout, so a ``state_dict`` saved by torch loads here and back:
``state`` is keyed by the integer position of a parameter across all groups and
``param_groups`` hold every option plus ``params`` (lists of those integers).

>>> import ember as torch
>>> w = torch.zeros(2, requires_grad=True)
>>> opt = torch.optim.SGD([w], lr=0.1)
>>> w.sum().backward(); opt.step(); w
tensor([-0.1000, -0.1000], requires_grad=True)
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from itertools import chain
from typing import Any, TypeAlias

from .. import _dtype
from .._creation import tensor as _tensor
from .._creation import zeros
from .._tensor import Tensor
from ..autograd.grad_mode import STATE as _GRAD_STATE
from ..nn.modules.module import RemovableHandle

__all__ = [
    "Optimizer",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
    "swap_in_optimizer_params_and_state",
]

ParamsT: TypeAlias = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]
StateDict: TypeAlias = dict[str, Any]

_global_optimizer_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable] = OrderedDict()


class _RequiredParameter:
    """Marks an option a parameter group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    # torch.typename: 'torch.FloatTensor' for tensors, 'module.qualname' (builtins bare) otherwise
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not hasattr(obj, "__qualname__"):
        module = type(obj).__module__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _use_grad_for_differentiable(func: Callable) -> Callable:
    """Run ``step`` with grad mode = the optimizer's ``differentiable`` flag (off by default)."""

    @functools.wraps(func)
    def _use_grad(self, *args, **kwargs):
        prev = _GRAD_STATE.grad
        _GRAD_STATE.grad = bool(self.defaults["differentiable"])
        try:
            return func(self, *args, **kwargs)
        finally:
            _GRAD_STATE.grad = prev

    return _use_grad


def _get_value(x):
    """A Python number from a 0-d tensor (or the number itself)."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A 1-element tensor hyperparameter becomes 0-d; anything else is kept."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _get_scalar_dtype(is_fused=None):
    """The dtype torch gives ``state['step']``: float64 only when that is the default dtype."""
    if is_fused:
        return _dtype.float32
    return _dtype.float64 if _dtype.get_default_dtype() == _dtype.float64 else _dtype.float32


def _default_to_fused_or_foreach(params, differentiable, use_fused=False):
    """ember has one implementation per optimizer: never fused, never foreach."""
    return False, False


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _float(x):
    """A hyperparameter as a number: a 1-element tensor (without grad) becomes a NumPy scalar
    of its dtype, so scalar math on it rounds as torch's 0-d tensor math does (float32 betas
    give float32 bias corrections)."""
    if isinstance(x, Tensor) and not x.requires_grad:
        return x.detach().numpy().reshape(())[()]
    return x


def _run_closure(closure):
    """Evaluate ``closure`` with grad mode on (step itself runs without it)."""
    if closure is None:
        return None
    prev = _GRAD_STATE.grad
    _GRAD_STATE.grad = True
    try:
        return closure()
    finally:
        _GRAD_STATE.grad = prev


def _zero_step():
    """A fresh ``state['step']``: a 0-d tensor of torch's scalar dtype, as torch keeps it."""
    return zeros((), dtype=_get_scalar_dtype())


def _check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_nonneg(**values) -> None:
    # torch's wording: "Invalid epsilon value", "Invalid weight_decay value" ...
    for name, value in values.items():
        if not 0.0 <= value:
            label = "epsilon" if name == "eps" else name
            raise ValueError(f"Invalid {label} value: {value}")


def _check(**values) -> None:
    """Check hyperparameters in the order given (the first bad one raises): ``lr`` and
    ``betas`` by their own rules, any other name must be ``>= 0``."""
    for name, value in values.items():
        if name == "lr":
            _check_lr(value)
        elif name == "betas":
            _check_betas(value)
        else:
            _check_nonneg(**{name: value})


def _weight_decay(p: Tensor, grad: Tensor, weight_decay, lr=None, decoupled=False) -> Tensor:
    """Apply weight decay: ``p *= 1 - lr * wd`` when decoupled, else ``grad + wd * p``.

    Returns the gradient to use (``grad`` itself when there is nothing to add).
    """
    if weight_decay != 0:
        if decoupled:
            p.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(p, alpha=weight_decay)
    return grad


# The value torch's __setstate__ gives each option a loaded (older) parameter group lacks.
_OPTION_DEFAULTS = {
    "foreach": None,
    "maximize": False,
    "differentiable": False,
    "capturable": False,
    "fused": None,
    "amsgrad": False,
    "decoupled_weight_decay": False,
    "nesterov": False,
    "centered": False,
    "momentum": 0,
}


def _restored_options(*names: str, **values: Any) -> dict[str, Any]:
    """``Optimizer._group_defaults`` for these option names (in this order), then ``values``."""
    return {**{name: _OPTION_DEFAULTS[name] for name in names}, **values}


def _check_fused(fused, foreach, differentiable) -> None:
    # torch's fused kernels run on CPU too; ember's one implementation serves all flags,
    # but the argument combinations torch refuses are refused here as well.
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


_params_doc = r"""params (iterable): iterable of parameters or named_parameters to optimize
            or iterable of dicts defining parameter groups."""
_foreach_doc = r"""foreach (bool, optional): accepted for torch compatibility; ignored."""
_fused_doc = r"""fused (bool, optional): accepted for torch compatibility; ignored."""
_capturable_doc = r"""capturable (bool, optional): accepted for torch compatibility; ignored."""
_differentiable_doc = r"""differentiable (bool, optional): whether autograd records the
            step (otherwise it runs under ``no_grad``) (default: False)"""
_maximize_doc = r"""maximize (bool, optional): maximize the objective with respect to the
            params, instead of minimizing (default: False)"""


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None | (args, kwargs)`` run before every step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` run after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): Tensors, ``(name, Tensor)`` pairs, or dicts (parameter groups).
        defaults (dict): default option values, used where a group does not give one.

    A subclass implements ``step(closure=None)``; its updates are written in place on each
    parameter, under ``no_grad``, and skip parameters whose ``grad`` is None
    (:meth:`_params_with_grads` walks a group that way, creating state with ``_init_state``).
    """

    # Options that checkpoints from older versions may lack, with the values __setstate__
    # gives them (in torch's order: a loaded group gets missing keys appended in this order).
    _group_defaults: dict[str, Any] = {}
    # State entries that older checkpoints kept as Python numbers; __setstate__ makes them
    # 0-d tensors of the scalar dtype, as torch does.
    _scalar_state: tuple[str, ...] = ()

    _HOOK_DICTS = (
        "_optimizer_step_pre_hooks",
        "_optimizer_step_post_hooks",
        "_optimizer_state_dict_pre_hooks",
        "_optimizer_state_dict_post_hooks",
        "_optimizer_load_state_dict_pre_hooks",
        "_optimizer_load_state_dict_post_hooks",
    )

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        for name in self._HOOK_DICTS:
            setattr(self, name, OrderedDict())
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling --------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in self._HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._group_defaults.items():
                group.setdefault(key, value)
        for p_state in self._loaded_states():
            for key in self._scalar_state:
                if p_state and key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = _tensor(float(p_state[key]), dtype=_get_scalar_dtype())

    def _loaded_states(self) -> Iterable[Any]:
        """The per-parameter states __setstate__ repairs: those of the groups' parameters."""
        return [self.state.get(p) for group in self.param_groups for p in group["params"]]

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- step and its hooks ----------------------------------------------------------------

    @staticmethod
    def profile_hook_step(func: Callable) -> Callable:
        """Wrap ``step`` so the global and per-instance step hooks run around it."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(
                _global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
            out = func(*args, **kwargs)
            for post_hook in chain(
                self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()
            ):
                post_hook(self, args, kwargs)
            return out

        return wrapper

    def _patch_step_function(self) -> None:
        # As torch: the class's step is wrapped once, the first time an instance is made.
        self._zero_grad_profile_name = f"Optimizer.zero_grad#{self.__class__.__name__}.zero_grad"
        if not getattr(self.__class__.step, "hooked", None):
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    def _accelerator_graph_capture_health_check(self) -> None:
        """torch checks CUDA-graph capture here; ember has none (kept for torch subclasses)."""

    _cuda_graph_capture_health_check = _accelerator_graph_capture_health_check

    def _optimizer_step_code(self) -> None:
        """torch's profiler entry point after each step; nothing to do here."""

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one optimization step (subclasses implement it)."""
        raise NotImplementedError

    def _init_state(self, state: dict[str, Any], p: Tensor, group: dict[str, Any]) -> None:
        """Fill ``state`` (``self.state[p]``) before the first update of ``p``; subclasses
        override it. :meth:`_params_with_grads` calls it on an empty state only."""

    def _params_with_grads(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, Tensor, dict]]:
        """``(p, grad, state)`` for each parameter of ``group`` with a gradient, in order.

        ``grad`` is negated when the group maximizes; ``state`` is ``self.state[p]``, filled
        by :meth:`_init_state` when empty. Lazy: each state is created just before its
        parameter's update, as torch's loops do.
        """
        maximize = group["maximize"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                self._init_state(state, p, group)
            yield p, (-grad if maximize else grad), state

    def _checked_params(self, group: dict[str, Any], name: str) -> list[Tensor]:
        """The parameters of ``group`` with a gradient, each checked (real, dense gradient) and
        passed to ``_init_state`` (which fills what is missing) before any is updated: as in
        torch's Adafactor and Muon, a bad parameter stops the step before any update."""
        params = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError(f"{name} does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError(f"{name} does not support sparse gradients")
            self._init_state(self.state[p], p, group)
            params.append(p)
        return params

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None | (args, kwargs)`` run before step."""
        return _add_hook(self._optimizer_step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` run after step."""
        return _add_hook(self._optimizer_step_post_hooks, hook, False)

    # -- gradients -------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    # -- groups ----------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``params`` and any per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        seen: set[Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- state_dict ------------------------------------------------------------------------

    def register_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer)`` run before :meth:`state_dict`."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> None | state_dict`` run after state_dict."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> None | state_dict`` run before loading."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer)`` run after :meth:`load_state_dict`."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def state_dict(self) -> StateDict:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their position across all groups; the state tensors are
        the live ones (not copies), as in torch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        groups, start = [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            # positions, numbered as torch does (a duplicate within a group takes its last one)
            index.update(
                {id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index}
            )
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        # Floating state follows the param's dtype; 'step' keeps its own (torch issue 74424),
        # except for fused/capturable groups, which keep it as float32.
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=_dtype.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Load a state produced by :meth:`state_dict` (here or in torch, tensors converted)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group "
                "that doesn't match the size of optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        saved_param_groups = state_dict["param_groups"]

        def cast(param, value, param_id=None, key=None):
            # a deep copy of value with tensors moved to param's dtype/device
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, saved_param_groups, key
                )
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, str):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v

        param_groups = []
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            param_groups.append(new_group)
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


def _swap_in_error(what: str) -> RuntimeError:
    return RuntimeError(f"swap_in_optimizer_params_and_state requires {what}")


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(
    optimizer: Optimizer, swapin_parameters: dict[str, Tensor], swapin_optim_state: StateDict
):
    """Run a block with ``optimizer``'s parameters, state and group options swapped for others.

    ``swapin_parameters`` gives one tensor per optimizer parameter, in ``param_groups`` order;
    ``swapin_optim_state`` is shaped like :meth:`Optimizer.state_dict`. Inside the block
    ``optimizer.step()`` updates the swapped-in tensors and state (in-place edits of the
    given state tensors stay); on exit the live parameters, options and state come back.

    >>> import ember as torch
    >>> w = torch.ones(2, requires_grad=True); opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> w.sum().backward(); opt.step()
    >>> other = torch.zeros(2, requires_grad=True); other.grad = torch.ones(2)
    >>> with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, opt.state_dict()):
    ...     opt.step()
    >>> other
    tensor([-0.1900, -0.1900], requires_grad=True)
    """
    if not optimizer.state:
        raise _swap_in_error("initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise _swap_in_error("a DCP-style optimizer state_dict.")
    state = swapin_optim_state.get("state")
    if not isinstance(state, dict):
        raise _swap_in_error(
            "swapin_optim_state['state'] to be a dict mapping packed parameter ids to "
            f"per-param state dicts, got {type(state).__name__}."
        )
    if any(isinstance(k, Tensor) for k in state):
        raise _swap_in_error("optimizer.state_dict()-style state keyed by packed parameter ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise _swap_in_error("per-parameter optimizer state entries to be dictionaries.")
    groups = swapin_optim_state.get("param_groups")
    if not isinstance(groups, list):
        raise _swap_in_error(
            "swapin_optim_state['param_groups'] to be a list of param-group dicts, "
            f"got {type(groups).__name__}."
        )
    if len(groups) != len(optimizer.param_groups):
        raise RuntimeError(
            "swapin_optim_state has a different number of parameter groups than the live optimizer."
        )

    flat = list(swapin_parameters.values())
    plan, seen, offset = [], set(), 0
    for idx, (live, new) in enumerate(zip(optimizer.param_groups, groups)):
        if not isinstance(new, dict):
            raise _swap_in_error("each optimizer param group to be a dictionary.")
        ids = new.get("params")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise _swap_in_error(
                "optimizer.state_dict()-style param_groups[*]['params'] entries keyed by "
                "packed parameter ids."
            )
        if len(ids) != len(live["params"]):
            raise RuntimeError(
                f"swapin_optim_state param group {idx} has a different number of "
                "params than the live optimizer param group."
            )
        new_only = [k for k in new if k not in live]
        live_only = [k for k in live if k not in new]
        if new_only or live_only:
            raise _swap_in_error(
                "optimizer.state_dict()-style param group keys to exactly match the live "
                f"optimizer group keys for group {idx}. Keys only in swap-in: {new_only}. "
                f"Keys only in live: {live_only}."
            )
        if offset + len(ids) > len(flat):
            raise _swap_in_error(
                "the explicit parameter state to match optimizer.param_groups ordering."
            )
        plan.append((live, new, flat[offset : offset + len(ids)]))
        offset += len(ids)
        seen.update(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise _swap_in_error(
            "swapin_optim_state['state'] to be keyed only by packed parameter ids from "
            f"param_groups[*]['params']; got extra keys {extra!r}."
        )

    live_state = optimizer.state
    snapshots = [dict(g) for g in optimizer.param_groups]  # keeps the params lists' identity
    try:
        swapped: defaultdict[Tensor, Any] = defaultdict(dict)
        for live, new, params in plan:
            live.update({k: v for k, v in new.items() if k != "params"})
            live["params"] = params
            for p, i in zip(params, new["params"]):
                swapped[p] = dict(state.get(i, {}))  # shallow: in-place tensor edits propagate
        optimizer.state = swapped
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = live_state
