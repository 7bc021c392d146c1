"""``default_collate`` (a list of samples -> one batch) and ``default_convert`` (NumPy -> tensors),
with torch's rules: tensors stack, Python floats become float64, ints int64, strings stay lists.

>>> default_collate([(1, 2.0), (3, 4.0)])
[tensor([1, 3]), tensor([2., 4.], dtype=ember.float64)]
"""

from __future__ import annotations

import collections.abc as abc
import copy
import re

import numpy as np

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_np_str_obj = re.compile(r"[SaUO]")
_err = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data):
    """Turn NumPy arrays/scalars (also nested in mappings and sequences) into tensors."""
    from ... import Tensor, as_tensor

    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, abc.Mapping):
        try:
            if isinstance(data, abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return elem_type({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` by the type of its first element, looking leaf types up in
    ``collate_fn_map`` (exact type first, then ``isinstance``) and recursing into containers."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    def rec(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, abc.Mapping):
        try:
            if isinstance(elem, abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: rec([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: rec([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: rec([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(rec(samples) for samples in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [rec(samples) for samples in transposed]
        try:
            if isinstance(elem, abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = rec(samples)
                return clone
            return elem_type([rec(samples) for samples in transposed])
        except TypeError:
            return [rec(samples) for samples in transposed]
    raise TypeError(_err.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    from ... import stack

    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    from ... import as_tensor

    if _np_str_obj.search(batch[0].dtype.str) is not None:
        raise TypeError(_err.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    from ... import as_tensor

    return as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    from ... import float64, tensor

    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    from ... import tensor

    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def _tensor_type():
    from ... import Tensor

    return Tensor


default_collate_fn_map = {
    np.ndarray: collate_numpy_array_fn,
    np.memmap: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch, keeping the samples' nesting.

    >>> default_collate([{"x": ember.zeros(2)}, {"x": ember.ones(2)}])["x"].shape
    ember.Size([2, 2])
    """
    if _tensor_type() not in default_collate_fn_map:
        # the Tensor class is imported lazily: ember.utils loads before ember finishes
        default_collate_fn_map[_tensor_type()] = collate_tensor_fn
    return collate(batch, collate_fn_map=default_collate_fn_map)
