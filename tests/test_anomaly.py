"""Anomaly mode against torch: the same programs raise the same errors and warn with the
traceback of the forward call that made the failing node."""

import warnings

import pytest

import ember
from ember.autograd import anomaly_mode

torch = pytest.importorskip("torch")

INF = float("inf")


def run(lib, program):
    """program(lib) -> (error type and message or None, the warnings' messages)."""
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        try:
            program(lib)
            err = None
        except Exception as e:
            err = (type(e).__name__, str(e))
    # NumPy's RuntimeWarnings (inf * 0) are ember's own noise, not anomaly mode's
    msgs = [str(w.message) for w in ws if not issubclass(w.category, RuntimeWarning)]
    return err, msgs


def nan_in_mul(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([INF, 1.0])
    with lib.autograd.detect_anomaly():
        y = x * w  # THE-FORWARD-LINE
        (y * 0).sum().backward()


def test_nan_names_the_op_and_shows_the_forward_line():
    (terr, tw), (eerr, ew) = run(torch, nan_in_mul), run(ember, nan_in_mul)
    assert eerr == terr == ("RuntimeError", "Function 'MulBackward0' returned nan values in its "
                                            "0th output.")  # fmt: skip
    assert len(ew) == len(tw) == 2
    assert ew[0] == tw[0]  # "Anomaly Detection has been enabled..."
    for w in (tw[1], ew[1]):
        assert w.startswith("Error detected in MulBackward0. Traceback of forward call that "
                            "caused the error:\n")  # fmt: skip
        assert "y = x * w  # THE-FORWARD-LINE" in w
        assert __file__ in w


def test_check_nan_off_lets_nan_through():
    def program(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.detect_anomaly(check_nan=False):
            (x * lib.tensor([INF, 1.0]) * 0).sum().backward()
        return x.grad

    res = []
    for lib in (torch, ember):
        err, _ = run(lib, program)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                (x * lib.tensor([INF, 1.0]) * 0).sum().backward()
        res.append((err, str(x.grad.tolist())))
    assert res[1] == res[0]
    assert "nan" in res[0][1]


def test_nan_without_anomaly_mode_passes_silently():
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x * lib.tensor([INF, 1.0]) * 0).sum().backward()
        assert x.grad.isnan().tolist() == [True, False]


def error_in_custom_backward(lib):
    class Boom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    x = lib.ones(3, requires_grad=True)
    with lib.autograd.detect_anomaly():
        y = Boom.apply(x)  # BOOM-LINE
        y.sum().backward()


def test_error_in_a_custom_backward():
    terr, tw = run(torch, error_in_custom_backward)
    eerr, ew = run(ember, error_in_custom_backward)
    assert eerr == terr == ("ValueError", "boom in backward")
    for w in (tw[1], ew[1]):
        assert w.startswith("Error detected in BoomBackward. Traceback of forward call")
        assert "y = Boom.apply(x)  # BOOM-LINE" in w


def nan_in_double_backward(lib):
    x = lib.ones(3, requires_grad=True)
    w = lib.tensor([INF, 1.0, 2.0])
    with lib.autograd.detect_anomaly():
        y = (x * x) * w  # PARENT-LINE
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)  # CHILD-LINE
        (g * 0).sum().backward()


def test_parent_of_a_node_made_in_backward():
    (terr, tw), (eerr, ew) = run(torch, nan_in_double_backward), run(ember, nan_in_double_backward)
    assert eerr == terr
    assert len(ew) == len(tw) == 3
    for w in (tw, ew):
        assert "# CHILD-LINE" in w[1] and "PARENT-LINE" not in w[1]
        assert w[2].startswith(
            "\n\nPrevious calculation was induced by MulBackward0. Traceback of forward call "
            "that induced the previous calculation:\n"
        )
        assert "# PARENT-LINE" in w[2]


def test_version_error_hint_depends_on_the_mode():
    def program(lib):
        x = lib.ones(3, requires_grad=True)
        a = x * 1
        b = a * a
        a.add_(1)
        b.sum().backward()

    def under_anomaly(lib):
        with lib.autograd.set_detect_anomaly(True):
            program(lib)

    for p in (program, under_anomaly):
        (terr, _), (eerr, _) = run(torch, p), run(ember, p)
        assert eerr == terr


def test_set_detect_anomaly_and_state():
    res = []
    for lib, enabled in ((torch, torch.is_anomaly_enabled),
                         (ember, anomaly_mode.is_anomaly_enabled)):  # fmt: skip
        states = [enabled()]
        with lib.autograd.set_detect_anomaly(True):
            states.append(enabled())
            with lib.autograd.set_detect_anomaly(False):
                states.append(enabled())
            states.append(enabled())
        states.append(enabled())
        lib.autograd.set_detect_anomaly(True)  # as a plain call it stays on
        states.append(enabled())
        lib.autograd.set_detect_anomaly(False)
        states.append(enabled())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                states.append(enabled())
                y = lib.ones(2, requires_grad=True) * 2
        states.append(enabled())
        z = lib.ones(2, requires_grad=True) * 2
        states.append((sorted(y.grad_fn.metadata), sorted(z.grad_fn.metadata)))
        res.append(states)
    assert res[1] == res[0]
    assert res[0][-1] == (["traceback_"], [])


def test_detect_anomaly_warns():
    msgs = []
    for lib in (torch, ember):
        with pytest.warns(UserWarning) as w:
            lib.autograd.detect_anomaly()
        msgs.append(str(w[0].message))
    assert msgs[1] == msgs[0]
