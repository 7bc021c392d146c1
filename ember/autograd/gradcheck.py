"""gradcheck / gradgradcheck: analytical gradients against central finite differences, as torch.

>>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
>>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
True

Slow mode builds both Jacobians (one backward per output element, two evaluations per input
element); ``fast_mode`` compares ``v^T J u`` for random ``u``, ``v`` instead. Complex outputs are
checked as their real and imaginary parts; complex inputs through the conjugate Wirtinger
derivative ``ds/dx + 1j ds/dy``, as torch does.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._device import to_numpy
from .graph import _T

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.
If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!
If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


def _is_tensor(x) -> bool:
    return isinstance(x, _T[0])


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _diff_inputs(inputs):
    """(positions, tensors) of the inputs that require grad."""
    pairs = [(i, t) for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    return [i for i, _ in pairs], [t for _, t in pairs]


def _tensor(a):
    return _T[0]._wrap(np.ascontiguousarray(a))


def _np(t):
    return np.asarray(to_numpy(t.detach()._data))


# -- checks on inputs and outputs --------------------------------------------------------------


def _check_inputs(inputs):
    any_grad = False
    for idx, inp in enumerate(inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if inp.dtype.name not in ("float64", "complex128"):
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating point "
                    "or complex. This check will likely fail if all the inputs are not of double "
                    "precision floating point or complex. ",
                    stacklevel=4,
                )
            if not all(st > 0 or sz <= 1 for st, sz in zip(inp.stride(), inp.shape)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports "
                    "inputs that are non-overlapping to be able to compute the numerical "
                    "gradients correctly. You should call .contiguous on the input before "
                    "passing it to gradcheck."
                )
            any_grad = True
    if not any_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them "
            "have requires_grad=True."
        )


# -- numerical derivatives ---------------------------------------------------------------------


def _perturbed(func, inputs, t, delta):
    """The outputs of ``func`` (as arrays) with ``delta`` added to ``t``'s values in place, as
    torch perturbs ``t.data``: no version bump, the graph is untouched."""
    a = t._data
    orig = a.copy()
    a[...] = orig + delta
    try:
        return [_np(o).copy() if _is_tensor(o) else o for o in _as_tuple(func(*inputs))]
    finally:
        a[...] = orig


def _check_same(o1, o2, eps, idx):
    on = f"on index {idx} " if idx is not None else ""
    if o1.shape != o2.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape when inputs are perturbed "
            f"{on}by {eps}, but got: shapes {o1.shape} and {o2.shape}."
        )
    if o1.dtype != o2.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype when inputs are perturbed "
            f"{on}by {eps}, but got: dtypes {o1.dtype} and {o2.dtype}."
        )


def _central(func, inputs, t, v, eps, idx=None):
    """Per output: (f(x + v) - f(x - v)) / (2 eps), flattened."""
    lo = _perturbed(func, inputs, t, -v)
    hi = _perturbed(func, inputs, t, v)
    res = []
    for a, b in zip(lo, hi):
        _check_same(a, b, eps, idx)
        res.append(((b - a) / (2 * eps)).reshape(-1))
    return res


def _jvp_numerical(func, inputs, t, v, eps, idx=None):
    """The directional derivative along ``v`` (real) of each output; for a complex input, the
    conjugate Wirtinger derivative from the real and imaginary directions."""
    dx = _central(func, inputs, t, v, eps, idx)
    if t.dtype.is_complex:
        dy = _central(func, inputs, t, v * 1j, eps, idx)
        for a in dx:
            if np.iscomplexobj(a):
                raise AssertionError("Expected ds_dx to be real-valued, not complex")
        return [a + b * 1j for a, b in zip(dx, dy)]
    for a in dx:
        if np.iscomplexobj(a):
            raise AssertionError("Expected ds_dx to be real-valued, not complex.")
    return dx


def _numerical_jacobians(func, inputs, outputs, eps):
    """[input][output] Jacobians (numel_in, numel_out) of ``func`` at ``inputs``."""
    if any(o.is_complex() for o in outputs):
        raise ValueError(
            "Expected output to be non-complex. get_numerical_jacobian no longer supports "
            "functions that return complex outputs."
        )
    res = []
    for t in _diff_inputs(inputs)[1]:
        cplx = t.dtype.is_complex
        jac = [np.zeros((t.numel(), o.numel()), dtype=np.complex128 if cplx else _np(o).dtype)
               for o in outputs]  # fmt: skip
        for k, idx in enumerate(np.ndindex(t.shape)):
            v = np.zeros(t.shape, dtype=t._data.dtype)
            v[idx] = eps
            for j, col in enumerate(_jvp_numerical(func, inputs, t, v, eps, idx)):
                jac[j][k] = col
        res.append(jac)
    return res


# -- analytical derivatives --------------------------------------------------------------------


def _vjp(output, inputs, grad_output):
    from . import grad

    return grad(output, inputs, grad_output, retain_graph=True, allow_unused=True)


def _analytical_rows(output, diff, v=None):
    """Per input, the Jacobian (numel_in, numel_out) of ``output`` from one backward per output
    element (or, given ``v``, the single column ``v^T J``)."""
    from .._creation import zeros_like

    cols = [[] for _ in diff]
    vs = [v.reshape(output.shape)] if v is not None else None
    n = 1 if v is not None else output.numel()
    for j in range(n):
        if vs is None:
            g = zeros_like(output)
            g._data.reshape(-1)[j] = 1
        else:
            g = vs[0]
        for i, d in enumerate(_vjp(output, diff, g)):
            cols[i].append(None if d is None else d.clone())
    return cols


def _stack(cols, diff, n):
    jacs, sizes_ok, types_ok = [], True, True
    for c, inp in zip(cols, diff):
        jac = np.zeros((inp.numel(), n), dtype=inp._data.dtype)
        for j, d in enumerate(c):
            if d is None:
                continue
            if d.shape != inp.shape:
                sizes_ok = False
            elif d.dtype is not inp.dtype:
                types_ok = False
            a = _np(d).reshape(-1)
            if a.size != jac.shape[0]:
                raise GradcheckError("Analytical gradient has incorrect size")
            jac[:, j] = a
        jacs.append(jac)
    return jacs, sizes_ok, types_ok


def _analytical(inputs, output, nondet_tol, check_grad_dtypes, v=None):
    """Jacobians of ``output`` w.r.t. each differentiable input, computed twice: a backward that
    gives different values on the same input is an error (torch calls it reentrancy)."""
    diff = _diff_inputs(inputs)[1]
    n = 1 if v is not None else output.numel()
    j1, sizes_ok, types_ok = _stack(_analytical_rows(output, diff, v), diff, n)
    j2, _, _ = _stack(_analytical_rows(output, diff, v), diff, n)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    for a, b in zip(j1, j2):
        if a.size and np.abs(a - b).max() > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}." + FAILED_NONDET_MSG
            )
    return j1


def _allclose(a, n, rtol, atol) -> bool:
    dt = np.result_type(a, n)
    return bool(np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol))


def _notallclose_msg(a, n, i, j, complex_indices, test_imag, forward=False) -> str:
    prefix = ""
    if complex_indices and i in complex_indices:
        part = "imaginary" if test_imag else "real"
        prefix = f"While considering the {part} part of complex outputs only, "
    mode = "computed with forward mode " if forward else ""
    return (
        prefix + f"Jacobian {mode}mismatch for output {i:d} with respect to input {j:d},\n"
        f"numerical:{_tensor(n)}\nanalytical:{_tensor(a)}\n"
    )


def _forward_ad_jacobians(func, inputs, func_out):
    """[input][output] Jacobians from forward-mode AD, one one-hot tangent per input element."""
    from . import forward_ad as fwAD

    res = []
    for pos, t in zip(*_diff_inputs(inputs)):
        if t.dtype.is_complex:
            raise NotImplementedError("gradcheck's forward-AD check takes real inputs only")
        jac = [np.zeros((t.numel(), o.numel()), dtype=_np(o).dtype) for o in func_out]
        for k in range(t.numel()):
            tan = np.zeros(t.shape, dtype=t._data.dtype)
            tan.reshape(-1)[k] = 1
            with fwAD.dual_level():
                args = list(inputs)
                args[pos] = fwAD.make_dual(t.detach(), _tensor(tan).to(t.device))
                for j, o in enumerate(_as_tuple(func(*args))):
                    g = fwAD.unpack_dual(o).tangent
                    if g is not None:
                        jac[j][k] = _np(g).reshape(-1)
        res.append(jac)
    return res


# -- slow and fast modes -----------------------------------------------------------------------


def _check_no_differentiable_outputs(func, inputs, func_out, eps):
    outs = tuple(o for o in _as_tuple(func_out) if _is_tensor(o))
    for jacs in _numerical_jacobians(func, inputs, outs, eps):
        for j in jacs:
            if np.count_nonzero(j):
                raise GradcheckError("Numerical gradient for function expected to be zero")
    return True


def _slow_gradcheck(
    func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol, *,
    use_forward_ad=False, complex_indices=None, test_imag=False,
):  # fmt: skip
    func_out = _as_tuple(func_out)
    if not outputs:
        return _check_no_differentiable_outputs(func, inputs, func_out, eps)
    numerical = _numerical_jacobians(func, inputs, func_out, eps)  # [input][output]
    keep = [k for k, o in enumerate(func_out) if o.requires_grad]
    if use_forward_ad:
        fw = _forward_ad_jacobians(func, inputs, func_out)
        for j, (fw_j, num_j) in enumerate(zip(fw, numerical)):
            for i, k in enumerate(keep):
                if not _allclose(fw_j[i], num_j[k], rtol, atol):
                    msg = _notallclose_msg(fw_j[i], num_j[k], i, j, complex_indices, test_imag,
                                           forward=True)  # fmt: skip
                    raise GradcheckError(msg)
        return True
    for i, (o, k) in enumerate(zip(outputs, keep)):
        analytical = _analytical(inputs, o, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][k]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_notallclose_msg(a, n, i, j, complex_indices, test_imag))
    return True


def _unit_vector(rng, n, dtype):
    v = rng.random(n)
    return (v / np.linalg.norm(v)).astype(dtype) if n else v.astype(dtype)


def _fast_gradcheck(
    func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol, *,
    use_forward_ad=False, complex_indices=None, test_imag=False,
):  # fmt: skip
    if use_forward_ad:  # forward AD is checked element by element here
        return _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol,
                               check_grad_dtypes, nondet_tol, use_forward_ad=True,
                               complex_indices=complex_indices, test_imag=test_imag)  # fmt: skip
    rng = np.random.default_rng(67280421310721)  # its own stream: the user's RNG is untouched
    positions, diff = _diff_inputs(inputs)
    all_u = []
    for t in diff:
        real = np.float64 if t._data.dtype.kind == "c" else t._data.dtype
        ur = _unit_vector(rng, t.numel(), real)
        all_u.append((ur, _unit_vector(rng, t.numel(), real)) if t.dtype.is_complex else ur)
    all_v = [_unit_vector(rng, o.numel(), _np(o).dtype) for o in outputs]
    func_out = _as_tuple(func_out)
    floats = [k for k, o in enumerate(func_out) if o.dtype.is_floating_point or o.is_complex()]
    if not outputs:
        for t, u in zip(diff, all_u):
            for ju in _jvp_u(func, inputs, t, u, eps):
                if ju.size and np.abs(ju).max() > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
    numerical = []  # [input][output] v^T (J u)
    for t, u in zip(diff, all_u):
        jus = _jvp_u(func, inputs, t, u, eps)
        jus = [jus[k] for k in floats]
        numerical.append([(v * ju).sum() for v, ju in zip(all_v, jus)])
    analytical = []  # [output][input] (v^T J) u
    for o, v in zip(outputs, all_v):
        vjs = _analytical(inputs, o, nondet_tol, check_grad_dtypes, v=_tensor(v).to(o.device))
        row = []
        for vj, u in zip(vjs, all_u):
            vj = vj[:, 0]
            if isinstance(u, tuple):
                row.append(vj.real.dot(u[0]) + 1j * vj.imag.dot(u[1]))
            else:
                row.append(vj.dot(u))
        analytical.append(row)
    for i, num_i in enumerate(numerical):
        for j, n in enumerate(num_i):
            a = analytical[j][i]
            u = all_u[i]
            su = float(u[0].sum() + u[1].sum()) if isinstance(u, tuple) else float(u.sum())
            if not _allclose(np.asarray(a), np.asarray(n), rtol, atol * su * float(all_v[j].sum())):
                raise GradcheckError(
                    _notallclose_msg(np.asarray(a), np.asarray(n), j, i, complex_indices,
                                     test_imag)
                    + _slow_mode_report(func, inputs, outputs, i, j, rtol, atol, eps)
                )  # fmt: skip
    return True


def _jvp_u(func, inputs, t, u, eps):
    """J u by finite differences along the whole direction ``u`` (fast mode)."""
    if isinstance(u, tuple):
        dx = _central(func, inputs, t, u[0].reshape(t.shape) * eps, eps)
        dy = _central(func, inputs, t, u[1].reshape(t.shape) * eps * 1j, eps)
        return [a + b * 1j for a, b in zip(dx, dy)]
    return _central(func, inputs, t, u.reshape(t.shape) * eps, eps)


def _slow_mode_report(func, inputs, outputs, i, j, rtol, atol, eps):
    numerical = _numerical_jacobians(func, inputs, outputs, eps)[i][j]
    analytical = _analytical(inputs, outputs[j], float("inf"), False)[i]
    diff = np.abs(numerical - analytical).max() if numerical.size else 0.0
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_tensor(numerical)}\nAnalytical:\n{_tensor(analytical)}\n\n"
        f"The max per-element difference (slow mode) is: {_tensor(np.asarray(diff))}.\n"
    )
    if _allclose(analytical, numerical, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


# -- complex outputs, and the extra backward checks --------------------------------------------


def _real_and_imag_output(fn):
    import ember

    def apply_to_c_outs(part):
        def wrapped(*inputs):
            return tuple(part(o) if o.is_complex() else o for o in _as_tuple(fn(*inputs)))

        return wrapped

    return apply_to_c_outs(ember.real), apply_to_c_outs(ember.imag)


def _gradcheck_real_imag(
    gradcheck_fn, func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
    check_forward_ad, check_backward_ad, nondet_tol,
):  # fmt: skip
    args = (eps, rtol, atol, check_grad_dtypes, nondet_tol)
    complex_out = [i for i, o in enumerate(outputs) if o.is_complex()]
    if check_backward_ad:
        if any(o.is_complex() for o in _as_tuple(func_out)):
            real_fn, imag_fn = _real_and_imag_output(func)
            out = imag_fn(*inputs)
            gradcheck_fn(imag_fn, out, inputs, _differentiable_outputs(out), *args,
                         complex_indices=complex_out, test_imag=True)  # fmt: skip
            out = real_fn(*inputs)
            gradcheck_fn(real_fn, out, inputs, _differentiable_outputs(out), *args,
                         complex_indices=complex_out)  # fmt: skip
        else:
            gradcheck_fn(func, func_out, inputs, outputs, *args)
    if check_forward_ad:
        gradcheck_fn(func, func_out, inputs, outputs, *args, use_forward_ad=True)


def _test_backward_mul_by_grad_output(outputs, inputs):
    from .._creation import zeros_like

    diff = _diff_inputs(inputs)[1]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")
    from . import grad

    grads = grad(outputs, diff, [zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(grads, diff):
        if gi is None:
            continue
        if np.any(_np(gi) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype is not di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi.shape != di.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def _undefined_grad(t):
    """``t`` through a node whose backward gives no gradient (torch's UndefinedGrad)."""
    from .function import Function

    class UndefinedGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return None

    return UndefinedGrad.apply(t)


def _test_undefined_backward_mode(func, outputs, inputs):
    from .._creation import zeros_like

    diff = _diff_inputs(inputs)[1]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn_bc_breaking():
        warnings.warn(
            "Backwards compatibility: New undefined gradient support checking feature is "
            "enabled by default, but it may break existing callers of this function. If this is "
            'true for you, you can call this function with "check_undefined_grad=False" to '
            "disable the feature",
            stacklevel=4,
        )

    def check(outs):
        from . import grad

        try:
            grads = grad(outs, diff, [zeros_like(o) for o in outs], allow_unused=True)
        except RuntimeError as e:
            warn_bc_breaking()
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. Please look at "
                '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
            ) from e
        for gi in grads:
            if gi is not None and np.any(_np(gi) != 0):
                warn_bc_breaking()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are "
                    'undefined or zero. Please look at "Notes about undefined output gradients" '
                    'in "tools/autograd/derivatives.yaml"'
                )
        return True

    T = _T[0]
    to_check = [[_undefined_grad(o) for o in _differentiable_outputs(func(*inputs))
                 if isinstance(o, T)]]  # fmt: skip
    if len(to_check[0]) > 1:
        for k in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            to_check.append([_undefined_grad(o) if i == k else o for i, o in enumerate(outs)])
    return all(check(outs) for outs in to_check)


def _test_batched_grad(inputs, output, output_idx):
    """``autograd.grad(..., is_grads_batched=True)`` against one backward per grad_output."""
    from .._creation import zeros_like
    from . import grad

    diff = _diff_inputs(inputs)[1]
    rng = np.random.default_rng(0)
    gos = [_tensor(rng.standard_normal(tuple(output.shape)).astype(_np(output).dtype))
           for _ in range(2)]  # fmt: skip
    expected = [_vjp(output, diff, g) for g in gos]
    batched = _tensor(np.stack([_np(g) for g in gos]))
    result = grad(output, diff, batched, retain_graph=True, allow_unused=True,
                  is_grads_batched=True)  # fmt: skip
    for input_idx, (res, d) in enumerate(zip(result, diff)):
        exp = np.stack([_np(e[input_idx] if e[input_idx] is not None else zeros_like(d))
                        for e in expected])  # fmt: skip
        got = np.zeros_like(exp) if res is None else _np(res)
        if got.shape == exp.shape and np.allclose(got, exp):
            continue
        raise GradcheckError(
            f"\nFor output {output_idx} and input {input_idx}:\n\ngradcheck or gradgradcheck "
            "failed while testing batched gradient computation.\n\nGot: "
            f"{_tensor(got)}\n\nExpected:\n{_tensor(exp)}"
        )
    return True


# -- the public functions ----------------------------------------------------------------------


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None) -> bool:  # fmt: skip
    """Check the gradients of ``func(*inputs)`` w.r.t. the inputs that require grad against
    central finite differences (``eps``), element by element with ``allclose(atol, rtol)``.

    Returns True; on a mismatch raises :class:`GradcheckError` (or returns False with
    ``raise_exception=False``). Use float64 inputs: the defaults are made for them.

    >>> x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(ember.tanh, (x,), fast_mode=True)
    True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    try:
        inputs = _as_tuple(inputs)
        _check_inputs(inputs)
        func_out = func(*inputs)
        outputs = _differentiable_outputs(func_out)
        check = _fast_gradcheck if fast_mode else _slow_gradcheck
        _gradcheck_real_imag(check, func, func_out, inputs, outputs, eps, rtol, atol,
                             check_grad_dtypes, check_forward_ad, check_backward_ad,
                             nondet_tol)  # fmt: skip
        if not check_backward_ad:
            return True
        if check_batched_grad:
            for i, o in enumerate(outputs):
                _test_batched_grad(inputs, o, i)
        _test_backward_mul_by_grad_output(outputs, inputs)
        if check_undefined_grad:
            _test_undefined_backward_mode(func, outputs, inputs)
        return True
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:  # fmt: skip
    """gradcheck of the gradients of ``func``: checks the backward of the backward, w.r.t. the
    inputs and ``grad_outputs`` (random, requiring grad, when not given).

    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradgradcheck(lambda t: t.sin() * t, (x,))
    True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    from . import grad

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = tuple(_random_like(o, gen_non_contig_grad_outputs) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        outputs = _differentiable_outputs(func(*ins))
        gos = tuple(x.requires_grad_() if i in diff_go else x
                    for i, x in enumerate(args[-n_out:]))  # fmt: skip
        diff_args = tuple(x for i, x in enumerate(ins) if i in diff_in)
        gis = grad(outputs, diff_args, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gis if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)  # fmt: skip


def _random_like(o, noncontiguous):
    """Uniform in [-1, 1), o's shape and dtype (float64 for non-float outputs), requiring grad,
    as torch.testing.make_tensor(low=-1, high=1)."""
    rng = np.random.default_rng()
    dt = o._data.dtype if o.dtype.is_floating_point or o.dtype.is_complex else np.float64
    shape = tuple(o.shape)
    wide = shape[:-1] + (shape[-1] * 2,) if noncontiguous and shape else shape

    def draw():
        return rng.uniform(-1, 1, wide)

    a = draw() + 1j * draw() if np.dtype(dt).kind == "c" else draw()
    a = a.astype(dt)
    if noncontiguous and shape:
        a = a[..., ::2]
    t = _T[0]._wrap(a)
    t._device = o._device
    if o._device.type != "cpu":
        t = t.to(o._device)
    return t.requires_grad_()
