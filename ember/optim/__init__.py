"""ember.optim: optimizers and learning-rate schedules, as ``torch.optim``.

>>> import ember as torch
>>> w = torch.zeros(3, requires_grad=True)
>>> opt = torch.optim.Adam([w], lr=0.1)
>>> (w - 1).pow(2).sum().backward(); opt.step()
"""

from __future__ import annotations

import importlib

from .optimizer import Optimizer, swap_in_optimizer_params_and_state
from .sgd import SGD

# Loaded on first use (keeps ``import ember`` light); name -> (module, attribute or None).
_LAZY = {
    "Adam": (".adam", "Adam"),
    "AdamW": (".adamw", "AdamW"),
    "Adamax": (".adamax", "Adamax"),
    "NAdam": (".nadam", "NAdam"),
    "RAdam": (".radam", "RAdam"),
    "Adagrad": (".adagrad", "Adagrad"),
    "Adadelta": (".adadelta", "Adadelta"),
    "RMSprop": (".rmsprop", "RMSprop"),
    "Rprop": (".rprop", "Rprop"),
    "ASGD": (".asgd", "ASGD"),
    "SparseAdam": (".sparse_adam", "SparseAdam"),
    "LBFGS": (".lbfgs", "LBFGS"),
    "Adafactor": ("._adafactor", "Adafactor"),
    "Muon": ("._muon", "Muon"),
    "lr_scheduler": (".lr_scheduler", None),
    "swa_utils": (".swa_utils", None),
}

__all__ = ["Optimizer", "SGD", "swap_in_optimizer_params_and_state", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'ember.optim' has no attribute '{name}'")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
