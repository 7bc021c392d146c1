"""Matrix products: matmul (with torch's 1-d and batch rules), mm, bmm, dot, mv, inner, outer,
addmm, baddbmm, einsum, tensordot, kron."""

from __future__ import annotations

import string
import warnings

import numpy as np

from .. import _creation
from .. import _dtype as D
from .._tensor import Tensor
from ._util import wrap_dim
from .decomp import _conj as _c
from .elementwise import where
from .registry import _CPU_NAME, _tname, composite, op
from .shape import _broadcast_shape, _expand_shape, _prod, _unsafe_view


def _cpu_name(dt):
    return _CPU_NAME.get(dt.name, dt.name)


def _dims(s):
    return "x".join(map(str, s))


def _tensors(fname, *named):
    """torch's TypeError for a non-tensor argument: ``_tensors("mm", ("input", x), ...)``."""
    for i, (name, v) in enumerate(named):
        if not isinstance(v, Tensor):
            raise TypeError(
                f"{fname}(): argument '{name}' (position {i + 1}) must be Tensor, not "
                f"{type(v).__name__}"
            )


# -- checks shared by the products (torch's messages, per kernel) ------------------------------

_BOOL_KERNEL = {"mm": "addmm_impl_cpu_", "mv": "addmv_impl_cpu", "dot": "dot", "bmm": "bmm"}


def _check(kind, a, b, sa=None, sb=None):
    """Dtypes and shapes of one kernel's operands (``sa``/``sb``: the shapes it sees)."""
    sa, sb = tuple(a.shape) if sa is None else sa, tuple(b.shape) if sb is None else sb
    if a.dtype is not b.dtype:
        da, db = a.dtype, b.dtype
        raise RuntimeError({
            "mm": f"expected m1 and m2 to have the same dtype, but got: {_cpu_name(da)} != "
                  f"{_cpu_name(db)}",
            "dot": f"dot : expected both vectors to have same dtype, but found {_tname(da)} and "
                   f"{_tname(db)}",
            "mv": f"addmv input tensors must have the same dtype, but got {_tname(db)}, "
                  f"{_tname(da)}, and {_tname(db)}",
            "bmm": f"expected scalar type {_tname(da)} but found {_tname(db)}",
        }[kind])  # fmt: skip
    if kind == "mm" and sa[1] != sb[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(sa)} and {_dims(sb)})"
        )
    if kind == "dot" and sa[0] != sb[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the "
            f"same number of elements, but got {sa[0]} and {sb[0]} elements respectively"
        )
    if kind == "mv" and sa[1] != sb[0]:
        raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({_dims(sa)}), vec ({sb[0]})")
    if kind == "bmm" and (sb[0], sb[1]) != (sa[0], sa[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
            f"but got: [{sb[0]}, {sb[1]}]."
        )
    # torch's kernels return early on an empty product (zeros or nothing) before the dtype
    # dispatch that refuses bool; dot dispatches first
    if a.dtype.name == "bool" and (kind == "dot" or 0 not in sa + sb):
        raise NotImplementedError(f"\"{_BOOL_KERNEL[kind]}\" not implemented for 'Bool'")


# -- matmul -----------------------------------------------------------------------------------


class _Meta:
    """What torch's matmul dispatch looks at: shape, strides, requires_grad."""

    __slots__ = ("shape", "strides", "grad")

    def __init__(self, shape, strides, grad):
        self.shape, self.strides, self.grad = tuple(shape), tuple(strides), grad

    @property
    def ndim(self):
        return len(self.shape)

    def mT(self):
        s, st = list(self.shape), list(self.strides)
        s[-2:], st[-2:] = s[:-3:-1], st[:-3:-1]
        return _Meta(s, st, self.grad)


def _should_fold(a, b):
    """torch's should_fold: fold the batch dims of the larger operand into an mm/mv."""
    larger = a.ndim >= b.ndim
    t1 = a if larger else b.mT()
    if not (t1.ndim >= 3 and (b if larger else a).ndim <= 2):
        return False
    if (b if larger else a).grad:
        return True
    if a.ndim == 2:
        return False
    if 0 in t1.shape:
        return True
    s, st = t1.shape, t1.strides
    return all(st[i] == st[i + 1] * s[i + 1] for i in range(t1.ndim - 2))


def _matmul_path(x, y, a=None, b=None):
    """Which kernel torch's matmul runs (its errors and grad_fn name follow from it)."""
    n1, n2 = (x.ndim, y.ndim) if a is None else (a.ndim, b.ndim)
    if n1 == 1 and n2 == 1:
        _check("dot", x, y)
        return "dot"
    if n1 == 2 and n2 == 1:
        _check("mv", x, y)
        return "mv"
    if n1 == 1 and n2 == 2:
        _check("mm", x, y, (1,) + tuple(x.shape), tuple(y.shape))
        return "mm1"
    if a is None:
        a = _Meta(x.shape, x.stride(), x.requires_grad)
        b = _Meta(y.shape, y.stride(), y.requires_grad)
    if n1 == 2 and n2 == 2:
        _check("mm", x, y, a.shape, b.shape)
        return "mm"
    if _should_fold(a, b):
        if n2 > n1:  # fold y.mT, multiply by x.t() (or by the vector x)
            t1 = b.mT().shape
            folded = (_prod(t1[:-1]), t1[-1])
            if n1 == 2:
                _check("mm", y, x, folded, a.shape[::-1])
                return "fold_t"
            _check("mv", y, x, folded, a.shape)
            return "fold"
        folded = (_prod(a.shape[:-1]), a.shape[-1])
        _check("mm" if n2 == 2 else "mv", x, y, folded, b.shape)
        return "fold"
    if n1 == 3 and n2 == 3 and a.shape[0] != b.shape[0]:
        if a.shape[0] == 1 and a.grad:
            return _matmul_path(x, y, _Meta(a.shape[1:], a.strides[1:], a.grad), b)
        if b.shape[0] == 1 and b.grad:
            return _matmul_path(x, y, a, _Meta(b.shape[1:], b.strides[1:], b.grad))
    n, m1 = (a.shape[-2] if n1 > 1 else 1), a.shape[-1]
    m2, p = (b.shape[-2], b.shape[-1]) if n2 > 1 else (b.shape[0], 1)
    batch = _broadcast_shape([a.shape[: max(n1 - 2, 0)], b.shape[: max(n2 - 2, 0)]])
    k = _prod(batch)
    _check("bmm", x, y, (k, n, m1), (k, m2, p))
    return "bmm"


_MATMUL_NAMES = {"dot": "DotBackward0", "mv": "MvBackward0", "mm1": "SqueezeBackward4",
                 "mm": "MmBackward0", "fold_t": "CloneBackward0", "fold": "UnsafeViewBackward0",
                 "bmm": "UnsafeViewBackward0"}  # fmt: skip


def _matmul_samples(rng):
    shapes = [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 2, 3), (3, 4)),
              ((5, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((0, 3), (3, 2)),
              ((2, 3), (2, 3, 4))]  # fmt: skip
    return [((rng.uniform(size=a), rng.uniform(size=b)), {}) for a, b in shapes]


@op(onnx="MatMul", grad_name=lambda a, p: _MATMUL_NAMES[p["path"]], samples=_matmul_samples)
def matmul(xp, x, y, *, path=None):
    """matmul(input, other): dot, mv, mm, or a batched product with broadcast batch dims.

    >>> (ember.ones(2, 3) @ ember.ones(3)).tolist()
    [3.0, 3.0]
    """
    return xp.matmul(x, y)


@matmul.parser
def _(input, other):
    _tensors("matmul", ("input", input), ("other", other))
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input.ndim}D and "
            f"{other.ndim}D"
        )
    a, b = input._data, other._data
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype == b.dtype != bool:
        return (input, other), {"path": "mm"}  # the common case, checked quickly
    return (input, other), {"path": _matmul_path(input, other)}


def _in_layout(a, b, strides):
    """``a @ b`` laid out like the input it is the gradient of: for a transposed weight
    (``x @ W.t()``) compute ``(b.mT @ a.mT).mT``, so that the gradient of ``W`` arrives
    contiguous (as torch's mm backward does) and its accumulation need not copy it."""
    if len(strides) == 2 and strides[0] == 1 and strides[1] != 1:
        return (b.mT @ a.mT).mT
    return a @ b


def _matmul_grad_x(grad, out, x, y, path=None):
    y = _c(y)
    if y.ndim == 1:
        return grad * y if x.ndim == 1 else grad.unsqueeze(-1) * y
    if x.ndim == 1:
        return (grad.unsqueeze(-2) @ y.mT).squeeze(-2)
    return _in_layout(grad, y.mT, x.stride())


def _matmul_grad_y(grad, out, x, y, path=None):
    x = _c(x)
    if x.ndim == 1:
        return grad * x if y.ndim == 1 else x.unsqueeze(-1) * grad.unsqueeze(-2)
    if y.ndim == 1:
        return (x.mT @ grad.unsqueeze(-1)).squeeze(-1)
    return _in_layout(x.mT, grad, y.stride())


matmul.defvjp(_matmul_grad_x, _matmul_grad_y)


def _mm_samples(rng):
    return [((rng.uniform(size=(2, 3)), rng.uniform(size=(3, 4))), {})]


@op(onnx="MatMul", samples=_mm_samples)
def mm(xp, x, y):
    """mm(input, mat2): the product of two matrices."""
    return xp.matmul(x, y)


@mm.parser
def _(input, mat2):
    _tensors("mm", ("input", input), ("mat2", mat2))
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check("mm", input, mat2)
    return (input, mat2), {}


mm.defvjp(
    lambda grad, out, x, y: _in_layout(grad, _c(y).mT, x.stride()),
    lambda grad, out, x, y: _in_layout(_c(x).mT, grad, y.stride()),
)


@op(
    onnx="MatMul",
    samples=lambda rng: [((rng.uniform(size=(2, 2, 3)), rng.uniform(size=(2, 3, 4))), {})],
)
def bmm(xp, x, y):
    """bmm(input, mat2): a batch of matrix products, (b, n, m) @ (b, m, p)."""
    return xp.matmul(x, y)


@bmm.parser
def _(input, mat2):
    _tensors("bmm", ("input", input), ("mat2", mat2))
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check("bmm", input, mat2)
    return (input, mat2), {}


bmm.defvjp(
    lambda grad, out, x, y: _in_layout(grad, _c(y).mT, x.stride()),
    lambda grad, out, x, y: _in_layout(_c(x).mT, grad, y.stride()),
)


@op(samples=lambda rng: [((rng.uniform(size=(4,)), rng.uniform(size=(4,))), {})])
def dot(xp, x, y):
    """dot(input, tensor): the inner product of two 1-d tensors."""
    return xp.asarray(xp.dot(x, y))


@dot.parser
def _(input, tensor):
    _tensors("dot", ("input", input), ("tensor", tensor))
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    _check("dot", input, tensor)
    return (input, tensor), {}


dot.defvjp(lambda grad, out, x, y: grad * _c(y), lambda grad, out, x, y: grad * _c(x))


@op(samples=lambda rng: [((rng.uniform(size=(2, 3)), rng.uniform(size=(3,))), {})])
def mv(xp, x, y):
    """mv(input, vec): matrix @ vector."""
    return xp.matmul(x, y)


@mv.parser
def _(input, vec):
    _tensors("mv", ("input", input), ("vec", vec))
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _check("mv", input, vec)
    return (input, vec), {}


mv.defvjp(lambda grad, out, x, y: grad.unsqueeze(-1) * _c(y),
          lambda grad, out, x, y: (_c(x).mT @ grad.unsqueeze(-1)).squeeze(-1))  # fmt: skip


@composite()
def inner(input, other):
    """Products summed over the last dims of both (a plain product when either is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


@composite()
def outer(input, vec2):
    """The outer product of two 1-d tensors: ``out[i, j] = input[i] * vec2[j]``.

    >>> ember.outer(ember.tensor([1, 2]), ember.tensor([1, 10])).tolist()
    [[1, 10], [2, 20]]
    """
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return input.reshape(input.shape[0], 1) * vec2


ger = composite("ger")(outer)


# -- addmm, baddbmm ---------------------------------------------------------------------------


def _scaled(prod, c, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # torch ignores input (nan and inf included) when beta is 0
        return prod
    return prod + (c if beta == 1 else c * beta)


def _add_samples(batched):
    def make(rng):
        u = rng.uniform
        a, b = ((2, 2, 3), (2, 3, 4)) if batched else ((2, 3), (3, 4))
        return [((u(size=a[:-1] + (4,)), u(size=a), u(size=b)), {}),
                ((u(size=(4,)), u(size=a), u(size=b)), {"beta": 0.5, "alpha": 2.0})]  # fmt: skip

    return make


@op(inplace=True, onnx="Gemm", samples=_add_samples(False))
def addmm(xp, input, mat1, mat2, *, beta=1, alpha=1):
    """addmm(input, mat1, mat2, *, beta=1, alpha=1): ``beta * input + alpha * (mat1 @ mat2)``."""
    return _scaled(xp.matmul(mat1, mat2), input, beta, alpha)


@addmm.parser
def _(input, mat1, mat2, *, beta=1, alpha=1):
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    for name, t in (("self", input), ("mat1", mat1)):
        if t.dtype is not mat2.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {_tname(t.dtype)} and "
                f"{_tname(mat2.dtype)}"
            )
    _check("mm", mat1, mat2)
    _expand_shape(input, (mat1.shape[0], mat2.shape[1]))
    return (input, mat1, mat2), {"beta": beta, "alpha": alpha}


# (the rules of one op must name its inputs alike: the registry finds what to save by name)
def _beta_grad(grad, out, input, a, b, beta=1, alpha=1):
    return grad if beta == 1 else grad * beta


def _alpha(g, alpha):
    return g if alpha == 1 else g * alpha


def _product_grads(op):
    op.defvjp(
        _beta_grad,
        lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(grad @ _c(b).mT, alpha),
        lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(_c(a).mT @ grad, alpha),
    )


_product_grads(addmm)


@op(inplace=True, samples=_add_samples(True))
def baddbmm(xp, input, batch1, batch2, *, beta=1, alpha=1):
    """baddbmm(input, batch1, batch2, *, beta=1, alpha=1): ``beta * input + alpha * (batch1 @
    batch2)`` for a batch of matrices."""
    return _scaled(xp.matmul(batch1, batch2), input, beta, alpha)


@baddbmm.parser
def _(input, batch1, batch2, *, beta=1, alpha=1):
    if batch1.ndim >= 2 and batch2.ndim >= 3:
        _expand_shape(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    if input.dtype is not batch1.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_cpu_name(input.dtype)}, batch1: "
            f"{_cpu_name(batch1.dtype)}, batch2: {_cpu_name(batch2.dtype)}"
        )
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    _check("bmm", batch1, batch2)
    return (input, batch1, batch2), {"beta": beta, "alpha": alpha}


_product_grads(baddbmm)


# -- einsum -----------------------------------------------------------------------------------


def _einsum_name(args, params):
    """torch's einsum is a composite; its grad_fn is the last op it runs: a permute or a sum for
    one operand, a mul or (after a contraction through bmm) a view for several."""
    ins, out = params["equation"].split("->")
    ins = ins.split(",")
    summed = any(c not in out for term in ins for c in term)
    if len(ins) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


def _einsum_samples(rng):
    u = rng.uniform
    return [(("ij,jk->ik", u(size=(2, 3)), u(size=(3, 4))), {}), (("ii->i", u(size=(3, 3))), {}),
            (("bij,bjk->bik", u(size=(2, 2, 3)), u(size=(2, 3, 4))), {}),
            (("...j,j", u(size=(2, 3)), u(size=(3,))), {})]  # fmt: skip


@op(grad_name=_einsum_name, onnx="Einsum", method=False, samples=_einsum_samples)
def einsum(xp, *operands, equation):
    """einsum(equation, *operands) or einsum(op0, sublist0, op1, sublist1, ..., [out]).

    >>> ember.einsum("ij,j->i", ember.ones(2, 3), ember.ones(3)).tolist()
    [3.0, 3.0]
    """
    return xp.asarray(xp.einsum(equation, *operands, optimize=len(operands) > 1))


@einsum.parser
def _(*args):
    if args and isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
    operands = tuple(operands)
    return operands, {"equation": _einsum_equation(equation, operands)}


def _sublist_equation(args):
    def letters(sub):
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sub)

    ops, subs = args[0::2], args[1::2]
    out = None
    if len(ops) > len(subs):  # the last one is the output sublist
        out = ops[-1]
        ops = ops[:-1]
    eq = ",".join(letters(s) for s in subs)
    return (eq if out is None else eq + "->" + letters(out)), ops


def _einsum_equation(equation, operands):
    """The equation with explicit labels only: ellipses spelt out, the output written."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    for i, c in enumerate(lhs + arrow + rhs):
        is_arrow = arrow and i - len(lhs) in (0, 1)
        if c not in string.ascii_letters and c not in ",." and not is_arrow:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for t in operands[1:]:
        if t.dtype is not operands[0].dtype:
            raise RuntimeError(
                f"expected scalar type {_tname(operands[0].dtype)} but found {_tname(t.dtype)}"
            )
    free = iter(c for c in reversed(string.ascii_letters) if c not in eq)
    n_ell = max((t.ndim - len(s.replace("...", "")) for s, t in zip(terms, operands)
                 if "..." in s), default=0)  # fmt: skip
    ell = "".join(next(free) for _ in range(n_ell))
    sizes: dict = {}
    out_terms = []
    for i, (s, t) in enumerate(zip(terms, operands)):
        k = len(s.replace("...", ""))
        if "..." not in s and k != t.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({k}) does not match the "
                f"number of dimensions ({t.ndim}) for operand {i} and no ellipsis was given"
            )
        if k > t.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({k}) is more than the "
                f"number of dimensions ({t.ndim}) for operand {i}"
            )
        s = s.replace("...", ell[n_ell - (t.ndim - k) :])
        seen: dict = {}
        for c, n in zip(s, t.shape):
            if c in seen and seen[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                    f"match, {seen[c]} != {n}"
                )
            seen[c] = n
            have = sizes.get(c, 1)
            if n != 1 and have not in (1, n):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                    f"broadcast with previously seen size {have}"
                )
            sizes[c] = max(have, n) if n != 1 else have
        out_terms.append(s)
    if not arrow:
        once = sorted(c for c in set(lhs) if c in string.ascii_letters and lhs.count(c) == 1)
        rhs = ell + "".join(once)
    else:
        rhs = rhs.replace("...", ell)
        for c in rhs:
            if c not in sizes:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")  # fmt: skip
    return ",".join(out_terms) + "->" + rhs


@einsum.vjp
def _(grad, out, *operands, equation):
    # d/d(operand i): an einsum of the gradient and the other operands back to operand i's labels;
    # labels summed within operand i alone come back through ones, repeated labels (diagonals)
    # through identity matrices.
    lhs, rhs = equation.split("->")
    terms = lhs.split(",")
    free = iter(c for c in reversed(string.ascii_letters) if c not in equation)
    res = []
    for i, (s, x) in enumerate(zip(terms, operands)):
        ins = [rhs] + terms[:i] + terms[i + 1 :]
        ops = [grad, *[_c(o) for o in operands[:i] + operands[i + 1 :]]]
        size: dict = {}
        for term, t in zip(ins, ops):
            for c, n in zip(term, t.shape):
                size[c] = max(size.get(c, 1), n)
        target = []
        for c, n in zip(s, x.shape):
            if c in target:  # a repeated label: a fresh one tied to it by an identity
                d = next(free)
                ins.append(c + d)
                ops.append(_creation.eye(n, dtype=grad.dtype, device=grad.device))
                c = d
            elif c not in size or size[c] < n:  # summed in operand i alone, or broadcast
                ins.append(c)
                ops.append(_creation.ones(n, dtype=grad.dtype, device=grad.device))
            target.append(c)
        res.append(einsum(",".join(ins) + "->" + "".join(target), *ops))
    return tuple(res)


# -- tensordot, kron --------------------------------------------------------------------------


@composite(method=False)
def tensordot(a, b, dims=2, out=None):
    """Sum of products over dims ``dims`` of ``a`` and ``b``: an int n (the last n of ``a``
    with the first n of ``b``) or two lists of dims.

    >>> ember.tensordot(ember.ones(2, 3), ember.ones(3, 4), 1).shape
    ember.Size([2, 4])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        for i, d in enumerate((da, db)):
            if isinstance(d, int):
                raise TypeError(
                    f"tensordot(): argument '{('dims_self', 'dims_other')[i]}' (position {3 + i}) "
                    "must be tuple of ints, not int"
                )
        da, db = list(da), list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for i, j in zip(da, db):
        na, nb = a.shape[i], b.shape[j]
        if nb == 1 and na != 1:  # torch sums a broadcast contracted dim away first
            a = a.sum(i, keepdim=True)
        elif na == 1 and nb != 1:
            b = b.sum(j, keepdim=True)
        elif na != nb:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {na} in dim {i} and "
                f"second has size {nb} in dim {j}"
            )
    da = [wrap_dim(d, a.ndim) for d in da]
    db = [wrap_dim(d, b.ndim) for d in db]
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = _prod(a.shape[d] for d in da)
    left = a.permute(fa + da).reshape(_prod(a.shape[d] for d in fa), k)
    right = b.permute(db + fb).reshape(k, _prod(b.shape[d] for d in fb))
    return (left @ right).reshape([a.shape[d] for d in fa] + [b.shape[d] for d in fb])


@composite()
def kron(input, other):
    """The Kronecker product: blocks ``input[i, j] * other``.

    >>> ember.kron(ember.eye(2), ember.ones(2, 2)).shape
    ember.Size([4, 4])
    """
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = _unsafe_view(input, shape=tuple(v for s in sa for v in (s, 1)))
    b = _unsafe_view(other, shape=tuple(v for s in sb for v in (1, s)))
    return _unsafe_view(a * b, shape=tuple(x * y for x, y in zip(sa, sb)))


# -- norms ------------------------------------------------------------------------------------

_INF = float("inf")


def _real_np(dt):
    """The real NumPy dtype a norm of ``dt`` has (complex64 -> float32)."""
    return np.empty(0, dt).real.dtype


def _sgn(x):
    """x / |x| (0 at 0): torch's sgn, the sign of reals and the phase of complex numbers."""
    if not x.is_complex():
        return x.sign()
    a = x.abs()
    return where(a == 0, 0.0, x / where(a == 0, 1.0, a).to(x.dtype))


def _vector_norm_samples(rng):
    u = rng.uniform
    out = [((u(-2, 2, s),), {}) for s in ((5,), (2, 3), (2, 3, 4))]
    for o in (1, 3, 0.5, 1.5, _INF, -_INF, 0, -1):
        out.append(((u(-2, 2, (2, 3)),), {"ord": o}))
    out += [((u(-2, 2, (2, 3, 4)),), {"dim": (0, 2), "keepdim": True}),
            ((u(-2, 2, (2, 3)),), {"ord": 3, "dim": 1}), ((u(-2, 2, ()),), {}),
            ((u(-2, 2, (2, 3)),), {"dim": -1, "ord": _INF}),
            ((u(-2, 2, (0, 3)),), {"dim": 0})]  # fmt: skip
    return out


@op(name="vector_norm", namespace="linalg", grad_name="LinalgVectorNormBackward0",
    samples=_vector_norm_samples)  # fmt: skip
def vector_norm(xp, x, *, ord=2, dim=None, keepdim=False, dtype=None):
    """vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None): ``sum(|x|^ord)^(1/ord)``
    over dim (all dims when None); ord inf/-inf are max/min |x|, ord 0 counts nonzeros.

    >>> ember.linalg.vector_norm(ember.tensor([3.0, 4.0]))
    tensor(5.)
    """
    if dtype is not None:
        x = x.astype(dtype)
    real = _real_np(x.dtype)
    work = np.float32 if real.itemsize < 4 else real  # half precision accumulates in float
    axis = dim if x.ndim else None
    a = xp.abs(x).astype(work, copy=False)
    if ord == 0:
        r = (a != 0).sum(axis, keepdims=keepdim)
    elif ord == _INF:
        r = a.max(axis, keepdims=keepdim)
    elif ord == -_INF:
        r = a.min(axis, keepdims=keepdim)
    elif ord == 1:
        r = a.sum(axis, keepdims=keepdim)
    elif ord == 2:
        r = xp.sqrt((a * a).sum(axis, keepdims=keepdim))
    else:
        with np.errstate(divide="ignore"):
            r = (a**ord).sum(axis, keepdims=keepdim) ** (1.0 / ord)
    return xp.asarray(r).astype(real)


@vector_norm.parser
def _(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    name = "linalg.vector_norm"
    _check_norm_input(name, x, dtype)
    if isinstance(dim, int):
        dim = (dim,)
    dims = _norm_dims(dim, x.ndim)
    _check_empty_norm(x, ord, dims)
    return (x,), {"ord": ord, "dim": dims, "keepdim": keepdim,
                  "dtype": None if dtype is None else D.to_numpy_dtype(dtype)}  # fmt: skip


def _norm_dims(dim, ndim):
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return None
    out = tuple(wrap_dim(d, ndim) for d in dim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def _check_norm_input(name, x, dtype):
    dt = x.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tname(dt)}")  # fmt: skip
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f"{name}: dtype should be floating point or complex. Got {dtype}")
        if dtype.is_complex != dt.is_complex:
            kind = "complex" if dt.is_complex else "real"
            raise RuntimeError(f"{name}: dtype should be {kind} for {kind} inputs. Got {dtype}")
        if D.promote_types(dtype, dt) is not dtype:
            raise RuntimeError(f"{name}: the dtype of the input ({dt}) should be convertible "
                               f"without narrowing to the specified dtype ({dtype})")  # fmt: skip


def _check_empty_norm(x, ord, dims):
    if not (ord < 0 or ord == _INF) or x.numel():
        return
    if dims is None:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    for d in dims:
        if x.shape[d] == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on the dimension {d} because "
                "this dimension is empty and the operation does not have an identity"
            )


@vector_norm.vjp
def _(grad, out, x, *, ord=2, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(D.from_numpy_dtype(dtype))
    return (_norm_grad(grad, x, ord, out, dim, keepdim),)


def _norm_grad(grad, x, p, norm, dim, keepdim):
    """torch's norm_backward: the gradient of ``vector_norm(x, p, dim)`` (``norm`` its value)."""
    if not keepdim and x.ndim:
        for d in sorted(range(x.ndim) if dim is None else dim):
            grad, norm = grad.unsqueeze(d), norm.unsqueeze(d)
    if p == 0:
        return x * 0
    if p == 1:
        return _sgn(x) * grad
    if p == 2:
        return grad * where(norm == 0, 0.0, x / where(norm == 0, 1.0, norm))
    if p in (_INF, -_INF):
        a = x.abs()
        mask = (a == norm) | (a != a)
        count = mask.sum(dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=True)
        return _sgn(x) * ((grad / count) * mask)
    safe = where(norm == 0, 1.0, norm)
    if p < 1:
        scaled = _sgn(x) * where(x == 0, 0.0, x.abs() ** (p - 1))
        return scaled * grad * norm ** (1 - p)
    if p < 2:
        scaled = _sgn(x) * x.abs() ** (p - 1)
    else:
        scaled = x * x.abs() ** (p - 2)
    return scaled * where(norm == 0, 0.0, grad / safe ** (p - 1))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """torch.linalg.matrix_norm (see ``ember.linalg.matrix_norm``)."""
    from .decomp import _check_float

    name = "linalg.matrix_norm"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    dim = tuple(wrap_dim(d, A.ndim) for d in dim)
    if len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    if dim[0] == dim[1]:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    _check_norm_input(name, A, dtype)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{name}: Order {ord} not supported.")
        if ord == "fro":
            return vector_norm(A, 2, dim, keepdim, dtype=dtype)
        _check_float(name, A)
        return _svd_norm(A, dim, keepdim, dtype, lambda s: s.sum(-1, keepdim))
    if abs(ord) not in (2, 1, _INF):
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if abs(ord) == 2:
        _check_float(name, A)
        return _svd_norm(A, dim, keepdim, dtype, lambda s: _max_min(s, -1, ord, keepdim))
    d0, d1 = dim
    if abs(ord) == _INF:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return _max_min(vector_norm(A, 1.0, d0, keepdim, dtype=dtype), d1, ord, keepdim)


def _max_min(A, dim, ord, keepdim):
    if A.shape[dim] == 0 and ord > 0:
        shape = list(A.shape)
        if keepdim:
            shape[dim] = 1
        else:
            del shape[dim]
        return _creation.zeros(shape, dtype=A.dtype, device=A.device)
    return A.amax(dim, keepdim) if ord > 0 else A.amin(dim, keepdim)


def _svd_norm(A, dim, keepdim, dtype, reduce):
    from .. import linalg

    if dtype is not None:
        A = A.to(dtype)
    perm = [i for i in range(A.ndim) if i not in dim] + list(dim)
    result = reduce(linalg.svdvals(A.permute(perm)))
    if keepdim:
        inv = sorted(range(len(perm)), key=perm.__getitem__)
        result = result.unsqueeze(-1).permute(inv)
    return result


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm (see ``ember.linalg.norm``)."""
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")  # fmt: skip
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")  # fmt: skip
    if isinstance(ord, str):  # 'fro' and 'nuc' are matrix norms, whatever the dims
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2)):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2.0 if ord is None else ord, dim, keepdim, dtype=dtype)


@composite()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The old ``torch.norm``: p 'fro' (2-norm over dim, or all), 'nuc', or a number (a vector
    norm over dim).

    >>> ember.norm(ember.tensor([3.0, 4.0]))
    tensor(5.)
    """
    dims = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(input, p, list(range(input.ndim)) if dims is None else dims, keepdim,
                           dtype=dtype)  # fmt: skip
    return vector_norm(input, 2.0 if p is None else p, dims, keepdim, dtype=dtype)


def _dist_samples(rng):
    u = rng.uniform
    return [((u(-2, 2, (2, 3)), u(-2, 2, (3,))), {}), ((u(-2, 2, (4,)), u(-2, 2, (4,))), {"p": 1}),
            ((u(-2, 2, (2, 3)), u(-2, 2, (2, 3))), {"p": _INF}),
            ((u(-2, 2, (2, 3)), u(-2, 2, (2, 1))), {"p": 3})]  # fmt: skip
    # (p=0 is in tests/test_linalg.py: torch's DistBackward0 fails on it)


@op(promote="common", samples=_dist_samples)
def dist(xp, x, y, *, p=2):
    """dist(input, other, p=2): ``vector_norm(input - other, p)`` (broadcasting)."""
    return vector_norm.forward(xp, x - y, ord=p)


@dist.parser
def _(input, other, p=2):
    dt = D.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_tname(dt)} instead.")  # fmt: skip
    _broadcast_shape([tuple(input.shape), tuple(other.shape)])
    return (input, other), {"p": p}


def _dist_grad(grad, out, x, y, p=2):
    return _norm_grad(grad, x - y, p, out, None, False)


dist.defvjp(_dist_grad, lambda grad, out, x, y, p=2: -_dist_grad(grad, out, x, y, p))


def _renorm_samples(rng):
    u = rng.uniform
    return [((u(-2, 2, (3, 4)),), {"p": 2, "dim": 0, "maxnorm": 1.0}),
            ((u(-2, 2, (2, 3, 2)),), {"p": 1, "dim": 1, "maxnorm": 1.5}),
            ((u(-2, 2, (3, 2)),), {"p": _INF, "dim": -1, "maxnorm": 1.0}),
            ((u(-0.2, 0.2, (3, 2)),), {"p": 3, "dim": 0, "maxnorm": 5.0})]  # fmt: skip


@op(inplace=True, samples=_renorm_samples)
def renorm(xp, x, *, p, dim, maxnorm):
    """renorm(input, p, dim, maxnorm): each slice along dim scaled down to p-norm maxnorm where
    its norm is larger."""
    dims = tuple(d for d in range(x.ndim) if d != dim)
    norm = vector_norm.forward(xp, x, ord=p, dim=dims, keepdim=True)
    with np.errstate(divide="ignore"):
        factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return (x * factor).astype(x.dtype, copy=False)


@renorm.parser
def _(input, p, dim, maxnorm, *, out=None):
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")  # fmt: skip
    _check_norm_input("linalg.vector_norm", input, None)
    return (input,), {"p": p, "dim": wrap_dim(dim, input.ndim), "maxnorm": maxnorm}


@renorm.vjp
def _(grad, out, x, *, p, dim, maxnorm):
    dims = tuple(d for d in range(x.ndim) if d != dim)
    norm = vector_norm(x, p, dims, True)
    go = (_c(x) * grad).sum(dims, keepdim=True)
    if go.is_complex():
        from .decomp import _real

        go = _real(go)
    nb = _norm_grad(go, x, p, norm, dims, True)
    inv = 1 / (norm + 1e-7)
    return (where(norm > maxnorm, maxnorm * inv * (grad - inv * nb), grad),)


# -- cross, trace, vdot, vecdot, multi_dot ------------------------------------------------------


def _cross_samples(rng):
    u = rng.uniform
    return [((u(-2, 2, (3,)), u(-2, 2, (3,))), {}), ((u(-2, 2, (2, 3)), u(-2, 2, (1, 3))), {}),
            ((u(-2, 2, (3, 2)), u(-2, 2, (3, 2))), {"dim": 0})]  # fmt: skip


@op(name="cross", namespace="linalg", promote="common", grad_name="LinalgCrossBackward0",
    samples=_cross_samples)  # fmt: skip
def linalg_cross(xp, x, y, *, dim=-1):
    """cross(input, other, *, dim=-1): the cross product of 3-vectors along dim (broadcasting).

    >>> ember.linalg.cross(ember.tensor([1.0, 0, 0]), ember.tensor([0.0, 1, 0]))
    tensor([0., 0., 1.])
    """
    x, y = xp.broadcast_arrays(x, y)
    return xp.cross(x, y, axis=dim)


@linalg_cross.parser
def _(input, other, *, dim=-1, out=None):
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")  # fmt: skip
    _broadcast_shape([tuple(input.shape), tuple(other.shape)])
    return (input, other), {"dim": d}


linalg_cross.defvjp(
    lambda grad, out, x, y, dim=-1: linalg_cross(_c(y), grad, dim=dim),
    lambda grad, out, x, y, dim=-1: linalg_cross(grad, _c(x), dim=dim),
)

_CROSS_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
    "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
    "with that of linalg.cross in a future release."
)


@composite()
def cross(input, other, dim=None, *, out=None):
    """The old ``torch.cross``: dim defaults to the first dim of size 3 (with a warning)."""
    if dim is None:
        warnings.warn(_CROSS_WARNING, UserWarning, stacklevel=2)
        sizes = _broadcast_shape([tuple(input.shape), tuple(other.shape)])
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


@op(samples=lambda rng: [((rng.uniform(-2, 2, s),), {}) for s in ((3, 3), (2, 4), (4, 2))])
def trace(xp, x):
    """trace(input): the sum of the diagonal of a matrix (integers sum as int64)."""
    d = xp.diagonal(x)
    return xp.asarray(d.sum(dtype=xp.int64 if x.dtype.kind in "iub" else None))


@trace.parser
def _(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype.name == "bool":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return (input,), {}


trace.defvjp(lambda grad, out, x: grad * _creation.eye(*x.shape, dtype=x.dtype, device=x.device))


@op(samples=lambda rng: [((rng.uniform(-2, 2, (4,)), rng.uniform(-2, 2, (4,))), {})])
def vdot(xp, x, y):
    """vdot(input, other): ``sum(conj(input) * other)`` of two 1-d tensors."""
    return xp.asarray(xp.vdot(x, y))


@vdot.parser
def _(input, other, *, out=None):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    _check("dot", input, other)
    return (input, other), {}


vdot.defvjp(lambda grad, out, x, y: _c(grad) * y, lambda grad, out, x, y: grad * x)


def vecdot(x, y, *, dim=-1):
    """torch.linalg.vecdot: ``sum(conj(x) * y, dim)``."""
    from .decomp import _check_float

    _check_float("linalg.vecdot", x)
    if x.dtype is not y.dtype:
        raise RuntimeError(
            "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_tname(x.dtype)} and y of type {_tname(y.dtype)} instead"
        )
    if x.ndim == 1 and y.ndim == 1 and dim in (0, -1):
        return vdot(x, y)
    return (_c(x) * y).sum(dim)


def multi_dot(tensors):
    """torch.linalg.multi_dot: the chain product in the order of fewest multiplications."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    for i, t in enumerate(tensors):
        if i in (0, n - 1):
            if t.ndim not in (1, 2):
                which = "first" if i == 0 else "last"
                raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                                   f"{t.ndim}D")  # fmt: skip
        elif t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype is not first.dtype:
            raise RuntimeError(
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_cpu_name(first.dtype)} and tensor {i} {_cpu_name(t.dtype)}"
            )
    mats = list(tensors)
    if first.ndim == 1:
        mats[0] = first.unsqueeze(0)
    if last.ndim == 1:
        mats[-1] = last.unsqueeze(-1)
    for i in range(n - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                f"{list(tensors[i + 1].shape)} cannot be multiplied"
            )
    out_shape = [s for t, s in ((first, first.shape[0]), (last, last.shape[-1])) if t.ndim == 2]
    return _chain(mats).view(out_shape)


def _chain(mats):
    """The matrix chain product, parenthesized by the classic O(n^3) dynamic program."""
    n = len(mats)
    dims = [mats[0].shape[0]] + [m.shape[1] for m in mats]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return mm(product(i, k), product(k + 1, j))

    return product(0, n - 1)


_CHAIN_WARNING = (
    "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
    "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
    "multiple parameters."
)


@composite(method=False)
def chain_matmul(*matrices, out=None):
    """Deprecated: ``ember.linalg.multi_dot(matrices)`` (every operand a matrix)."""
    warnings.warn(_CHAIN_WARNING, UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


# -- addbmm, addmv, addr ------------------------------------------------------------------------


def _addbmm_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (2, 4)), u(-1, 1, (3, 2, 3)), u(-1, 1, (3, 3, 4))), {}),
            ((u(-1, 1, (4,)), u(-1, 1, (3, 2, 3)), u(-1, 1, (3, 3, 4))),
             {"beta": 0.5, "alpha": 2.0})]  # fmt: skip


@op(inplace=True, samples=_addbmm_samples)
def addbmm(xp, input, batch1, batch2, *, beta=1, alpha=1):
    """addbmm(input, batch1, batch2, *, beta=1, alpha=1): ``beta * input + alpha * sum_b
    batch1[b] @ batch2[b]``."""
    return _scaled(xp.matmul(batch1, batch2).sum(0), input, beta, alpha)


@addbmm.parser
def _(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if batch1.ndim >= 2 and batch2.ndim >= 3:  # torch expands input first
        _expand_shape(input, (batch1.shape[1], batch2.shape[2]))
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")  # fmt: skip
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
            f"{batch2.shape[1]}x{batch2.shape[2]})"
        )
    _expand_shape(input, (batch1.shape[1], batch2.shape[2]))
    _check("bmm", batch1, batch2)
    return (input, batch1, batch2), {"beta": beta, "alpha": alpha}


addbmm.defvjp(
    _beta_grad,
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(grad.unsqueeze(0) @ _c(b).mT, alpha),
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(_c(a).mT @ grad.unsqueeze(0), alpha),
)


def _addmv_samples(rng):
    u = rng.uniform
    return [
        ((u(-1, 1, (2,)), u(-1, 1, (2, 3)), u(-1, 1, (3,))), {}),
        ((u(-1, 1, ()), u(-1, 1, (2, 3)), u(-1, 1, (3,))), {"beta": 0.5, "alpha": 2.0}),
    ]


@op(inplace=True, samples=_addmv_samples)
def addmv(xp, input, mat, vec, *, beta=1, alpha=1):
    """addmv(input, mat, vec, *, beta=1, alpha=1): ``beta * input + alpha * (mat @ vec)``."""
    return _scaled(xp.matmul(mat, vec), input, beta, alpha)


@addmv.parser
def _(input, mat, vec, *, beta=1, alpha=1, out=None):
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1 or (
        mat.shape[1] != vec.shape[0]
        or (input.ndim == 1 and input.shape[0] not in (1, mat.shape[0]))
    ):  # fmt: skip
        shape = "x".join(map(str, input.shape))
        raise RuntimeError(f"size mismatch, got input ({shape}), mat ({_dims(mat.shape)}), vec "
                           f"({_dims(vec.shape)})")  # fmt: skip
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_tname(input.dtype)}, {_tname(mat.dtype)}, and {_tname(vec.dtype)}"
        )
    _scalar_checks(input, alpha)
    return (input, mat, vec), {"beta": beta, "alpha": alpha}


def _scalar_checks(input, alpha):
    if input.dtype.name != "bool" and not input.dtype.is_floating_point and \
            not input.dtype.is_complex and isinstance(alpha, float):  # fmt: skip
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


addmv.defvjp(
    _beta_grad,
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(grad.unsqueeze(-1) * _c(b), alpha),
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(_c(a).mT @ grad, alpha),
)


def _addr_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (2, 3)), u(-1, 1, (2,)), u(-1, 1, (3,))), {}),
            ((u(-1, 1, (3,)), u(-1, 1, (2,)), u(-1, 1, (3,))), {"beta": 0.5, "alpha": 2.0}),
            ((rng.integers(-3, 3, (2, 3)), rng.integers(-3, 3, (2,)), rng.integers(-3, 3, (3,))),
             {"beta": 2, "alpha": 3})]  # fmt: skip


@op(inplace=True, promote="common", samples=_addr_samples)
def addr(xp, input, vec1, vec2, *, beta=1, alpha=1):
    """addr(input, vec1, vec2, *, beta=1, alpha=1): ``beta * input + alpha * outer(vec1,
    vec2)``."""
    outer_ = vec1[:, None] * vec2[None, :]
    if outer_.dtype == np.bool_:
        prod = outer_ & bool(alpha)
        return prod if not beta else prod | xp.broadcast_to(input, prod.shape)
    return _scaled(outer_, input, beta, alpha)


@addr.parser
def _(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    _expand_shape(input, (vec1.shape[0], vec2.shape[0]))
    _scalar_checks(input, alpha)
    return (input, vec1, vec2), {"beta": beta, "alpha": alpha}


addr.defvjp(
    _beta_grad,
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(grad @ _c(b), alpha),
    lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(_c(a) @ grad, alpha),
)


# -- cdist ------------------------------------------------------------------------------------


def _cdist_samples(rng):
    u = rng.uniform
    out = [((u(-1, 1, (3, 2)), u(-1, 1, (4, 2))), {})]
    for p in (1.0, 0.5, 3.0, _INF, 0.0):
        out.append(((u(-1, 1, (3, 2)), u(-1, 1, (4, 2))), {"p": p}))
    out.append(((u(-1, 1, (2, 3, 2)), u(-1, 1, (1, 4, 2))), {}))
    return out


@op(promote=None, method=False, samples=_cdist_samples)
def cdist(xp, x1, x2, *, p=2.0):
    """cdist(x1, x2, p=2.0): the p-norm distance between each row of x1 and each row of x2
    (batch dims broadcast): shape (..., P, R).

    >>> ember.cdist(ember.zeros(1, 2), ember.tensor([[3.0, 4.0]]))
    tensor([[5.]])
    """
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    out = vector_norm.forward(xp, diff, ord=p, dim=(diff.ndim - 1,))
    return out.astype(x1.dtype, copy=False)


@cdist.parser
def _(x1, x2, p=2.0, compute_mode=None):
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_tname(t.dtype)}")  # fmt: skip
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")  # fmt: skip
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x1.dtype)} but found {_tname(x2.dtype)}")
    _broadcast_shape([tuple(x1.shape[:-2]), tuple(x2.shape[:-2])])
    return (x1, x2), {"p": float(p)}


@cdist.vjp
def _(grad, out, x1, x2, *, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    g, d = grad.unsqueeze(-1), out.unsqueeze(-1)
    if p == 0:
        t = diff * 0
    elif p == 1:
        t = diff.sign() * g
    elif p == 2:
        t = where(d == 0, 0.0, diff * g / where(d == 0, 1.0, d))
    elif p == _INF:
        t = diff.sign() * (diff.abs() == d) * g
    elif p < 1:
        t = where(diff == 0, 0.0, diff.sign() * diff.abs() ** (p - 1)) * g * d ** (1 - p)
    else:
        t = where(d == 0, 0.0, diff * diff.abs() ** (p - 2) * g / where(d == 0, 1.0, d) ** (p - 1))
    return t.sum(-2), -t.sum(-3)
