"""The helpers and re-exports torch.nn.functional carries besides the layer math:
typing names, doc-note tables, ``boolean_dispatch``, ``grouped_mm``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

from ..._tensor import Tensor
from ...overrides import (
    handle_torch_function,
    has_torch_function,
    has_torch_function_unary,
    has_torch_function_variadic,
)

__all__ = ["BroadcastingList1", "BroadcastingList2", "BroadcastingList3", "Callable", "DType",
           "Optional", "TYPE_CHECKING", "Tensor", "assert_int_or_pair", "boolean_dispatch",
           "handle_torch_function", "has_torch_function", "has_torch_function_unary",
           "has_torch_function_variadic", "reproducibility_notes", "sparse_support_notes",
           "tf32_notes", "grouped_mm"]  # fmt: skip


class _BroadcastingList:
    """``BroadcastingList2[int]``: an int or a list of 2 ints in an annotation (TorchScript's
    type); subscripting gives None, as torch's."""

    def __getitem__(self, types):
        return None


BroadcastingList1 = BroadcastingList2 = BroadcastingList3 = _BroadcastingList()

# torch annotates dtype arguments with `DType`, an alias of int outside type checking
DType = int

reproducibility_notes = {
    "forward_reproducibility_note": "This operation may behave nondeterministically when given "
    "tensors on a CUDA device. See :doc:`/notes/randomness` for more information.",
    "backward_reproducibility_note": "This operation may produce nondeterministic gradients "
    "when given tensors on a CUDA device. See :doc:`/notes/randomness` for more information.",
    "cudnn_reproducibility_note": "In some circumstances when given tensors on a CUDA device "
    "and using CuDNN, this operator may select a nondeterministic algorithm to increase "
    "performance. If this is undesirable, you can try to make the operation deterministic "
    "(potentially at a performance cost) by setting ``torch.backends.cudnn.deterministic = "
    "True``. See :doc:`/notes/randomness` for more information.",
}
sparse_support_notes = {
    "sparse_beta_warning": "\n.. warning::\n    Sparse support is a beta feature and some "
    "layout(s)/dtype/device combinations may not be supported,\n    or may not have autograd "
    "support. If you notice missing functionality please\n    open a feature request.",
}
tf32_notes = {"tf32_note": "This operator supports :ref:`TensorFloat32<tf32_on_ampere>`."}


def assert_int_or_pair(arg, arg_name: str, message: str) -> None:
    """AssertionError with ``message.format(arg_name)`` unless ``arg`` is an int or a pair."""
    if not (isinstance(arg, int) or len(arg) == 2):
        raise AssertionError(message.format(arg_name))


def boolean_dispatch(arg_name, arg_index, default, if_true, if_false, module_name, func_name):
    """A function that calls ``if_true`` or ``if_false`` by one boolean argument, found by
    keyword ``arg_name`` or at position ``arg_index`` (``default`` when absent).

    >>> f = boolean_dispatch("flag", 1, False, lambda x, flag=False: -x,
    ...                      lambda x, flag=False: x, None, "f")
    >>> f(2), f(2, True), f(2, flag=True)
    (2, -2, -2)
    """

    def fn(*args, **kwargs):
        if arg_name in kwargs:
            flag = kwargs[arg_name]
        elif arg_index < len(args):
            flag = args[arg_index]
        else:
            flag = default
        return if_true(*args, **kwargs) if flag else if_false(*args, **kwargs)

    docs = (if_true.__doc__, if_false.__doc__)
    if docs[0] is not None and docs[1] is not None:
        raise RuntimeError("only one function can have a docstring")
    fn.__doc__ = docs[0] if docs[0] is not None else docs[1]
    if_true.__doc__ = if_false.__doc__ = fn.__doc__
    if module_name is not None:
        fn.__module__ = module_name
    if func_name is not None:
        fn.__name__ = func_name
    return fn


def _check_grouped_mm(a, b, offs, bias, out_dtype):
    import ember

    from ...ops.registry import _tname

    floats = (ember.float32, ember.bfloat16, ember.float16)
    for name, m in (("mat_a", a), ("mat_b", b)):
        if m.ndim not in (2, 3):
            raise RuntimeError(f"{name} has to be 2 or 3d")
        if m.dtype not in floats:
            raise RuntimeError(
                f"Expected {name} to be Float32, BFloat16 or Float16 matrix, got {_tname(m.dtype)}"
            )
    if (offs is None) != (a.ndim == 3 and b.ndim == 3):
        raise RuntimeError(
            "Have to provide offsets if there is a 2d matrix, or no offset if both matrices are 3d"
        )
    if offs is not None and offs.dtype != ember.int32:
        raise RuntimeError("Offsets have to be int32")
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError("contraction dimension of mat_a and mat_b must match")
    if a.ndim == 3 and b.ndim == 3 and a.shape[0] != b.shape[0]:
        raise RuntimeError("batched dimension has to match")
    groups = b.shape[0] if b.ndim == 3 else a.shape[0] if a.ndim == 3 else None
    if offs is not None and groups is not None and offs.numel() != groups:
        raise RuntimeError("matrix batch sizes have to match")
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if out_dtype is not None and out_dtype != a.dtype:
        raise RuntimeError("Grouped gemm output dtype must match `mat_a` dtype")


def grouped_mm(mat_a, mat_b, *, offs=None, bias=None, out_dtype=None):
    """Matrix products of groups (Mixture-of-Experts layers): the 2-D operand is cut into
    groups along its jagged dimension at ``offs`` (int32 ends), one product per group.

    2D x 3D: rows of ``mat_a`` by group, ``out[rows_g] = mat_a[rows_g] @ mat_b[g]``;
    3D x 2D: columns of ``mat_b``; 2D x 2D: the contraction dimension, one (M, N) per group;
    3D x 3D: a batched matmul. Rows past ``offs[-1]`` are zero (torch leaves them unset).

    >>> a, w = ember.ones(3, 2), ember.ones(2, 2, 4)
    >>> ember.nn.functional.grouped_mm(a, w, offs=ember.tensor([1, 3], dtype=ember.int32)).shape
    ember.Size([3, 4])
    """
    import ember

    _check_grouped_mm(mat_a, mat_b, offs, bias, out_dtype)
    if offs is None:
        return ember.bmm(mat_a, mat_b)
    ends = [int(e) for e in offs.tolist()]
    starts = [0] + ends[:-1]
    if mat_a.ndim == 2 and mat_b.ndim == 3:
        parts = [mat_a[s:e] @ mat_b[g] for g, (s, e) in enumerate(zip(starts, ends))]
        rest = mat_a.shape[0] - ends[-1]
        if rest > 0:
            parts.append(mat_a.new_zeros(rest, mat_b.shape[-1]))
        return ember.cat(parts, 0)
    if mat_a.ndim == 3:  # 3D x 2D: columns of mat_b by group
        parts = [mat_a[g] @ mat_b[:, s:e] for g, (s, e) in enumerate(zip(starts, ends))]
        rest = mat_b.shape[1] - ends[-1]
        if rest > 0:
            parts.append(mat_a.new_zeros(mat_a.shape[1], rest))
        return ember.cat(parts, 1)
    return ember.stack([mat_a[:, s:e] @ mat_b[s:e] for s, e in zip(starts, ends)])
