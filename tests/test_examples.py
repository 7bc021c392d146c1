"""The runnable examples in ``examples/``: each runs (``--help`` and a few steps) as a script,
digits trains to >= 97% held-out accuracy with its defaults, and every checkpoint an example
saves loads with real ``torch.load(weights_only=True)`` into the same model written in torch
(the example's own source with ``ember`` swapped for ``torch``) and gives the same outputs."""

from __future__ import annotations

import glob
import importlib.util
import math
import os
import re
import subprocess
import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
NAMES = ["digits", "char_transformer", "lstm_classifier", "regression_mlp"]


def run_example(name, *args, timeout=600):
    """Run ``python examples/<name>.py args`` from the repo root; its stdout (asserts rc 0)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    # one BLAS thread per script: the suite runs one process per core, more only oversubscribe
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, f"{name}.py"), *map(str, args)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert proc.returncode == 0, f"{name} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout


def load_example(name, backend):
    """The example as a module, importing ``ember`` as written or ``torch`` in its place."""
    path = os.path.join(EXAMPLES, f"{name}.py")
    if backend == "ember":
        spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    with open(path, encoding="utf-8") as f:
        source = f.read()
    # only the imports name ember (`import ember as torch`, `from ember.utils.data import ...`);
    # the bundled datasets (`ember.vision.datasets.Digits`) have no torch twin and stay ember's
    source = re.sub(r"^(\s*)(import|from) ember\b(?!\.vision)", r"\1\2 torch", source,
                    flags=re.M)  # fmt: skip
    assert not re.search(r"\b(import|from) ember\b(?!\.vision)", source)
    module = types.ModuleType(f"_torch_example_{name}")
    module.__file__ = path
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def torch_twin(name, build, checkpoint):
    """The example's model built in torch (``build(module)``) with the saved ember weights."""
    module = load_example(name, "torch")
    model = build(module)
    state = torch.load(checkpoint, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    model.load_state_dict(state)
    return model.eval()


def ember_model(name, build, checkpoint):
    module = load_example(name, "ember")
    model = build(module)
    model.load_state_dict(ember.load(checkpoint))
    return model.eval()


@pytest.mark.parametrize("name", NAMES)
def test_help(name):
    out = run_example(name, "--help")
    assert out.startswith("usage:") and "--seed" in out and "--device" in out


# --- char_transformer ---------------------------------------------------------------------


def test_char_transformer_learns_and_samples(tmp_path):
    ckpt = tmp_path / "ct.pt"
    out = run_example("char_transformer", "--steps", 20, "--eval-every", 10, "--sample-len", 15,
                      "--eval-batches", 2, "--save", ckpt)  # fmt: skip
    vocab = int(re.search(r"vocabulary (\d+)", out).group(1))
    assert vocab == len(set(open(os.path.join(EXAMPLES, "data", "public_domain.txt")).read()))
    steps = re.findall(r"step +(\d+) \| train loss ([\d.]+) \| val loss ([\d.]+)", out)
    assert [int(s) for s, _, _ in steps] == [10, 20]
    # 20 steps already beat a uniform guess over the vocabulary by a wide margin
    assert float(steps[-1][1]) < math.log(vocab) - 0.8
    samples = re.findall(r"^sample: (.*)$", out, flags=re.M)
    assert len(samples) == 2
    for s in samples:
        text = eval(s)  # printed with repr()
        assert text.startswith("Four score") and len(text) == len("Four score") + 15
    assert f"saved {ckpt}" in out

    def build(m):
        return m.CharTransformer(vocab, 48, 64, 4, 2, 0.1)

    theirs = torch_twin("char_transformer", build, ckpt)
    ours = ember_model("char_transformer", build, ckpt)
    ids = np.random.default_rng(0).integers(0, vocab, size=(3, 48))
    with torch.no_grad():
        expected = theirs(torch.tensor(ids)).numpy()
    got = ours(ember.tensor(ids)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # causal: logits at position t do not depend on later characters
    ids2 = ids.copy()
    ids2[:, 30:] = (ids2[:, 30:] + 1) % vocab
    got2 = ours(ember.tensor(ids2)).detach().numpy()
    np.testing.assert_allclose(got2[:, :30], got[:, :30], rtol=1e-5, atol=1e-5)


# --- lstm_classifier ----------------------------------------------------------------------


def test_lstm_classifier_few_steps(tmp_path):
    ckpt = tmp_path / "lstm.pt"
    out = run_example("lstm_classifier", "--epochs", 2, "--max-steps", 5, "--train-size", 200,
                      "--test-size", 300, "--log-interval", 2, "--save", ckpt)  # fmt: skip
    assert len(re.findall(r"^Train Epoch: [12] \[\d+/200\]\tLoss: [\d.]+$", out, re.M)) == 6
    accs = re.findall(r"^Test set: Average loss: [\d.]+, Accuracy: (\d+)/300 \(", out, re.M)
    assert len(accs) == 2
    assert re.search(r"^final test accuracy [\d.]+% \(", out, re.M)

    def build(m):
        return m.LSTMClassifier(11, 16, 48, 2)

    theirs = torch_twin("lstm_classifier", build, ckpt)
    ours = ember_model("lstm_classifier", build, ckpt)
    # an unsorted batch of different lengths, padded: the packed LSTM must ignore the padding
    data = load_example("lstm_classifier", "ember").MajorityDigits(7, seed=3)
    seqs = [s.tolist() for s, _ in data]
    lengths = [len(s) for s in seqs]
    padded = np.zeros((len(seqs), max(lengths)), dtype=np.int64)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    with torch.no_grad():
        expected = theirs(torch.tensor(padded), torch.tensor(lengths)).numpy()
    got = ours(ember.tensor(padded), ember.tensor(lengths)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # more padding changes nothing
    wider = np.concatenate([padded, np.zeros((len(seqs), 5), dtype=np.int64)], axis=1)
    got_wide = ours(ember.tensor(wider), ember.tensor(lengths)).detach().numpy()
    np.testing.assert_allclose(got_wide, got, rtol=1e-6, atol=1e-6)


def test_lstm_classifier_dataset_labels():
    data = load_example("lstm_classifier", "ember").MajorityDigits(50, seed=5)
    assert len(data) == 50
    for tokens, label in data:
        digits = tokens.numpy() - 1
        assert 4 <= len(digits) <= 32 and digits.min() >= 0 and digits.max() <= 9
        high = int((digits >= 5).sum())
        assert 2 * high != len(digits) and label == int(2 * high > len(digits))


# --- regression_mlp -----------------------------------------------------------------------


def test_regression_mlp_few_steps(tmp_path):
    ckpt = tmp_path / "mlp.pt"
    out = run_example("regression_mlp", "--epochs", 3, "--max-steps", 5, "--samples", 400,
                      "--log-interval", 1, "--save", ckpt)  # fmt: skip
    assert "280 training, 60 validation, 60 test samples" in out
    epochs = re.findall(r"^epoch +(\d) \| train loss ([\d.]+) \| val loss ([\d.]+) \| lr", out,
                        re.M)  # fmt: skip
    assert [int(e) for e, _, _ in epochs] == [1, 2, 3]
    best = float(re.search(r"best val loss ([\d.]+) at epoch (\d)", out).group(1))
    assert best == pytest.approx(min(float(v) for _, _, v in epochs), abs=1e-4)
    assert re.search(r"^test MSE [\d.]+ \(noise floor 0\.0100\), R\^2 -?[\d.]+$", out, re.M)

    def build(m):
        return m.MLP(8, 64, 2)

    theirs = torch_twin("regression_mlp", build, ckpt)
    ours = ember_model("regression_mlp", build, ckpt)
    x = np.random.default_rng(1).uniform(-1, 1, size=(16, 8)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)  # fmt: skip


def test_regression_mlp_early_stopping():
    out = run_example("regression_mlp", "--epochs", 50, "--max-steps", 1, "--samples", 200,
                      "--lr", 0, "--patience", 2, "--log-interval", 100)  # fmt: skip
    # at lr 0 the weights never change, so epoch 1 stays the best and epoch 3 is the last
    assert "early stopping at epoch 3: no improvement for 2 epochs" in out
    assert re.search(r"^best val loss [\d.]+ at epoch 1 ", out, re.M)
    assert "epoch   4" not in out


# --- digits: the full default run -----------------------------------------------------------


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("digits")
    stdout = run_example("digits", "--seed", 1, "--out", out_dir)
    (checkpoint,) = glob.glob(os.path.join(out_dir, "digits-*", "model.pt"))
    return stdout, checkpoint


def test_digits_default_run_accuracy(digits_run):
    stdout, checkpoint = digits_run
    m = re.search(r"^test accuracy ([\d.]+)% after 15 epochs", stdout, re.M)
    assert m, stdout[-2000:]
    assert float(m.group(1)) >= 97.0
    assert len(re.findall(r"test loss [\d.]+, accuracy [\d.]+%", stdout)) == 15
    assert os.path.exists(os.path.join(os.path.dirname(checkpoint), "curves.png"))
    assert glob.glob(os.path.join(os.path.dirname(checkpoint), "events.out.tfevents.*"))


def test_digits_checkpoint_loads_in_torch(digits_run):
    _, checkpoint = digits_run

    def build(m):
        return m.Net()

    theirs = torch_twin("digits", build, checkpoint)
    ours = ember_model("digits", build, checkpoint)
    from ember.vision.datasets import Digits

    test_set = Digits(train=False)
    images = np.stack([test_set[i][0].numpy() for i in range(64)])
    labels = np.array([test_set[i][1] for i in range(64)])
    with torch.no_grad():
        expected = theirs(torch.tensor(images)).numpy()
    got = ours(ember.tensor(images)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert (expected.argmax(1) == labels).mean() >= 0.9
