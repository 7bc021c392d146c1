"""Call a module with some parameters/buffers swapped for given tensors (as
``torch.nn.utils.stateless``).

    >>> m = ember.nn.Linear(2, 1, bias=False)
    >>> ember.nn.utils.stateless.functional_call(m, {"weight": ember.ones(1, 2)}, ember.ones(1, 2))
    tensor([[2.]])
"""

from __future__ import annotations

import contextlib

__all__ = ["functional_call"]


def _owner(module, name):
    prefix, _, attr = name.rpartition(".")
    return module.get_submodule(prefix), attr


def _tied_names(module):
    """Names of each tensor shared under several names: {name: [all its names]}."""
    by_id = {}
    for n, t in module.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(n)
    for n, t in module.named_buffers(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(n)
    return {n: names for names in by_id.values() if len(names) > 1 for n in names}


@contextlib.contextmanager
def _reparametrize(module, tensors, tie_weights=True, strict=False):
    if tie_weights:
        tied = _tied_names(module)
        extra = {}
        for name, value in tensors.items():
            for other in tied.get(name, ()):
                if other in tensors and tensors[other] is not value:
                    raise ValueError(
                        f"functional_call got multiple values for keys ['{name}', '{other}'], "
                        "which are tied. Consider using tie_weights=False"
                    )
                extra.setdefault(other, value)
        tensors = {**extra, **tensors}
    if strict:
        keys = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        keys |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(keys - set(tensors))
        unexpected = sorted(set(tensors) - keys)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs)
            )
    saved = []
    try:
        for name, value in tensors.items():
            mod, attr = _owner(module, name)
            for store in (mod._parameters, mod._buffers):
                if attr in store:
                    saved.append((store, attr, store[attr]))
                    store[attr] = value
                    break
            else:
                saved.append((mod.__dict__, attr, mod.__dict__.get(attr, _MISSING)))
                mod.__dict__[attr] = value
        yield
    finally:
        for store, attr, old in reversed(saved):
            if old is _MISSING:
                store.pop(attr, None)
            else:
                store[attr] = old


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):  # fmt: skip
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the given
    tensors for this call only (the module is left as it was)."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        tensors = dicts
    else:
        tensors = {}
        for d in dicts:
            for k, v in d.items():
                if k in tensors:
                    raise ValueError(
                        f"{k} appeared in multiple dictionaries; behavior of functional call "
                        "is ambiguous"
                    )
                tensors[k] = v
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, tensors, tie_weights, strict):
        return module(*args, **kwargs)
