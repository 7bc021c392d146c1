r"""Weight averaging (SWA, EMA), as ``torch.optim.swa_utils``.

:class:`AveragedModel` keeps a running average of a model's weights; :class:`SWALR`
anneals the learning rate to a constant for the averaging phase; :func:`update_bn`
recomputes BatchNorm statistics for the averaged weights.

>>> import ember as torch
>>> model = torch.nn.Linear(2, 1)
>>> swa = torch.optim.swa_utils.AveragedModel(model)
>>> swa.update_parameters(model); int(swa.n_averaged)
1
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any, Literal

from .. import _dtype
from .._creation import tensor
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _per_group

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

PARAM_LIST = tuple[Tensor, ...] | list[Tensor]

# torch's foreach kernels (used by the default average) exist on these device types only
_FOREACH_DEVICES = ("cuda", "xpu", "mtia")


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay=0.999):
    r"""An in-place EMA over lists of tensors: ``W_ema = decay W_ema + (1 - decay) W_model``.

    >>> ema = get_ema_multi_avg_fn(0.9)
    >>> avg, cur = [ember.zeros(2)], [ember.ones(2)]
    >>> ema(avg, cur, 1); avg[0]
    tensor([0.1000, 0.1000])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list: PARAM_LIST, current_param_list: PARAM_LIST, _) -> None:
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:  # lerp is for floating types only
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    r"""An in-place running mean over lists of tensors:
    ``W_avg = W_avg + (W_model - W_avg) / (n + 1)``."""

    @no_grad()
    def swa_update(averaged_param_list: PARAM_LIST, current_param_list: PARAM_LIST,
                   num_averaged: Tensor | int) -> None:  # fmt: skip
        if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
            # torch passes 1 / (n + 1) as it is computed: a float32 number for a tensor n
            weight = 1 / (num_averaged + 1)
            weight = weight.item() if isinstance(weight, Tensor) else weight
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.lerp_(p_model, weight)
            return
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            diff = p_model.sub(p_avg)
            if isinstance(num_averaged, Tensor):
                p_avg.addcdiv_(diff, num_averaged + 1)
            else:
                p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    r"""The EMA of one tensor: returns ``decay * W_ema + (1 - decay) * W_model``.

    >>> get_ema_avg_fn(0.5)(ember.zeros(1), ember.ones(1), 3)
    tensor([0.5000])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    r"""The running mean of one tensor: returns ``W_avg + (W_model - W_avg) / (n + 1)``."""

    @no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Tensor | int):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _group_by_device_and_dtype(self_params: list, model_params: list) -> dict:
    """``{(device, dtype): ([averaged...], [model...])}`` in first-seen order."""
    groups: dict = {}
    for p_avg, p_model in zip(self_params, model_params):
        pair = groups.setdefault((p_avg.device, p_avg.dtype), ([], []))
        pair[0].append(p_avg)
        pair[1].append(p_model)
    return groups


class AveragedModel(Module):
    r"""A copy of ``model`` whose weights are a running average (SWA, EMA) of ``model``'s.

    Each :meth:`update_parameters` call folds the current weights of ``model`` in: the first
    call copies them; later calls apply ``multi_avg_fn(averaged_list, current_list, n)``
    (in place, over lists), or ``avg_fn(averaged, current, n)`` (returns the new value of
    one tensor), or by default the equal-weight mean ``W + (W_model - W) / (n + 1)``.
    ``n_averaged`` (a buffer) counts the calls. With ``use_buffers=True`` buffers (BatchNorm
    statistics) are averaged too; otherwise they are copied from ``model``.

    Args:
        model (Module): the model to average.
        device (optional): where the copy lives.
        avg_fn (callable, optional): per-tensor averaging function.
        multi_avg_fn (callable, optional): in-place averaging over lists of tensors.
        use_buffers (bool): average buffers as well as parameters (default: False).

    >>> import ember as torch
    >>> model = torch.nn.Linear(3, 1)
    >>> ema = torch.optim.swa_utils.AveragedModel(
    ...     model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.99))
    >>> ema.update_parameters(model)
    """

    n_averaged: Tensor

    def __init__(
        self,
        model: Module,
        device=None,
        avg_fn: Callable[[Tensor, Tensor, Tensor | int], Tensor] | None = None,
        multi_avg_fn: Callable[[PARAM_LIST, PARAM_LIST, Tensor | int], None] | None = None,
        use_buffers=False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged model's forward."""
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module):
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average."""
        mine = self._tensors(self.module)
        averaged, current = [], []
        first = bool(self.n_averaged == 0)
        for p_avg, p_model in zip(mine, self._tensors(model)):
            p_model_ = p_model.detach().to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(p_model_)
            if first:
                p_avg.detach().copy_(p_model_)

        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                groups = _group_by_device_and_dtype(averaged, current)
                for (device, _), (avg_list, cur_list) in groups.items():
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avg_list, cur_list, n_averaged)
                    elif device.type in _FOREACH_DEVICES:
                        get_swa_multi_avg_fn()(avg_list, cur_list, n_averaged)
                    else:
                        avg_fn = get_swa_avg_fn()
                        for p_avg, p_model in zip(avg_list, cur_list, strict=True):
                            p_avg.copy_(avg_fn(p_avg, p_model, n_averaged))
            else:
                for p_avg, p_model in zip(averaged, current, strict=True):
                    n_averaged = self.n_averaged.to(p_avg.device)
                    p_avg.detach().copy_(self.avg_fn(p_avg.detach(), p_model, n_averaged))

        if not self.use_buffers:
            # buffers are not averaged: keep them in sync with the source model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    r"""Recompute BatchNorm ``running_mean`` / ``running_var`` with one pass over ``loader``.

    The statistics are reset and then accumulated as a plain average over the batches
    (``momentum=None``); each batch is a tensor, or a list/tuple whose first element is
    the model's input. Modules keep their momentum and training mode afterwards.

    >>> import ember as torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    >>> torch.optim.swa_utils.update_bn([torch.randn(4, 2), torch.randn(4, 2)], model)
    """
    from ..nn.modules.normalization import _BatchNorm

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return

    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs``, then hold it.

    With ``t = min(1, step / anneal_epochs)`` and ``alpha = anneal(t)`` (``"cos"``:
    ``(1 - cos(pi t)) / 2``; ``"linear"``: ``t``), the new lr is
    ``swa_lr * alpha + lr0 * (1 - alpha)``, where ``lr0`` is recovered from the current lr
    and the previous step's ``alpha`` (so the schedule composes with one run before it).

    Args:
        optimizer: the optimizer.
        swa_lr (float or list): the target learning rate (one, or one per group).
        anneal_epochs (int): length of the annealing (default: 10).
        anneal_strategy (str): ``"cos"`` or ``"linear"`` (default: ``"cos"``).
        last_epoch (int): index of the last epoch (default: -1).

    >>> import ember as torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = torch.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2,
    ...                                     anneal_strategy="linear")
    >>> opt.step(); sched.step(); sched.get_last_lr()  # halfway
    [0.55]
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.1]
    """

    def __init__(
        self,
        optimizer,
        swa_lr: float,
        anneal_epochs=10,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        last_epoch=-1,
    ) -> None:
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for swa_lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = swa_lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        # invert lr = swa_lr * alpha + lr0 * (1 - alpha) for lr0
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The learning rates for the current step (use :meth:`get_last_lr` to read them)."""
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, "
                "please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: Literal["cos", "linear"]) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer and the anneal function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s attributes (ember's or torch's)."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
