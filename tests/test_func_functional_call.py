"""ember.func.functional_call against torch.func.functional_call."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_functional_call_matches_torch():
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(2, 4))
    outs = []
    for lib in (torch, ember):
        m = lib.nn.Linear(4, 3).double()
        params = {"weight": lib.tensor(w, requires_grad=True), "bias": lib.tensor(b)}
        y = lib.func.functional_call(m, params, (lib.tensor(x),))
        y.sum().backward()
        outs.append((y.detach().numpy(), params["weight"].grad.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-12)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-12)
