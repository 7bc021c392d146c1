"""Devices against torch (parsing, repr/str, equality, hashing, errors), CUDA without CuPy (clear
errors naming the gpu extra), and what `import ember` imports."""

import os
import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

NO_CUDA = pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")

GOOD = ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:12", "cpu:0", "cpu:1", "meta", "mps", "xla",
        "hpu", "xpu", "privateuseone", "ipu", "lazy"]  # fmt: skip
BAD = ["cuda:-1", "cuda:1:2", "cuda:x", "CUDA", "cuda0", " cuda", "cuda: 1", "", "cuda:01",
       "gpu", "cuda:", ":0", "cpu0", "cuda:1 ", "_a"]  # fmt: skip


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared below
        return e
    return None


@pytest.mark.parametrize("s", GOOD)
def test_device_from_string(s):
    t, e = torch.device(s), ember.device(s)
    assert repr(e) == repr(t)
    assert str(e) == str(t)
    assert (e.type, e.index) == (t.type, t.index)
    assert ember.device(e) == e and ember.device(e) is not e


@pytest.mark.parametrize("s", BAD)
def test_bad_device_strings(s):
    t = _error(lambda: torch.device(s))
    e = _error(lambda: ember.device(s))
    assert isinstance(t, RuntimeError), t
    assert type(e) is RuntimeError and str(e) == str(t)


@pytest.mark.parametrize(
    "args",
    [("cuda", 0), ("cuda", 3), ("cpu", 1), ("cuda", -1), ("cuda:1", 0), ("cuda", True),
     ("cuda", 1.0), (1.5,), (None,), ("cuda", None)],
)  # fmt: skip
def test_device_type_and_index(args):
    t = _error(lambda: torch.device(*args))
    e = _error(lambda: ember.device(*args))
    if t is None:
        assert e is None, e
        assert repr(ember.device(*args)) == repr(torch.device(*args))
    else:
        assert type(e) is type(t), (e, t)


def test_device_keywords_and_copy():
    assert repr(ember.device(type="cuda", index=3)) == repr(torch.device(type="cuda", index=3))
    assert repr(ember.device("cuda", index=2)) == repr(torch.device("cuda", index=2))
    with pytest.raises(TypeError):
        torch.device(torch.device("cuda:2"), 1)
    with pytest.raises(TypeError):
        ember.device(ember.device("cuda:2"), 1)
    for s in ("cpu", "cuda:1"):
        e = ember.device(s)
        assert pickle.loads(pickle.dumps(e)) == e
        assert e.__reduce__()[1] == torch.device(s).__reduce__()[1]


@NO_CUDA
def test_device_from_int_without_accelerator():
    with pytest.raises(RuntimeError) as t:
        torch.device(0)
    with pytest.raises(RuntimeError) as e:
        ember.device(0)
    assert str(e.value) == str(t.value)


def test_device_equality_and_hash():
    pairs = [("cuda:0", "cuda"), ("cuda:0", "cuda:0"), ("cpu", "cpu"), ("cpu", "cpu:0"),
             ("cuda:0", "cuda:1"), ("cpu", "meta")]  # fmt: skip
    for a, b in pairs:
        assert (ember.device(a) == ember.device(b)) == (torch.device(a) == torch.device(b))
        assert (ember.device(a) != ember.device(b)) == (torch.device(a) != torch.device(b))
        same_hash = hash(ember.device(a)) == hash(ember.device(b))
        assert same_hash == (hash(torch.device(a)) == hash(torch.device(b)))
    for other in ("cpu", "cuda:0", 0, None):  # a device never equals a string, as in torch
        assert (ember.device("cpu") == other) == (torch.device("cpu") == other)
        assert (ember.device("cuda:0") == other) == (torch.device("cuda:0") == other)
    ts = {torch.device(s) for s in ("cpu", "cpu", "cuda", "cuda:0", "cuda:1")}
    es = {ember.device(s) for s in ("cpu", "cpu", "cuda", "cuda:0", "cuda:1")}
    assert len(es) == len(ts)
    assert f"{ember.device('cuda:1')}" == f"{torch.device('cuda:1')}"


def test_tensor_device_on_cpu():
    for dev in ("cpu", "cpu:0", ember.device("cpu"), None):
        t = ember.zeros(2, device=dev)
        want = torch.zeros(2, device=dev if not isinstance(dev, ember.device) else "cpu")
        assert repr(t.device) == repr(want.device)
        assert t.is_cpu and not t.is_cuda
        assert t.get_device() == want.get_device() == -1
    assert ember.ones(2).to("cpu").device == ember.device("cpu")
    assert ember.ones(2).cpu().device == ember.device("cpu")


@NO_CUDA
def test_cuda_unavailable():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.cuda.manual_seed(0) is None and ember.cuda.manual_seed_all(0) is None
    for call in (ember.cuda.current_device, ember.cuda.synchronize):
        with pytest.raises(RuntimeError, match="gpu"):
            call()


@NO_CUDA
@pytest.mark.parametrize(
    "make",
    [lambda: ember.zeros(2, device="cuda"), lambda: ember.tensor([1.0], device="cuda:0"),
     lambda: ember.ones(2).to("cuda"), lambda: ember.ones(2).cuda(),
     lambda: ember.ones(2).to(ember.device("cuda", 1)), lambda: ember.arange(3, device="cuda"),
     lambda: ember.rand(2, device="cuda"), lambda: ember.ones(2).type("torch.cuda.FloatTensor"),
     lambda: ember.Generator(device="cuda"),
     lambda: ember.zeros_like(ember.ones(2), device="cuda")],
)  # fmt: skip
def test_cuda_tensors_raise_naming_the_extra(make):
    # torch raises AssertionError ("Torch not compiled with CUDA enabled"); ember's error is
    # both a RuntimeError and an AssertionError, and says what to install
    with pytest.raises(RuntimeError, match=r"pip install 'ember\[gpu\]'") as e:
        make()
    assert isinstance(e.value, AssertionError)


def test_other_device_types_have_no_backend():
    for dev in ("meta", "mps", "xla"):
        with pytest.raises(RuntimeError):
            ember.zeros(2, device=dev)
        with pytest.raises(RuntimeError):
            ember.ones(2).to(dev)


def test_mixed_device_strings_in_to():
    t = ember.ones(2)
    with pytest.raises(RuntimeError) as e:
        t.to("bogus")
    with pytest.raises(RuntimeError) as w:
        torch.ones(2).to("bogus")
    assert str(e.value) == str(w.value)


def _fresh_modules(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       check=True)  # fmt: skip
    return r.stdout


HEAVY = ("torch", "ml_dtypes", "cupy", "scipy", "onnx", "onnxruntime", "tensorboard", "pandas",
         "matplotlib", "mpi4py")  # fmt: skip


def test_import_is_light():
    """`import ember` loads NumPy and nothing heavier."""
    out = _fresh_modules(
        "import sys, ember; x = ember.ones(2, requires_grad=True); (x * 2).sum().backward(); "
        "ember.cuda.is_available(); print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    loaded = set(out.split())
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_bfloat16_loads_ml_dtypes_lazily():
    out = _fresh_modules(
        "import sys, ember; a = 'ml_dtypes' in sys.modules; "
        "t = ember.ones(2, dtype=ember.bfloat16); print(a, 'ml_dtypes' in sys.modules, t.dtype)"
    )
    assert out.split() == ["False", "True", "ember.bfloat16"]
