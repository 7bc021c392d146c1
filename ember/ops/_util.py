"""Argument helpers shared by op families: dims, shapes."""

from __future__ import annotations


def wrap_dim(dim, ndim: int) -> int:
    """A dim in [-ndim, ndim) made non-negative; torch's IndexError otherwise (0-d acts as 1-d)."""
    n = max(ndim, 1)
    if not isinstance(dim, int) or isinstance(dim, bool):
        try:
            dim = dim.__index__()
        except AttributeError:
            raise TypeError(f"dim must be an int, got {type(dim).__name__}") from None
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def dims_arg(dim, ndim: int):
    """``dim`` as a sorted tuple of non-negative dims, or None for all dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        out = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
        return tuple(sorted(out))
    return (wrap_dim(dim, ndim),)


def shape_arg(shape) -> tuple:
    """``view(2, 3)``, ``view((2, 3))``, ``view([2, 3])``, ``view(Size)`` -> (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    out = []
    for s in shape:
        try:
            out.append(s.__index__())
        except AttributeError:
            raise TypeError(
                f"expected a sequence of integers, but got an element of type {type(s).__name__}"
            ) from None
    return tuple(out)


def infer_shape(shape, numel: int) -> tuple:
    """Resolve one -1 in ``shape`` against ``numel``; torch's RuntimeError when impossible."""
    for i, n in enumerate(shape):
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if numel == 0 and known == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def broadcast_shapes(shapes) -> tuple:
    """The common shape of ``shapes``, or torch's RuntimeError naming the last mismatching
    dimension of the result so far and the next shape."""
    out: tuple = ()
    for shape in shapes:
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + tuple(out), (1,) * (n - len(shape)) + tuple(shape)
        for i in reversed(range(n)):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i}"
                )
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return out
