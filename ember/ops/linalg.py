"""Matrix products: matmul (with torch's 1-d and batch rules), mm, bmm, dot, mv."""

from __future__ import annotations

from .registry import op

_CPU_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}  # fmt: skip


def _same_dtype(x, y, a="m1", b="m2"):
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"expected {a} and {b} to have the same dtype, but got: "
            f"{_CPU_NAMES.get(x.dtype.name, x.dtype.name)} != "
            f"{_CPU_NAMES.get(y.dtype.name, y.dtype.name)}"
        )


def _dims(s):
    return "x".join(map(str, s))


def _check_matmul(x, y):
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {x.ndim}D and {y.ndim}D"
        )
    _same_dtype(x, y)
    k1 = x.shape[-1]
    k2 = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k1 == k2:
        return
    if x.ndim == 1 and y.ndim == 1:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{k1}] and src [{k2}] to have the same "
            f"number of elements, but got {k1} and {k2} elements respectively"
        )
    if x.ndim == 2 and y.ndim == 1:
        raise RuntimeError(
            f"size mismatch, got input ({x.shape[0]}), mat ({_dims(x.shape)}), vec ({k2})"
        )
    xs = x.shape if x.ndim <= 2 else (int(x.size // k1), k1)
    ys = y.shape if y.ndim == 2 else (k2, y.shape[-1]) if y.ndim > 2 else (k2,)
    if x.ndim == 1:
        xs = (1, k1)
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(xs)} and {_dims(ys)})")


def _matmul_name(args, params):
    x, y = args
    if x.ndim == 1 and y.ndim == 1:
        return "DotBackward0"
    if x.ndim == 2 and y.ndim == 2:
        return "MmBackward0"
    if x.ndim == 2 and y.ndim == 1:
        return "MvBackward0"
    if x.ndim == 1 and y.ndim == 2:
        return "SqueezeBackward4"
    return "UnsafeViewBackward0"


def _matmul_samples(rng):
    u = rng.uniform
    return [((u(size=(2, 3)), u(size=(3, 4))), {}), ((u(size=(3,)), u(size=(3,))), {}),
            ((u(size=(2, 3)), u(size=(3,))), {}), ((u(size=(3,)), u(size=(3, 4))), {}),
            ((u(size=(2, 2, 3)), u(size=(3, 4))), {}), ((u(size=(5, 1, 2, 3)), u(size=(4, 3, 2))), {}),
            ((u(size=(3,)), u(size=(2, 3, 4))), {}), ((u(size=(2, 2, 3)), u(size=(3,))), {}),
            ((u(size=(0, 3)), u(size=(3, 2))), {})]  # fmt: skip


@op(onnx="MatMul", grad_name=_matmul_name, samples=_matmul_samples)
def matmul(xp, x, y):
    _check_matmul(x, y)
    return xp.matmul(x, y)


def _matmul_grad_x(grad, out, x, y):
    if y.ndim == 1:
        return grad * y if x.ndim == 1 else grad.unsqueeze(-1) * y
    if x.ndim == 1:
        return (grad.unsqueeze(-2) @ y.mT).squeeze(-2)
    return grad @ y.mT


def _matmul_grad_y(grad, out, x, y):
    if x.ndim == 1:
        return grad * x if y.ndim == 1 else x.unsqueeze(-1) * grad.unsqueeze(-2)
    if y.ndim == 1:
        return (x.mT @ grad.unsqueeze(-1)).squeeze(-1)
    return x.mT @ grad


matmul.defvjp(_matmul_grad_x, _matmul_grad_y)


def _mm_samples(rng):
    return [((rng.uniform(size=(2, 3)), rng.uniform(size=(3, 4))), {})]


@op(onnx="MatMul", samples=_mm_samples)
def mm(xp, x, y):
    if x.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if y.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_matmul(x, y)
    return xp.matmul(x, y)


mm.defvjp(lambda grad, out, x, y: grad @ y.mT, lambda grad, out, x, y: x.mT @ grad)


@op(
    onnx="MatMul",
    samples=lambda rng: [((rng.uniform(size=(2, 2, 3)), rng.uniform(size=(2, 3, 4))), {})],
)
def bmm(xp, x, y):
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _same_dtype(x, y, "batch1", "batch2")
    if y.shape[:2] != (x.shape[0], x.shape[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}]."
        )
    return xp.matmul(x, y)


bmm.defvjp(lambda grad, out, x, y: grad @ y.mT, lambda grad, out, x, y: x.mT @ grad)


@op(samples=lambda rng: [((rng.uniform(size=(4,)), rng.uniform(size=(4,))), {})])
def dot(xp, x, y):
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    _same_dtype(x, y, "self", "tensor")
    _check_matmul(x, y)
    return xp.dot(x, y)


dot.defvjp(lambda grad, out, x, y: grad * y, lambda grad, out, x, y: grad * x)


@op(samples=lambda rng: [((rng.uniform(size=(2, 3)), rng.uniform(size=(3,))), {})])
def mv(xp, x, y):
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {x.ndim}, {y.ndim}")
    _check_matmul(x, y)
    return xp.matmul(x, y)


mv.defvjp(lambda grad, out, x, y: grad.unsqueeze(-1) * y,
          lambda grad, out, x, y: (x.mT @ grad.unsqueeze(-1)).squeeze(-1))  # fmt: skip
