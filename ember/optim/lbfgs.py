"""L-BFGS: a quasi-Newton method with a limited history, and its strong-Wolfe line search."""

from __future__ import annotations

from collections.abc import Callable

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.pointwise import view_as_real
from ..ops.shape import cat
from .optimizer import Optimizer, ParamsT, _to_scalar

__all__ = ["LBFGS"]


def _number(x):
    """A Python number from a 0-d tensor (an ``alpha=`` argument), else ``x`` itself."""
    return x.item() if isinstance(x, Tensor) else x


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through two points with values ``f`` and slopes ``g``.

    The result is clamped to ``bounds`` (default: the interval between the two points);
    when the cubic has no real minimizer, the middle of the bounds is returned.
    """
    if bounds is None:
        bounds = (x1, x2) if x1 <= x2 else (x2, x1)
    lo, hi = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if not d2_square >= 0:  # no real minimizer (or nan): bisect
        return (lo + hi) / 2.0
    d2 = d2_square.sqrt()
    # measured from the farther point, so the formula stays stable
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


class _Point:
    """One evaluated step length: ``t``, loss ``f``, flat gradient ``g``, slope ``gtd``."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):  # fmt: skip
    """Line search along ``d`` for a step satisfying the strong Wolfe conditions.

    Sufficient decrease ``f(t) <= f(0) + c1 t f'(0)`` and curvature ``|f'(t)| <= -c2 f'(0)``
    (Nocedal & Wright, algorithms 3.5 and 3.6, after minFunc's ``WolfeLineSearch``).
    First a bracket containing such a step is found by growing ``t``; then the bracket is
    shrunk by cubic interpolation ("zoom"). ``obj_func(x, t, d)`` returns the loss and flat
    gradient at ``x + t d``. Returns ``(f, g, t, number of evaluations)``.
    """
    d_norm = d.abs().max()
    start = _Point(0, f, g.clone(), gtd)

    def evaluate(step):
        f_new, g_new = obj_func(x, step, d)
        return _Point(step, f_new, g_new, g_new.dot(d))

    def armijo_fails(p):
        return p.f > (f + c1 * p.t * gtd)

    def curvature_holds(p):
        return abs(p.gtd) <= -c2 * gtd

    # -- bracketing: grow t until [prev, new] surely holds an acceptable step ------------
    new, prev = evaluate(t), start
    evals = 1
    bracket: list[_Point] = []
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if armijo_fails(new) or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if curvature_holds(new):
            bracket = [new]
            done = True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        # extrapolate: a cubic step, at least 1% beyond t and at most 10 t
        step = _cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                                  bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))  # fmt: skip
        prev = new
        new = evaluate(step)
        evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        # out of evaluations: fall back to [0, t] (the zoom below will not run)
        bracket = [_Point(0, f, g, None), new]

    # -- zoom: shrink the bracket around the acceptable step -----------------------------
    insufficient_progress = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and ls_iter < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        step = _cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # A trial within 10% of an end of the bracket makes little progress: the second
        # time in a row (or when it is on the boundary) move it 10% inside instead.
        t_max, t_min = max(a.t, b.t), min(a.t, b.t)
        eps = 0.1 * (t_max - t_min)
        if min(t_max - step, step - t_min) < eps:
            if insufficient_progress or step >= t_max or step <= t_min:
                step = t_max - eps if abs(step - t_max) < abs(step - t_min) else t_min + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        new = evaluate(step)
        evals += 1
        ls_iter += 1
        if armijo_fails(new) or new.f >= bracket[low].f:
            bracket[high] = new  # too high: it closes the bracket from that side
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature_holds(new):
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the minimum lies on the other side of low
            bracket[low] = new

    best = bracket[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS`` (after minFunc).

    One ``step(closure)`` runs up to ``max_iter`` iterations; ``closure`` clears the
    gradients, computes the loss, calls ``backward()`` and returns the loss. With
    :math:`g` the flat gradient of all parameters, each iteration::

        if first iteration ever:  d = -g,  H = 1,  t = min(1, 1 / sum|g|) * lr
        else:
            y = g - g_prev,  s = t_prev d_prev
            if y.s > 1e-10:  keep (y, s, 1 / y.s) (at most history_size pairs), H = y.s / y.y
            d = -(two-loop recursion: the inverse-Hessian estimate times g, started from H)
            t = lr
        stop if g.d > -tolerance_change
        t = strong Wolfe line search along d from t     (line_search_fn='strong_wolfe')
        x = x + t d, then re-evaluate the closure       (otherwise, but not on the last iteration)
        stop when max_iter or max_eval is reached, max|g| <= tolerance_grad,
             max|t d| <= tolerance_change or |loss - loss_prev| < tolerance_change

    Args:
        params: the parameters (one group only).
        lr (float): learning rate: the first trial step length (default: 1).
        max_iter (int): iterations per ``step`` (default: 20).
        max_eval (int): closure evaluations per ``step`` (default: ``max_iter * 1.25``).
        tolerance_grad (float): stop when ``max|g|`` is below it (default: 1e-7).
        tolerance_change (float): stop when the loss or the parameters change less
            (default: 1e-9).
        history_size (int): number of (y, s) pairs kept (default: 100).
        line_search_fn (str): ``'strong_wolfe'`` or None (default: None).

    The whole state (history, last direction and step) lives in ``state[first param]``.

    >>> import ember as torch
    >>> x = torch.tensor([-1.0, 1.0], requires_grad=True)
    >>> opt = torch.optim.LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((x - 3) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> loss = opt.step(closure); x
    tensor([3., 3.], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    # -- the parameters as one flat vector -------------------------------------------------

    def _numel(self) -> int:
        if self._numel_cache is None:
            # a complex parameter counts as its real and imaginary parts
            self._numel_cache = sum(
                2 * p.numel() if p.is_complex() else p.numel() for p in self._params
            )
        return self._numel_cache

    def _gather_flat_grad(self) -> Tensor:
        views = []
        for p in self._params:
            if p.grad is None:
                view = p.new_zeros(p.numel())
            else:
                view = p.grad.reshape(-1)
            if view.is_complex():
                view = view_as_real(view).reshape(-1)
            views.append(view)
        return cat(views, 0)

    def _add_grad(self, step_size, update: Tensor) -> None:
        """``params += step_size * update`` (``update`` flat, in parameter order)."""
        step_size = _number(step_size)
        offset = 0
        for p in self._params:
            if p.is_complex():
                p = view_as_real(p)
            numel = p.numel()
            p.add_(update[offset : offset + numel].view_as(p), alpha=step_size)
            offset += numel
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self) -> list[Tensor]:
        return [p.clone() for p in self._params]

    def _set_param(self, params_data: list[Tensor]) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            p.copy_(data)

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- the step --------------------------------------------------------------------------

    @no_grad()
    def step(self, closure: Callable[[], float]):  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns the closure's first loss."""
        if len(self.param_groups) != 1:
            raise AssertionError(
                f"Expected exactly one param_group, but got {len(self.param_groups)}"
            )
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = _number(_to_scalar(group["lr"]))
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        # LBFGS's state is global; it is kept under the first parameter (as torch does, so
        # load_state_dict casts it with that parameter's dtype).
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -- direction ------------------------------------------------------------------
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad.sub(prev_flat_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > 1e-10:  # only curvature-positive pairs keep the estimate definite
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            prev_flat_grad = flat_grad.clone()
            prev_loss = loss

            # -- step length ----------------------------------------------------------------
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (to tolerance)
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, step, direction):
                    return self._directional_evaluate(closure, x, step, direction)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # the last iteration skips the evaluation: with noisy (minibatch)
                    # losses it would be wasted
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # -- stopping -------------------------------------------------------------------
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if d.mul(t).abs().max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"], state["t"] = d, t
        state["old_dirs"], state["old_stps"], state["ro"] = old_dirs, old_stps, ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"], state["prev_loss"] = prev_flat_grad, prev_loss
        return orig_loss


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al):
    """The L-BFGS direction ``-H g`` by the two-loop recursion (Nocedal & Wright, alg. 7.4).

    ``old_dirs`` are the gradient changes ``y``, ``old_stps`` the steps ``s``, ``ro`` their
    ``1 / y.s``; ``al`` is a scratch list (kept in the state, as torch does).
    """
    q = flat_grad.neg()
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q.add_(old_dirs[i], alpha=-_number(al[i]))
    r = q.mul(H_diag)
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r.add_(old_stps[i], alpha=_number(al[i] - be_i))
    return r
