"""Matrix products: matmul (with torch's 1-d and batch rules), mm, bmm, dot, mv, inner, outer,
addmm, baddbmm, einsum, tensordot, kron."""

from __future__ import annotations

import string

from .. import _creation
from .._tensor import Tensor
from ._util import wrap_dim
from .registry import _tname, composite, op
from .shape import _broadcast_shape, _expand_shape, _prod, _unsafe_view

_CPU_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}  # fmt: skip


def _cpu_name(dt):
    return _CPU_NAMES.get(dt.name, dt.name)


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
    if a.dtype.name == "bool":
        raise NotImplementedError(f"\"{_BOOL_KERNEL[kind]}\" not implemented for 'Bool'")
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
    if y.ndim == 1:
        return grad * y if x.ndim == 1 else grad.unsqueeze(-1) * y
    if x.ndim == 1:
        return (grad.unsqueeze(-2) @ y.mT).squeeze(-2)
    return _in_layout(grad, y.mT, x.stride())


def _matmul_grad_y(grad, out, x, y, path=None):
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
    lambda grad, out, x, y: _in_layout(grad, y.mT, x.stride()),
    lambda grad, out, x, y: _in_layout(x.mT, grad, y.stride()),
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
    lambda grad, out, x, y: _in_layout(grad, y.mT, x.stride()),
    lambda grad, out, x, y: _in_layout(x.mT, grad, y.stride()),
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


dot.defvjp(lambda grad, out, x, y: grad * y, lambda grad, out, x, y: grad * x)


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


mv.defvjp(lambda grad, out, x, y: grad.unsqueeze(-1) * y,
          lambda grad, out, x, y: (x.mT @ grad.unsqueeze(-1)).squeeze(-1))  # fmt: skip


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
        lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(grad @ b.mT, alpha),
        lambda grad, out, input, a, b, beta=1, alpha=1: _alpha(a.mT @ grad, alpha),
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


@op(grad_name=_einsum_name, onnx="Einsum", samples=_einsum_samples)
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
        ops = [grad, *operands[:i], *operands[i + 1 :]]
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
