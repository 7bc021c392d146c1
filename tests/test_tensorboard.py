"""SummaryWriter against torch.utils.tensorboard: the same calls through both writers, read back
with tensorboard's EventAccumulator; the event files' framing checked by a parser written here
(TFRecord: length, masked CRC-32C of the length, data, masked CRC-32C of the data)."""

import glob
import os
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto.event_pb2 import Event
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import ember
from ember.utils.tensorboard import SummaryWriter

# -- an independent reader of the framing ----------------------------------------------------

_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_crc32c_reference_vector():
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value of CRC-32C


def read_records(path):
    """Every record of a TFRecord file, each CRC verified."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        assert len_crc == masked(crc32c(header)), "length CRC mismatch"
        body = data[pos + 12 : pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length : pos + 16 + length])
        assert body_crc == masked(crc32c(body)), "data CRC mismatch"
        out.append(Event.FromString(body))
        pos += 16 + length
    return out


def event_files(folder):
    return sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*")))


# -- helpers ---------------------------------------------------------------------------------


def both(tmp_path, fn, **kwargs):
    """Run fn(writer, lib) with ember's and torch's writers; the two log folders."""
    dirs = []
    for lib, W in (("ember", SummaryWriter), ("torch", TorchWriter)):
        d = str(tmp_path / lib)
        with W(d, **kwargs) as w:
            fn(w, ember if lib == "ember" else torch)
        dirs.append(d)
    return dirs


def accumulate(folder):
    acc = EventAccumulator(folder, size_guidance={"images": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def summaries(folder):
    """(step, tag, value-proto-without-walltime) of every summary value, in file order."""
    out = []
    for path in event_files(folder):
        for ev in read_records(path):
            if ev.HasField("summary"):
                for v in ev.summary.value:
                    out.append((ev.step, v.tag, v.SerializeToString()))
    assert out, f"no summaries under {folder}"
    return out


# -- scalars ---------------------------------------------------------------------------------


@pytest.mark.parametrize("new_style,double", [(False, False), (True, False), (True, True)])
def test_add_scalar_same_records_as_torch(tmp_path, new_style, double):
    def log(w, lib):
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step, new_style=new_style,
                         double_precision=double)  # fmt: skip
        w.add_scalar("t", lib.tensor(2.5), 7, new_style=new_style)
        w.add_scalar("np", np.float32(0.25), 8, new_style=new_style)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    acc = accumulate(e)
    if not new_style:
        assert [s.value for s in acc.Scalars("loss")] == pytest.approx(
            [1.0 / (i + 1) for i in range(5)], rel=1e-6
        )


def test_add_scalar_rejects_non_scalars_like_torch(tmp_path):
    for W, lib in ((SummaryWriter, ember), (TorchWriter, torch)):
        with W(str(tmp_path / lib.__name__)) as w:
            with pytest.raises(AssertionError, match="one element"):
                w.add_scalar("x", lib.ones(3))


def test_add_scalars_writes_sub_runs(tmp_path):
    def log(w, lib):
        for step in range(3):
            w.add_scalars("run/acc", {"train": step * 0.1, "val": step * 0.2}, step, walltime=1.0)

    e, t = both(tmp_path, log)
    for name in ("run_acc_train", "run_acc_val"):
        assert summaries(os.path.join(e, name)) == summaries(os.path.join(t, name))
    assert [s.value for s in accumulate(os.path.join(e, "run_acc_val")).Scalars("run/acc")] == (
        pytest.approx([0.0, 0.2, 0.4])
    )


# -- histograms, tensors ---------------------------------------------------------------------


@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), (10, None), ("auto", 4)])
def test_add_histogram_same_as_torch(tmp_path, bins, max_bins):
    values = np.random.default_rng(0).standard_normal(1000).astype(np.float32)

    def log(w, lib):
        w.add_histogram("w", lib.tensor(values), 3, bins=bins, max_bins=max_bins)
        w.add_histogram("np", values * 2, 4, bins=bins, max_bins=max_bins)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    h = accumulate(e).Histograms("w")[0].histogram_value
    assert h.num == 1000 and h.min == pytest.approx(values.min())


def test_add_histogram_raw_and_errors(tmp_path):
    def log(w, lib):
        w.add_histogram_raw("raw", 0.0, 3.0, 6, 9.0, 21.0, [1.0, 2.0, 3.0], [2, 2, 2], 1)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    for W in (SummaryWriter, TorchWriter):
        with W(str(tmp_path / "err")) as w:
            with pytest.raises(ValueError, match="bucket_limits"):
                w.add_histogram_raw("raw", 0, 1, 1, 1, 1, [1.0, 2.0], [1], 0)
            with pytest.raises(ValueError, match="no element"):
                w.add_histogram("empty", np.zeros(0), 0)


def test_add_tensor_same_as_torch(tmp_path):
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)

    def log(w, lib):
        w.add_tensor("t", lib.tensor(arr), 2)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)


# -- images, figures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,fmt,dtype",
    [((3, 8, 6), "CHW", np.float32), ((8, 6, 3), "HWC", np.float32), ((8, 6), "HW", np.float32),
     ((1, 8, 6), "CHW", np.uint8), ((8, 6, 4), "HWC", np.uint8)],
)  # fmt: skip
def test_add_image_same_png_as_torch(tmp_path, shape, fmt, dtype):
    rng = np.random.default_rng(1)
    arr = rng.random(shape).astype(np.float32)
    if dtype == np.uint8:
        arr = (arr * 255).astype(np.uint8)

    def log(w, lib):
        w.add_image("img", lib.tensor(arr) if dtype != np.uint8 else arr, 0, dataformats=fmt)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    img = accumulate(e).Images("img")[0]
    assert (img.height, img.width) == (8, 6)


def test_add_images_grid_same_as_torch(tmp_path):
    batch = np.random.default_rng(2).random((10, 1, 5, 4)).astype(np.float32)

    def log(w, lib):
        w.add_images("grid", lib.tensor(batch), 1)
        w.add_images("nhwc", batch.transpose(0, 2, 3, 1), 2, dataformats="NHWC")

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    img = accumulate(e).Images("grid")[0]
    assert (img.width, img.height) == (8 * 4, 2 * 5)  # 8 per row, 2 rows


def test_add_image_format_errors_like_torch(tmp_path):
    for W in (SummaryWriter, TorchWriter):
        with W(str(tmp_path / "err")) as w:
            with pytest.raises(AssertionError, match="same dimension shorthand"):
                w.add_image("x", np.zeros((3, 4, 4)), dataformats="CCW")
            with pytest.raises(AssertionError, match="size of input tensor"):
                w.add_image("x", np.zeros((3, 4)), dataformats="CHW")


def test_add_figure_same_as_torch(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def fig():
        f = plt.figure(figsize=(2, 1.5), dpi=40)
        plt.plot([0, 1, 2], [2, 0, 1])
        return f

    def log(w, lib):
        w.add_figure("fig", fig(), 0)
        w.add_figure("figs", [fig(), fig()], 1)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    assert plt.get_fignums() == []  # closed after logging


# -- text, hparams, pr curves, custom scalars, embeddings ------------------------------------


def test_add_text_same_as_torch(tmp_path):
    def log(w, lib):
        w.add_text("notes", "**lr** = 0.1, ünïcode", 0)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    tensors = accumulate(e).Tensors("notes/text_summary")
    assert tensors[0].tensor_proto.string_val[0].decode() == "**lr** = 0.1, ünïcode"


@pytest.mark.parametrize("discrete", [None, {"opt": ["sgd", "adam"], "lr": [0.1, 0.01]}])
def test_add_hparams_same_as_torch(tmp_path, discrete):
    hp = {"lr": 0.1, "opt": "sgd", "bs": 32, "flag": True, "skip": None}

    def log(w, lib):
        w.add_hparams(hp, {"hparam/acc": 0.9}, hparam_domain_discrete=discrete, run_name="r")

    e, t = both(tmp_path, log)
    assert summaries(os.path.join(e, "r")) == summaries(os.path.join(t, "r"))


def test_add_hparams_errors_like_torch(tmp_path):
    for W in (SummaryWriter, TorchWriter):
        with W(str(tmp_path / "err")) as w:
            with pytest.raises(TypeError, match="should be dictionary"):
                w.add_hparams([("lr", 1)], {})
            with pytest.raises(TypeError, match="should be a list of same type"):
                w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": ["a"]})
            with pytest.raises(ValueError, match="value should be one of"):
                w.add_hparams({"lr": [1]}, {})


def test_add_pr_curve_same_as_torch(tmp_path):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 100)
    preds = rng.random(100).astype(np.float32)

    def log(w, lib):
        w.add_pr_curve("pr", lib.tensor(labels), lib.tensor(preds), 0)
        w.add_pr_curve("pr200", labels, preds, 1, num_thresholds=200, weights=0.5)
        w.add_pr_curve_raw("raw", *[np.arange(5, dtype=np.float32)] * 6, 2, num_thresholds=5)

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)


def test_add_custom_scalars_same_as_torch(tmp_path):
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]]}}  # fmt: skip

    def log(w, lib):
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["a", "b", "c"])

    e, t = both(tmp_path, log)
    assert summaries(e) == summaries(t)
    for W in (SummaryWriter, TorchWriter):
        with W(str(tmp_path / "err")) as w, pytest.raises(AssertionError):
            w.add_custom_scalars_marginchart(["a", "b"])


def test_add_embedding_same_files_as_torch(tmp_path):
    rng = np.random.default_rng(4)
    mat = rng.standard_normal((6, 3)).astype(np.float32)
    imgs = rng.random((6, 1, 4, 4)).astype(np.float32)

    def log(w, lib):
        w.add_embedding(lib.tensor(mat), metadata=list("abcdef"), label_img=lib.tensor(imgs),
                        global_step=3, tag="my/emb")  # fmt: skip
        w.add_embedding(mat, metadata=[[1, "x"]] * 6, metadata_header=["n", "s"], tag="two")

    e, t = both(tmp_path, log)
    names = sorted(
        os.path.relpath(p, e) for p in glob.glob(os.path.join(e, "**", "*"), recursive=True)
        if os.path.isfile(p) and "tfevents" not in p
    )  # fmt: skip
    assert "projector_config.pbtxt" in names and len(names) == 6
    for name in names:
        with open(os.path.join(e, name), "rb") as a, open(os.path.join(t, name), "rb") as b:
            assert a.read() == b.read(), name


# -- the writer itself -----------------------------------------------------------------------


def test_default_log_dir_comment_suffix_and_purge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".x")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_lr0.1")
    w.add_scalar("a", 1.0, 0)
    w.close()
    files = event_files(w.get_logdir())
    assert len(files) == 1 and files[0].endswith(".x")
    with SummaryWriter(str(tmp_path / "p"), purge_step=5) as w2:
        w2.add_scalar("a", 1.0, 6)
    evs = read_records(event_files(str(tmp_path / "p"))[0])
    assert evs[0].file_version == "brain.Event:2"
    assert [e.step for e in evs[1:3]] == [5, 5] and evs[2].session_log.status == 1


def test_close_then_add_reopens_new_file_and_flush(tmp_path):
    d = str(tmp_path / "r")
    w = SummaryWriter(d, flush_secs=10**6, max_queue=1000)
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert len(read_records(event_files(d)[0])) == 2  # file_version + the scalar
    w.close()
    w.close()  # a second close is a no-op, as torch's
    w.add_scalar("a", 2.0, 1)
    w.close()
    assert len(event_files(d)) >= 1
    acc = accumulate(d)
    assert [s.value for s in acc.Scalars("a")] == [1.0, 2.0]


def test_missing_extra_names_it(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['tensorboard'] = None\n"
        "try:\n    import ember.utils.tensorboard\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ember[tensorboard]" in out.stdout
