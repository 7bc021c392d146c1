"""Whole models against torch with shared weights (built in torch, moved into ember through
``load_state_dict`` from NumPy arrays): an LSTM classifier over packed sequences and a
2-layer TransformerEncoder with padding and causal masks. Forward, loss and every parameter's
gradient must agree, in float64 and float32. Then error parity for badly shaped inputs."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

TOL = {"float64": 1e-9, "float32": 2e-4}


def _load_from_torch(em, tm):
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    keys = em.load_state_dict(sd)
    assert not keys.missing_keys and not keys.unexpected_keys


def _close(e, t, tol, what=""):
    assert tuple(e.shape) == tuple(t.shape), what
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], what
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol,
                               err_msg=what)  # fmt: skip


def _compare_grads(tm, em, tol):
    pt, pe = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(pe) == list(pt)
    for name, p in pt.items():
        assert (pe[name].grad is None) == (p.grad is None), name
        if p.grad is not None:
            _close(pe[name].grad, p.grad, tol, name)


# -- an LSTM classifier over packed, padded token sequences ------------------------------------
def lstm_classifier(lib, vocab=20, emb=6, hidden=5, classes=3):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
            self.lstm = nn.LSTM(emb, hidden, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, tokens, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(
                self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False
            )
            out, (h, c) = self.lstm(packed)
            # the last layer's final hidden state, forward and backward directions
            logits = self.fc(lib.cat([h[-2], h[-1]], dim=1))
            padded, out_lengths = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
            return logits, padded, out_lengths, c

    return Classifier()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_classifier_packed(dtype):
    torch.manual_seed(0)
    tm = lstm_classifier(torch).to(getattr(torch, dtype))
    em = lstm_classifier(ember).to(getattr(ember, dtype))
    assert list(em.state_dict()) == list(tm.state_dict())
    _load_from_torch(em, tm)
    rng = np.random.default_rng(0)
    lengths = np.array([5, 2, 7, 3])  # unsorted: pack sorts, unpack restores the order
    tokens = np.zeros((4, 7), dtype=np.int64)
    for i, n in enumerate(lengths):
        tokens[i, :n] = rng.integers(1, 20, n)
    labels = np.array([2, 0, 1, 2])
    results = []
    for lib, m in ((torch, tm), (ember, em)):
        logits, padded, out_lengths, c = m(lib.from_numpy(tokens), lib.from_numpy(lengths))
        # a loss through every output: classes, the padded per-step outputs and the cell state
        loss = lib.nn.functional.cross_entropy(logits, lib.from_numpy(labels)) + \
            0.1 * (padded ** 2).sum() + 0.05 * c.sum()  # fmt: skip
        loss.backward()
        results.append((logits, padded, out_lengths, loss))
    tol = TOL[dtype]
    for name, e, t in zip(("logits", "padded", "lengths", "loss"), results[1], results[0]):
        _close(e, t, tol, name)
    # padding rows of the unpacked output are zero, as torch
    assert (results[1][1].detach().numpy()[1, 2:] == 0).all()
    _compare_grads(tm, em, tol)
    # the padding row of the embedding gets no gradient
    assert (em.embedding.weight.grad.numpy()[0] == 0).all()


# -- a 2-layer TransformerEncoder with a key padding mask and a causal mask ----------------------
def encoder(lib, norm_first, d_model=16, nhead=4):
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=24, dropout=0.0,
                                       activation="gelu", batch_first=True,
                                       norm_first=norm_first)  # fmt: skip
    final = nn.LayerNorm(d_model) if norm_first else None
    enc = nn.TransformerEncoder(layer, num_layers=2, norm=final, enable_nested_tensor=False)
    return nn.ModuleDict({"enc": enc, "head": nn.Linear(d_model, 5)})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("causal", ["mask", "mask+is_causal", "none"])
def test_transformer_encoder_masks(norm_first, dtype, causal):
    torch.manual_seed(1)
    tm = encoder(torch, norm_first).to(getattr(torch, dtype))
    em = encoder(ember, norm_first).to(getattr(ember, dtype))
    assert list(em.state_dict()) == list(tm.state_dict())
    _load_from_torch(em, tm)
    rng = np.random.default_rng(1)
    B, S = 3, 6
    x = rng.standard_normal((B, S, 16)).astype(dtype)
    lengths = np.array([6, 4, 2])
    pad = np.arange(S)[None, :] >= lengths[:, None]  # True where padded
    targets = rng.integers(0, 5, (B, S))
    targets[pad] = -100  # padded positions take no loss
    results = []
    for lib, m in ((torch, tm), (ember, em)):
        xs = lib.from_numpy(x.copy()).requires_grad_()
        kw = {"src_key_padding_mask": lib.from_numpy(pad)}
        if causal != "none":
            kw["mask"] = lib.nn.Transformer.generate_square_subsequent_mask(
                S, dtype=getattr(lib, dtype))  # fmt: skip
            kw["is_causal"] = causal == "mask+is_causal"
        out = m["enc"](xs, **kw)
        logits = m["head"](out)
        loss = lib.nn.functional.cross_entropy(
            logits.reshape(-1, 5), lib.from_numpy(targets.reshape(-1))
        )
        loss.backward()
        results.append((out, loss, xs.grad))
    tol = TOL[dtype]
    keep = ~pad  # padded query rows are unconstrained by the loss; compare the real ones
    _close(results[1][0][ember.from_numpy(keep)], results[0][0][torch.from_numpy(keep)], tol,
           "encoder output")  # fmt: skip
    _close(results[1][1], results[0][1], tol, "loss")
    _close(results[1][2], results[0][2], tol, "input grad")
    _compare_grads(tm, em, tol)


# -- errors for badly shaped inputs ---------------------------------------------------------------
def _errors(fn):
    out = []
    for lib in (torch, ember):
        torch.manual_seed(0)
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append(info)
    assert out[0].type is out[1].type, (out[0].value, out[1].value)
    return [str(i.value) for i in out]


ERRORS = {
    "conv2d_5d": (
        lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.zeros(1, 3, 5, 5, 5)),
        ["Expected 3D (unbatched) or 4D (batched) input to conv2d", "[1, 3, 5, 5, 5]"],
    ),
    "conv2d_channels": (
        lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.zeros(1, 2, 5, 5)),
        ["expected input[1, 2, 5, 5] to have 3 channels", "but got 2 channels"],
    ),
    "conv1d_channels_unbatched": (
        lambda lib: lib.nn.Conv1d(3, 4, 3)(lib.zeros(2, 5)),
        ["to have 3 channels"],
    ),
    # the type matches; the message is ember's own (its text lives in ember/ops/conv.py)
    "conv_kernel_too_big": (lambda lib: lib.nn.Conv2d(1, 1, 5)(lib.zeros(1, 1, 3, 3)), []),
    "batchnorm2d_2d": (
        lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(4, 3)),
        ["expected 4D input (got 2D input)"],
    ),
    "batchnorm1d_features": (
        lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(4, 5)),
        ["running_mean should contain 5 elements not 3"],
    ),
    "linear_features": (
        lambda lib: lib.nn.Linear(4, 2)(lib.zeros(3, 5)),
        ["mat1 and mat2 shapes cannot be multiplied (3x5 and 4x2)"],
    ),
    "lstm_input_size": (
        lambda lib: lib.nn.LSTM(4, 3)(lib.zeros(5, 2, 6)),
        ["input.size(-1) must be equal to input_size. Expected 4, got 6"],
    ),
    "lstm_4d": (
        lambda lib: lib.nn.LSTM(4, 3)(lib.zeros(5, 2, 1, 4)),
        ["LSTM: Expected input to be 2D or 3D, got 4D"],
    ),
    "embedding_index": (
        lambda lib: lib.nn.Embedding(5, 2)(lib.tensor([1, 5])),
        ["index out of range in self"],
    ),
    "encoder_d_model": (
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)(lib.zeros(2, 3, 6)),
        [],
    ),
    "pack_lengths": (
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(3, 2, 1), [3, 1, 1]),
        ["Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=2)"],
    ),
    "embedding_negative": (
        lambda lib: lib.nn.Embedding(5, 2)(lib.tensor([[1, -1]])),
        ["index out of range in self"],
    ),
    "batchnorm_weight": (
        lambda lib: lib.nn.functional.batch_norm(
            lib.zeros(4, 5), lib.zeros(5), lib.ones(5), weight=lib.ones(3)
        ),
        ["weight should contain 5 elements not 3"],
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_parity(case):
    fn, fragments = ERRORS[case]
    t, e = _errors(fn)
    for frag in fragments:
        assert frag in t, (frag, t)
        assert frag in e.replace("ember", "torch"), (frag, e)
