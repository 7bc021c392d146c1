"""Function transforms, as ``torch.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian. They compose (``jacrev(grad(f))``, ``hessian = jacfwd(jacrev(f))``) and take pytrees
(tuples, lists, dicts) of tensors.

    >>> ember.func.grad(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
    tensor([ 3., 12.])

Built on autograd and forward-mode AD; there is no vmap: Jacobians are computed one row (or
column) at a time, and forward transforms do not nest (``jacfwd(jacfwd(f))`` raises; use
``jacrev`` for the inner one).
"""

from __future__ import annotations

from .autograd import forward_ad as fwAD
from .autograd.grad_mode import enable_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call"]


# -- pytrees ----------------------------------------------------------------------------------


def _flatten(tree):
    """(leaves, spec) for nested tuples, lists and dicts; anything else is a leaf."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for x in tree:
            lv, sp = _flatten(x)
            leaves += lv
            specs.append(sp)
        return leaves, (type(tree), None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for x in tree.values():
            lv, sp = _flatten(x)
            leaves += lv
            specs.append(sp)
        return leaves, (dict, list(tree), specs)
    return [tree], None


def _unflatten(leaves, spec):
    it = iter(leaves)

    def build(sp):
        if sp is None:
            return next(it)
        kind, keys, subs = sp
        items = [build(s) for s in subs]
        if kind is dict:
            return dict(zip(keys, items))
        return kind(items) if kind in (tuple, list) else kind(*items)  # namedtuples

    return build(spec)


def _map(fn, tree):
    leaves, spec = _flatten(tree)
    return _unflatten([fn(x) for x in leaves], spec)


# -- helpers ----------------------------------------------------------------------------------


def _tensor():
    from ._tensor import Tensor

    return Tensor


def _argnum(i, n):
    if not isinstance(i, int):
        raise RuntimeError(f"argnum must be int, got: {type(i)}")
    if -n <= i < n:
        return i % n
    raise RuntimeError(f"Got argnum={i}, but only {n} positional inputs")


def _argnums(argnums, n):
    if isinstance(argnums, int):
        return _argnum(argnums, n)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(_argnum(i, n) for i in argnums)


def _nested(leaves):
    """Whether an outer transform watches: an input that requires grad or a dual level."""
    return fwAD._current_level >= 0 or any(
        isinstance(x, _tensor()) and x.requires_grad for x in leaves
    )


def _lift(x):
    """A differentiable stand-in for ``x`` that keeps its links to outer transforms (the
    caller's graph, a tangent): a view of it."""
    if not isinstance(x, _tensor()):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    v = x.view_as(x)
    return v if v.requires_grad else v.requires_grad_()


def _lift_args(args, argnums):
    """(args with the differentiated ones lifted, their flat leaves, their spec, nested)."""
    n = _argnums(argnums, len(args))
    diff = args[n] if isinstance(n, int) else tuple(args[i] for i in n)
    leaves, spec = _flatten(diff)
    nested = _nested(leaves)
    lifted = [_lift(x) for x in leaves]
    diff = _unflatten(lifted, spec)
    args = list(args)
    if isinstance(n, int):
        args[n] = diff
    else:
        for i, d in zip(n, diff):
            args[i] = d
    return tuple(args), lifted, spec, nested


def _grads(outputs, inputs, cotangents, create):
    """autograd.grad over the outputs that require grad, zeros for unused inputs."""
    from ._creation import zeros_like
    from .autograd import grad as _grad

    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return tuple(zeros_like(x) for x in inputs)
    got = _grad([o for o, _ in pairs], inputs, [c for _, c in pairs], retain_graph=True,
                create_graph=create, allow_unused=True)  # fmt: skip
    return tuple(zeros_like(x) if g is None else g for g, x in zip(got, inputs))


def _undo(tree, nested):
    if nested:
        return tree
    return _map(lambda x: x.detach() if isinstance(x, _tensor()) else x, tree)


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return out


# -- grad / vjp -------------------------------------------------------------------------------


def grad_and_value(func, argnums=0, has_aux=False):
    """``f -> (lambda *args: (grad of f wrt args[argnums], f(*args)))`` for a scalar ``f``.

    >>> ember.func.grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
    (tensor([2., 4.]), tensor(5.))
    """

    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        with enable_grad():
            args, lifted, spec, nested = _lift_args(args, argnums)
            output, aux = _split_aux(func(*args, **kwargs), has_aux, api)
            if not isinstance(output, _tensor()):
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            from ._creation import ones_like

            g = _grads((output,), lifted, (ones_like(output),), nested)
        g = _undo(_unflatten(list(g), spec), nested)
        output = _undo(output, nested)
        if has_aux:
            return g, (output, _undo(aux, nested))
        return g, output

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f -> (lambda *args: gradient of f wrt args[argnums])`` for a scalar-valued ``f``.

    >>> ember.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(ember.ones(2), ember.ones(2))
    (tensor([1., 1.]), tensor([1., 1.]))
    """
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _vjp(func, primals, argnums, has_aux):
    with enable_grad():
        primals, lifted, spec, nested = _lift_args(primals, argnums)
        out, aux = _split_aux(func(*primals), has_aux, "vjp(f, *primals)")
        flat_out, out_spec = _flatten(out)
        if not flat_out or not all(isinstance(o, _tensor()) for o in flat_out):
            raise RuntimeError(
                "vjp(f, *primals): Expected f to be a function that has non-empty output "
                f"(got output = {out})" if not flat_out
                else "vjp(f, *primals): expected f(*primals) to return only tensors"
            )  # fmt: skip
        for o in flat_out:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError(
                    "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                    f"got Tensor with dtype {o.dtype}"
                )

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cot, cot_spec = _flatten(cotangents)
        # a graph is kept for outer transforms and for cotangents that require grad
        create = nested or any(isinstance(c, _tensor()) and c.requires_grad for c in flat_cot)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                "outputs to the function."
            )
        with enable_grad():
            g = _grads(flat_out, lifted, flat_cot, create)
        return _undo(_unflatten(list(g), spec), create)

    return _undo(out, nested), vjp_fn, (_undo(aux, nested) if has_aux else None)


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` is a tuple of v^T J per primal.

    >>> out, fn = ember.func.vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
    >>> fn(ember.ones(2))
    (tensor([2., 4.]),)
    """
    out, fn, aux = _vjp(func, primals, tuple(range(len(primals))), has_aux)
    return (out, fn, aux) if has_aux else (out, fn)


# -- jvp --------------------------------------------------------------------------------------


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` by forward-mode AD.

    >>> ember.func.jvp(lambda x: x ** 2, (ember.tensor([1.0, 2.0]),), (ember.ones(2),))[1]
    tensor([2., 4.])
    """
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")  # fmt: skip
    flat_p, p_spec = _flatten(primals)
    flat_t, t_spec = _flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be."
        )
    from ._creation import zeros_like

    nested = _nested(flat_p + flat_t)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(flat_p, flat_t)]
        out, aux = _split_aux(func(*_unflatten(duals, p_spec)), has_aux, api)
        flat_out, spec = _flatten(out)
        prim, tan = [], []
        for o in flat_out:
            if not isinstance(o, _tensor()):
                raise RuntimeError(
                    f"{api}: expected f(*args) to return only tensors, got unsupported type "
                    f"{type(o)}"
                )
            p, t = fwAD.unpack_dual(o)
            prim.append(p)
            tan.append(zeros_like(p) if t is None else t)
        aux = _map(lambda a: fwAD.unpack_dual(a).primal if isinstance(a, _tensor()) else a, aux)
    res = (_undo(_unflatten(prim, spec), nested), _undo(_unflatten(tan, spec), nested))
    return res + (aux,) if has_aux else res


# -- Jacobians and the Hessian ----------------------------------------------------------------


def _basis_rows(tensors):
    """Unit vectors over the concatenated elements of ``tensors``, split per tensor."""
    from ._creation import zeros

    numels = [t.numel() for t in tensors]
    total = sum(numels)
    for r in range(total):
        rows, start = [], 0
        for t, n in zip(tensors, numels):
            z = zeros(n, dtype=t.dtype, device=t.device)
            if start <= r < start + n:
                z[r - start] = 1
            rows.append(z.reshape(t.shape))
            start += n
        yield rows


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """``f -> (lambda *args: Jacobian of f wrt args[argnums])`` by reverse mode, one output
    element at a time: per output, a tensor of shape ``out.shape + in.shape``.

    >>> ember.func.jacrev(lambda x: x ** 2)(ember.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    from . import stack

    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    def wrapper(*args):
        n = _argnums(argnums, len(args))
        out, fn, aux = _vjp(func, args, n, has_aux)
        flat_out, out_spec = _flatten(out)
        flat_in, in_spec = _flatten(args[n] if isinstance(n, int) else tuple(args[i] for i in n))
        rows = [_flatten(fn(_unflatten(r, out_spec)))[0] for r in _basis_rows(flat_out)]
        result, k = [], 0
        for o in flat_out:
            m = o.numel()
            per_in = [
                stack([rows[k + e][j] for e in range(m)]).reshape(
                    tuple(o.shape) + tuple(x.shape)
                ) if m else _empty_jac(o, x)
                for j, x in enumerate(flat_in)
            ]  # fmt: skip
            k += m
            result.append(_unflatten(per_in, in_spec))
        jac = _unflatten(result, out_spec)
        return (jac, aux) if has_aux else jac

    return wrapper


def _empty_jac(o, x):
    from ._creation import zeros

    return zeros(tuple(o.shape) + tuple(x.shape), dtype=o.dtype, device=o.device)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``f -> (lambda *args: Jacobian of f wrt args[argnums])`` by forward mode, one input
    element at a time: per output, a tensor of shape ``out.shape + in.shape``.

    >>> ember.func.jacfwd(lambda x: x.sin())(ember.zeros(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    from . import stack

    def wrapper(*args):
        n = _argnums(argnums, len(args))
        diff = args[n] if isinstance(n, int) else tuple(args[i] for i in n)
        flat_in, in_spec = _flatten(diff)
        cols, out_spec, prim, aux = [], None, None, None

        def f_of_diff(*leaves):
            a = list(args)
            d = _unflatten(list(leaves), in_spec)
            if isinstance(n, int):
                a[n] = d
            else:
                for i, v in zip(n, d):
                    a[i] = v
            return func(*a)

        for basis in _basis_rows(flat_in):
            res = jvp(f_of_diff, tuple(flat_in), tuple(basis), has_aux=has_aux)
            prim, tan = res[0], res[1]
            if has_aux:
                aux = res[2]
            flat_t, out_spec = _flatten(tan)
            cols.append(flat_t)
        flat_out = _flatten(prim)[0]
        result = []
        for i, o in enumerate(flat_out):
            per_in, start = [], 0
            for x in flat_in:
                m = x.numel()
                if m:
                    block = stack([cols[start + e][i] for e in range(m)], dim=-1)
                    per_in.append(block.reshape(tuple(o.shape) + tuple(x.shape)))
                else:
                    per_in.append(_empty_jac(o, x))
                start += m
            result.append(_unflatten(per_in, in_spec))
        jac = _unflatten(result, out_spec)
        return (jac, aux) if has_aux else jac

    return wrapper


def hessian(func, argnums=0):
    """``jacfwd(jacrev(func, argnums), argnums)``: forward over reverse, as torch.

    >>> ember.func.hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):  # fmt: skip
    """``module`` run with the given parameters and buffers in place of its own (as
    ``torch.func.functional_call``)."""
    from .nn.utils.stateless import functional_call as call

    return call(module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights,
                strict=strict)  # fmt: skip
