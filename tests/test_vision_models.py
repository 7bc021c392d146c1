"""ember.vision.models against torchvision 0.28: same state_dict keys and shapes, torchvision's
weights load by name, and logits, losses, gradients and running stats agree."""

import numpy as np
import pytest
from helpers import require_torchvision

import ember
import ember.vision.models as M

tv = require_torchvision()
import torch  # noqa: E402


def _to_ember(tm, em):
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    result = em.load_state_dict(sd)
    assert not result.missing_keys and not result.unexpected_keys


def _pair(name, **kwargs):
    torch.manual_seed(0)
    tm = getattr(tv.models, name)(**kwargs).double()
    em = getattr(M, name)(**kwargs).double()
    shapes = lambda m: [(k, tuple(v.shape)) for k, v in m.state_dict().items()]  # noqa: E731
    assert shapes(em) == shapes(tm)
    _to_ember(tm, em)
    return tm, em


CASES = [
    ("resnet18", {}, 32),
    ("resnet50", {"zero_init_residual": True, "num_classes": 7}, 32),
    ("mobilenet_v2", {"num_classes": 10}, 32),
    ("mobilenet_v3_small", {}, 32),
    ("mobilenet_v3_large", {"num_classes": 4, "dropout": 0.0}, 32),
]


@pytest.mark.parametrize("name,kwargs,size", CASES, ids=[c[0] for c in CASES])
def test_model_matches_torchvision(name, kwargs, size):
    tm, em = _pair(name, **kwargs)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, size, size))
    # eval: running statistics, no dropout
    tm.eval(), em.eval()
    with torch.no_grad():
        ref = tm(torch.tensor(x)).numpy()
    out = em(ember.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-7, atol=1e-9)
    # train: batch statistics, gradients, running stats (dropout off so both sides agree)
    tm.train(), em.train()
    for m in (*tm.modules(), *em.modules()):
        if type(m).__name__ == "Dropout":
            m.p = 0.0
    y = rng.integers(0, ref.shape[1], 2)
    tl = torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    el = ember.nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y))
    tl.backward()
    el.backward()
    assert el.item() == pytest.approx(tl.item(), rel=1e-9)
    tparams = dict(tm.named_parameters())
    # mathematically zero gradients (a conv bias feeding a batch norm) come out as rounding
    # noise on both sides: compare against the model's gradient scale
    scale = max(np.abs(p.grad.numpy()).max() for p in tparams.values())
    for k, p in em.named_parameters():
        ref_grad = tparams[k].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), ref_grad, rtol=1e-6, atol=1e-8 * scale,
                                   err_msg=k)  # fmt: skip
    tbufs = dict(tm.named_buffers())
    for k, b in em.named_buffers():
        np.testing.assert_allclose(b.numpy(), tbufs[k].numpy(), rtol=1e-7, atol=1e-10, err_msg=k)


LARGE = ["resnet34", "resnext50_32x4d", "wide_resnet50_2", "resnet101", "resnet152",
         "vgg11_bn", "vgg16", "vgg19_bn"]  # fmt: skip


@pytest.mark.parametrize("name", LARGE)
def test_large_models_have_torchvisions_keys_and_shapes(name):
    with torch.device("meta"):
        tm = getattr(tv.models, name)()
    em = getattr(M, name)()
    assert [(k, tuple(v.shape)) for k, v in em.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()
    ]


def test_vgg11_forward_matches_torchvision():
    torch.manual_seed(0)
    tm = tv.models.vgg11(num_classes=3).eval()
    em = M.vgg11(num_classes=3).eval()
    _to_ember(tm, em)
    x = np.random.default_rng(1).normal(size=(1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        ref = tm(torch.tensor(x)).numpy()
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(), ref, rtol=1e-4, atol=1e-5)


def test_default_init_statistics_match_torchvision():
    # kaiming-normal fan_out convs, normal(0, 0.01) linears: compare the spread per tensor
    torch.manual_seed(0)
    tm, em = tv.models.mobilenet_v2(), M.mobilenet_v2()
    tparams = dict(tm.named_parameters())
    for k, p in em.named_parameters():
        a, b = p.detach().numpy(), tparams[k].detach().numpy()
        if a.size >= 1000:
            assert a.std() == pytest.approx(b.std(), rel=0.1), k
        else:
            assert a.mean() == pytest.approx(b.mean(), abs=0.2), k


def test_weights_from_a_torch_file_and_a_state_dict(tmp_path):
    torch.manual_seed(0)
    tm = tv.models.resnet18(num_classes=5).eval()
    path = tmp_path / "resnet18.pth"
    torch.save(tm.state_dict(), path)
    x = np.random.default_rng(2).normal(size=(1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        ref = tm(torch.tensor(x)).numpy()
    for weights in (str(path), path):
        em = M.resnet18(num_classes=5, weights=weights).eval()
        np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(), ref, rtol=1e-4,
                                   atol=1e-5)  # fmt: skip


def test_errors_match_torchvision():
    for lib in (tv.models, M):
        with pytest.raises(ValueError, match="replace_stride_with_dilation"):
            lib.resnet50(replace_stride_with_dilation=[True])
        with pytest.raises(ValueError, match="BasicBlock only supports"):
            lib.resnet18(groups=2)
        with pytest.raises(ValueError, match="inverted_residual_setting"):
            lib.mobilenet_v2(inverted_residual_setting=[[1, 2]])


def test_weights_from_a_url_through_the_hub_cache(tmp_path, monkeypatch):
    import functools
    import http.server
    import threading

    torch.manual_seed(0)
    tm = tv.models.mobilenet_v3_small(num_classes=3).eval()
    served = tmp_path / "served"
    served.mkdir()
    torch.save(tm.state_dict(), served / "mnv3.pth")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/mnv3.pth"
        em = M.mobilenet_v3_small(num_classes=3, weights=url, progress=False).eval()
    finally:
        httpd.shutdown()
    assert (tmp_path / "home" / "hub" / "checkpoints" / "mnv3.pth").exists()  # cached
    x = np.random.default_rng(3).normal(size=(1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        ref = tm(torch.tensor(x)).numpy()
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(), ref, rtol=1e-4, atol=1e-5)
