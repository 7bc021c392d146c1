"""Shape and view ops. Views return backend views of the same memory (``view=True`` makes the
registry share the base's version counter), so writes through a view reach the base."""

from __future__ import annotations

import numpy as np

from .._device import to_numpy
from ._util import infer_shape, shape_arg, wrap_dim
from .registry import composite, op


def _strided(xp, x, shape, strides):
    """A writeable view with element strides (numpy's broadcast_to would be read-only)."""
    it = x.itemsize
    return xp.lib.stride_tricks.as_strided(x, shape, tuple(s * it for s in strides))


def _estrides(x):
    return tuple(s // x.itemsize for s in x.strides)


def _view_error():
    raise RuntimeError(
        "view size is not compatible with input tensor's size and stride (at least one dimension"
        " spans across two contiguous subspaces). Use .reshape(...) instead."
    )


def _try_view(x, shape):
    """Reshape without copying, or None where the strides do not allow it."""
    if x.flags.c_contiguous:
        return x.reshape(shape)
    try:
        return np.reshape(x, shape, copy=False) if isinstance(x, np.ndarray) else None
    except ValueError:
        return None


# -- view / reshape ---------------------------------------------------------------------------


def _view_samples(rng):
    x = rng.uniform(-1, 1, (2, 3, 4))
    return [((x, 6, 4), {}), ((x, -1), {}), ((x, (4, 3, 2)), {}), ((rng.uniform(size=()), 1), {})]


@op(view=True, onnx="Reshape", samples=_view_samples)
def view(xp, x, *, shape):
    v = _try_view(x, shape)
    if v is None:
        _view_error()
    return v


@view.parser
def _(input, *shape, size=None):
    shape = shape_arg(shape) if size is None else shape_arg((size,))
    return (input,), {"shape": infer_shape(shape, input.numel())}


view.defvjp(lambda grad, out, x, shape: grad.reshape(x.shape))


@op(grad_name="UnsafeViewBackward0", method=False)
def _unsafe_view(xp, x, *, shape):
    return x.reshape(shape)


_unsafe_view.defvjp(lambda grad, out, x, shape: grad.reshape(x.shape))


@composite()
def reshape(input, *shape):
    """A view when the strides allow one, else a copy (as ``torch.reshape``).

    >>> ember.arange(6).reshape(2, 3).shape
    ember.Size([2, 3])
    """
    shape = infer_shape(shape_arg(shape), input.numel())
    if _try_view(input._data, shape) is not None:
        return view(input, shape)
    return _unsafe_view(clone(input), shape=shape)


def _expand_shape(x_shape, size):
    size = list(size)
    if len(size) < len(x_shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(x_shape)}}}, size={size}): the number of sizes "
            f"provided ({len(size)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(x_shape)})"
        )
    lead = len(size) - len(x_shape)
    for i, s in enumerate(x_shape):
        t = size[lead + i]
        if t == -1:
            size[lead + i] = s
        elif s != 1 and t != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(size)}.  "
                f"Tensor sizes: {list(x_shape)}"
            )
    for s in size[:lead]:
        if s < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                "non-existing dimension 0"
            )
    return tuple(size)


def _expand_samples(rng):
    return [((rng.uniform(size=(3, 1)), 2, 3, 4), {}), ((rng.uniform(size=()), 3), {}),
            ((rng.uniform(size=(1, 3)), -1, 3), {})]  # fmt: skip


@op(view=True, onnx="Expand", samples=_expand_samples)
def expand(xp, x, *, size):
    lead = len(size) - x.ndim
    st = [0] * lead + [0 if n == 1 and t != 1 else s for n, t, s in
                       zip(x.shape, size[lead:], _estrides(x))]  # fmt: skip
    return _strided(xp, x, size, st)


@expand.parser
def _(input, *size):
    return (input,), {"size": _expand_shape(input.shape, shape_arg(size))}


expand.defvjp(lambda grad, out, x, size: grad)  # the engine sums it back to x's shape


@composite()
def expand_as(input, other):
    return expand(input, other.shape)


@composite()
def broadcast_to(input, size):
    return expand(input, size)


# -- transposes -------------------------------------------------------------------------------


def _transpose_samples(rng):
    x = rng.uniform(size=(2, 3, 4))
    return [((x, 0, 1), {}), ((x, -1, 0), {}), ((rng.uniform(size=(3,)), 0, 0), {})]


@op(view=True, onnx="Transpose", samples=_transpose_samples)
def transpose(xp, x, *, dim0, dim1):
    return xp.swapaxes(x, dim0, dim1)


@transpose.parser
def _(input, dim0, dim1):
    n = input.ndim
    return (input,), {"dim0": wrap_dim(dim0, n), "dim1": wrap_dim(dim1, n)}


transpose.defvjp(lambda grad, out, x, dim0, dim1: grad.transpose(dim0, dim1))


@composite()
def swapaxes(input, axis0, axis1):
    return transpose(input, axis0, axis1)


@op(
    view=True,
    grad_name="TBackward0",
    samples=lambda rng: [((rng.uniform(size=(2, 3)),), {}), ((rng.uniform(size=(3,)),), {})],
)
def t(xp, x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x.T


t.defvjp(lambda grad, out, x: grad.t())


def _permute_samples(rng):
    x = rng.uniform(size=(2, 3, 4))
    return [((x, (2, 0, 1)), {}), ((x, 1, 0, 2), {})]


@op(view=True, onnx="Transpose", samples=_permute_samples)
def permute(xp, x, *, dims):
    return xp.transpose(x, dims)


@permute.parser
def _(input, *dims):
    dims = tuple(wrap_dim(d, input.ndim) for d in shape_arg(dims))
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return (input,), {"dims": dims}


permute.defvjp(lambda grad, out, x, dims: grad.permute(*np.argsort(dims).tolist()))


# -- squeeze / unsqueeze ----------------------------------------------------------------------


def _unsqueeze_samples(rng):
    x = rng.uniform(size=(2, 3))
    return [((x, 0), {}), ((x, -1), {}), ((x, 1), {}), ((rng.uniform(size=()), 0), {})]


@op(view=True, onnx="Unsqueeze", samples=_unsqueeze_samples)
def unsqueeze(xp, x, *, dim):
    return xp.expand_dims(x, dim)


@unsqueeze.parser
def _(input, dim):
    return (input,), {"dim": wrap_dim(dim, input.ndim + 1)}


unsqueeze.defvjp(lambda grad, out, x, dim: grad.squeeze(dim))


def _squeeze_samples(rng):
    x = rng.uniform(size=(2, 1, 3, 1))
    return [((x,), {}), ((x, 1), {}), ((x, 0), {}), ((x, (1, 3)), {})]


def _squeeze_name(args, params):
    d = params["dim"]
    return "SqueezeBackward0" if d is None else "SqueezeBackward1"


@op(view=True, onnx="Squeeze", samples=_squeeze_samples, grad_name=_squeeze_name)
def squeeze(xp, x, *, dim=None):
    if dim is None:
        return x.reshape(tuple(s for s in x.shape if s != 1))
    dims = tuple(d for d in dim if x.ndim and x.shape[d] == 1)
    return xp.squeeze(x, axis=dims) if dims else x.view()


@squeeze.parser
def _(input, dim=None):
    if dim is not None:
        dim = tuple(wrap_dim(d, input.ndim) for d in (dim if isinstance(dim, (tuple, list))
                                                      else (dim,)))  # fmt: skip
    return (input,), {"dim": dim}


squeeze.defvjp(lambda grad, out, x, dim=None: grad.reshape(x.shape))


# -- slicing ----------------------------------------------------------------------------------


def _slice_samples(rng):
    x = rng.uniform(size=(4, 5))
    return [((x,), {"dim": 1, "start": 1, "end": 4, "step": 2}),
            ((x,), {"dim": 0, "start": 0, "end": 2, "step": 1})]  # fmt: skip


@op(view=True, method=False, grad_name="SliceBackward0", onnx="Slice", samples=_slice_samples)
def _slice(xp, x, *, dim, start, end, step):
    idx = [slice(None)] * x.ndim
    idx[dim] = slice(start, end, step)
    return x[tuple(idx)]


_slice.check = lambda lib, x, dim, start, end, step: x[(slice(None),) * dim +
                                                       (slice(start, end, step),)]  # fmt: skip


@op(method=False, grad_name="SliceBackwardBackward0")
def _slice_backward(xp, g, *, shape, dim, start, end, step):
    out = xp.zeros(shape, dtype=g.dtype)
    idx = [slice(None)] * len(shape)
    idx[dim] = slice(start, end, step)
    out[tuple(idx)] = g
    return out


_slice.defvjp(lambda grad, out, x, dim, start, end, step: _slice_backward(
    grad, shape=x.shape, dim=dim, start=start, end=end, step=step))  # fmt: skip
_slice_backward.defvjp(lambda grad, out, g, shape, dim, start, end, step: _slice(
    grad, dim=dim, start=start, end=end, step=step))  # fmt: skip


@composite()
def narrow(input, dim, start, length):
    """``input`` sliced to ``[start, start + length)`` along ``dim`` (a view)."""
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, dim=dim, start=start, end=start + length, step=1)


@op(view=True, grad_name="SelectBackward0", onnx="Gather")
def select(xp, x, *, dim, index):
    return x[(slice(None),) * dim + (index,)]


@select.parser
def _(input, dim, index):
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {dim}"
        )
    return (input,), {"dim": dim, "index": index % n}


select.samples = lambda rng: [((rng.uniform(size=(3, 4)), 1, 2), {}),
                              ((rng.uniform(size=(3, 4)), 0, -1), {})]  # fmt: skip


@op(method=False, grad_name="SelectBackwardBackward0")
def _select_backward(xp, g, *, shape, dim, index):
    out = xp.zeros(shape, dtype=g.dtype)
    out[(slice(None),) * dim + (index,)] = g
    return out


select.defvjp(lambda grad, out, x, dim, index: _select_backward(grad, shape=x.shape, dim=dim,
                                                                index=index))  # fmt: skip
_select_backward.defvjp(lambda grad, out, g, shape, dim, index: select(grad, dim, index))


@op(view=True, multi=True)
def unbind(xp, x, *, dim=0):
    return tuple(x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim]))


@unbind.parser
def _(input, dim=0):
    return (input,), {"dim": wrap_dim(dim, input.ndim)}


unbind.defvjp(lambda grad, out, x, dim=0: stack(grad, dim) if grad else x * 0)
unbind.samples = lambda rng: [((rng.uniform(size=(3, 4)),), {}),
                              ((rng.uniform(size=(3, 4)), 1), {})]  # fmt: skip


# -- joining ----------------------------------------------------------------------------------


def _cat_samples(rng):
    a, b = rng.uniform(size=(2, 3)), rng.uniform(size=(4, 3))
    return [(([a, b],), {}), (([a, rng.uniform(size=(2, 5))], 1), {}), (([a],), {})]


@op(promote="common", onnx="Concat", samples=_cat_samples)
def cat(xp, *xs, dim=0):
    return xp.concatenate(xs, axis=dim)


@cat.parser
def _(tensors, dim=0):
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips legacy empty 1-d tensors when joining
    full = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors[:1])
    ref = full[0]
    d = wrap_dim(dim, ref.ndim)
    for i, t in enumerate(full):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list."
                )
    return tuple(full), {"dim": d}


@cat.vjp
def _(grad, out, *xs, dim=0):
    res, start = [], 0
    for x in xs:
        n = x.shape[dim]
        res.append(_slice(grad, dim=dim, start=start, end=start + n, step=1))
        start += n
    return tuple(res)


@composite(method=False)
def concat(tensors, dim=0):
    return cat(tensors, dim)


concatenate = composite("concatenate", method=False)(concat)
swapdims = composite("swapdims")(swapaxes)


@op(
    promote="common",
    samples=lambda rng: [
        (([rng.uniform(size=(2, 3)), rng.uniform(size=(2, 3))],), {}),
        (([rng.uniform(size=(3,))] * 3, 1), {}),
    ],
)
def stack(xp, *xs, dim=0):
    return xp.stack(xs, axis=dim)


@stack.parser
def _(tensors, dim=0):
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    return tensors, {"dim": wrap_dim(dim, tensors[0].ndim + 1)}


@stack.vjp
def _(grad, out, *xs, dim=0):
    return tuple(grad.unbind(dim))


# -- memory -----------------------------------------------------------------------------------


@composite(function=False)
def contiguous(input, memory_format=None):
    return input if input.is_contiguous() else clone(input)


@op(method=False, grad_name="ToCopyBackward0")
def _to_device_op(xp, x, *, device):
    if device.type == "cpu":
        return to_numpy(x)
    from .._device import get_xp

    cp = get_xp(device)
    with cp.cuda.Device(device.index or 0):
        return cp.asarray(x)


_to_device_op.defvjp(lambda grad, out, x, device: _to_device_op(grad, device=x.device))


from .elementwise import clone  # noqa: E402
