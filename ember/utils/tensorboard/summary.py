"""Summary protocol buffers from tensors: one function per kind of TensorBoard data.

Each returns a ``Summary`` proto (tensorboard's ``summary_pb2``) that a ``FileWriter`` frames
into an event file. Values arrive as ember tensors, NumPy arrays or Python numbers.
"""

from __future__ import annotations

import io

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

__all__ = [
    "make_np",
    "scalar",
    "histogram",
    "histogram_raw",
    "make_histogram",
    "image",
    "make_grid",
    "convert_to_HWC",
    "figure_to_image",
    "text",
    "hparams",
    "pr_curve",
    "pr_curve_raw",
    "compute_curve",
    "custom_scalars",
    "tensor_proto",
]


def make_np(x) -> np.ndarray:
    """An ndarray from an ember tensor (detached, on the CPU), an array or a Python number."""
    from ..._tensor import Tensor

    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, (int, float, np.integer, np.floating)):
        return np.array([x])
    if hasattr(x, "detach"):  # another framework's tensor (torch) in a mixed program
        x = x.detach().cpu()
    return np.asarray(x)


def _plugin(name: str, content: bytes = b"") -> SummaryMetadata:
    return SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name=name, content=content)
    )


def _shape(*dims: int) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in dims])


def scalar(name, value, new_style=False, double_precision=False) -> Summary:
    """One number: ``simple_value`` (old style) or a float/double tensor for the scalars
    plugin (``new_style``)."""
    arr = make_np(value).squeeze()
    if arr.ndim != 0:
        raise AssertionError(
            f"Tensor should contain one element (0 dimensions). Was given size: {arr.size} "
            f"and {arr.ndim} dimensions."
        )
    v = float(arr)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=v)])
    proto = (
        TensorProto(double_val=[v], dtype="DT_DOUBLE")
        if double_precision
        else TensorProto(float_val=[v], dtype="DT_FLOAT")
    )
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=_plugin("scalars"))])


def tensor_proto(tag, value) -> Summary:
    """A whole tensor (float32/float64/int/bool) for the tensor plugin."""
    arr = make_np(value)
    fields = {
        np.float32: ("DT_FLOAT", "float_val"),
        np.float64: ("DT_DOUBLE", "double_val"),
        np.int32: ("DT_INT32", "int_val"),
        np.int64: ("DT_INT64", "int64_val"),
        np.bool_: ("DT_BOOL", "bool_val"),
    }
    if arr.dtype.type not in fields:
        raise ValueError(f"{tag} has unsupported tensor dtype {arr.dtype}")
    dtype, field = fields[arr.dtype.type]
    proto = TensorProto(
        dtype=dtype, tensor_shape=_shape(*arr.shape), **{field: arr.reshape(-1).tolist()}
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin("tensor"), tensor=proto)])


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram whose buckets the caller computed."""
    hist = HistogramProto(
        min=min,
        max=max,
        num=num,
        sum=sum,
        sum_squares=sum_squares,
        bucket_limit=bucket_limits,
        bucket=bucket_counts,
    )
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name, values, bins, max_bins=None) -> Summary:
    """A histogram of ``values`` (any shape) with NumPy's ``bins``."""
    hist = make_histogram(make_np(values).astype(float), bins, max_bins)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def make_histogram(values: np.ndarray, bins, max_bins=None) -> HistogramProto:
    """Bucket ``values``; keep only the buckets between the first and the last non-empty one
    (TensorBoard stores right edges, so one empty bucket on the left carries the left edge)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        pad = -len(counts) % group
        counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    nonzero = np.flatnonzero(counts)
    start, end = int(nonzero[0]) if nonzero.size else 0, int(nonzero[-1]) + 1 if nonzero.size else 0
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """N1HW or N3HW images tiled into one 3HW canvas, ``ncols`` per row."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h : (y + 1) * h, x * w : (x + 1) * w] = images[i]
    return canvas


def convert_to_HWC(arr: np.ndarray, dataformats: str) -> np.ndarray:
    """Any of NCHW/CHW/HWC/HW (letters in any order) to an HWC image with 3 or 4 channels."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(
            f"You can not use the same dimension shorthand twice. input_format: {dataformats}"
        )
    if arr.ndim != len(dataformats):
        raise AssertionError(
            f"size of input tensor and input format are different. tensor shape: "
            f"{arr.shape}, input_format: {dataformats}"
        )
    fmt = dataformats.upper()
    if len(fmt) == 4:
        return make_grid(arr.transpose([fmt.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    hw = arr.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw] * 3, 2)


def _png(hwc_uint8: np.ndarray, rescale=1) -> Summary.Image:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "add_image needs Pillow (in the 'tensorboard' extra): pip install 'ember[tensorboard]'"
        ) from e
    height, width, channels = hwc_uint8.shape
    img = Image.fromarray(hwc_uint8)
    img = img.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=buf.getvalue()
    )


def image(tag, img, rescale=1, dataformats="NCHW") -> Summary:
    """A PNG image; floats are taken in [0, 1] and scaled by 255, uint8 as they are."""
    arr = convert_to_HWC(make_np(img), dataformats)
    scale = 1 if arr.dtype == np.uint8 else 255
    arr = (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=_png(arr, rescale))])


def figure_to_image(figures, close=True) -> np.ndarray:
    """Matplotlib figure(s) rendered to CHW (or NCHW for a list) uint8 arrays."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render(fig):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        w, h = fig.canvas.get_width_height()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(h, w, 4)
        if close:
            plt.close(fig)
        return np.moveaxis(rgba[:, :, :3], 2, 0)

    return np.stack([render(f) for f in figures]) if isinstance(figures, list) else render(figures)


def text(tag, text_string: str) -> Summary:
    """Markdown text for the text plugin (tag gets the ``/text_summary`` suffix)."""
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

    meta = _plugin("text", TextPluginData(version=0).SerializeToString())
    proto = TensorProto(
        dtype="DT_STRING", string_val=[text_string.encode("utf_8")], tensor_shape=_shape(1)
    )
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=proto)])


def _hparam_value(ssi, k, v, discrete):
    """Set hyperparameter ``k`` in the session start info; its HParamInfo."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams.api_pb2 import DataType, HParamInfo

    # bools are ints: torch logs them as numbers, and so do we (same files)
    if isinstance(v, (int, float)):
        field, kind = "number_value", "DATA_TYPE_FLOAT64"
    elif isinstance(v, str):
        field, kind = "string_value", "DATA_TYPE_STRING"
    elif hasattr(v, "detach") or isinstance(v, np.ndarray):
        ssi.hparams[k].number_value = float(make_np(v).reshape(-1)[0])
        return HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64"))
    else:
        raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    setattr(ssi.hparams[k], field, v)
    domain = None
    if k in discrete:
        domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d}) for d in discrete[k]])
    return HParamInfo(name=k, type=DataType.Value(kind), domain_discrete=domain)


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries of the hparams plugin: experiment, session start, session end."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.api_pb2 import Experiment, MetricInfo, MetricName, Status
    from tensorboard.plugins.hparams.plugin_data_pb2 import (
        HParamsPluginData,
        SessionEndInfo,
        SessionStartInfo,
    )

    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    discrete = hparam_domain_discrete or {}
    if not isinstance(discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in discrete.items():
        if (
            k not in hparam_dict
            or not isinstance(v, list)
            or not all(isinstance(d, type(hparam_dict[k])) for d in v)
        ):
            raise TypeError(
                f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                f"hparam_dict[{k}]."
            )
    ssi = SessionStartInfo()
    infos = [_hparam_value(ssi, k, v, discrete) for k, v in hparam_dict.items() if v is not None]
    experiment = Experiment(
        hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict]
    )
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))

    def summary(tag, **content):
        data = HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **content)
        meta = _plugin(metadata.PLUGIN_NAME, data.SerializeToString())
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    return (
        summary(metadata.EXPERIMENT_TAG, experiment=experiment),
        summary(metadata.SESSION_START_INFO_TAG, session_start_info=ssi),
        summary(metadata.SESSION_END_INFO_TAG, session_end_info=end),
    )


def compute_curve(labels, predictions, num_thresholds=None, weights=None) -> np.ndarray:
    """Rows tp, fp, tn, fn, precision, recall at ``num_thresholds`` evenly spaced thresholds."""
    weights = 1.0 if weights is None else weights
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    pos = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_b, _ = np.histogram(buckets, bins=num_thresholds, range=span, weights=pos * weights)
    fp_b, _ = np.histogram(buckets, bins=num_thresholds, range=span, weights=(1 - pos) * weights)
    tp, fp = np.cumsum(tp_b[::-1])[::-1], np.cumsum(fp_b[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A precision-recall curve from counts the caller computed (6 x num_thresholds)."""
    from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData

    num_thresholds = min(num_thresholds, 127)  # the plugin's proto field limit, as torch
    data = np.stack([make_np(v) for v in (tp, fp, tn, fn, precision, recall)])
    meta = _plugin(
        "pr_curves", PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    )
    proto = TensorProto(
        dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(), tensor_shape=_shape(*data.shape)
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=proto)])


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None) -> Summary:
    """A precision-recall curve of binary ``labels`` against ``predictions`` in [0, 1]."""
    num_thresholds = min(num_thresholds, 127)
    data = compute_curve(make_np(labels), make_np(predictions), num_thresholds, weights)
    return pr_curve_raw(tag, *data, num_thresholds=num_thresholds)


def custom_scalars(layout: dict) -> Summary:
    """The custom-scalars layout: ``{category: {title: ["Multiline"|"Margin", tags]}}``."""
    from tensorboard.plugins.custom_scalar import layout_pb2

    categories = []
    for category, charts in layout.items():
        protos = []
        for title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(
                    value=tags[0], lower=tags[1], upper=tags[2]
                )
                chart = layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])
                )
            else:
                chart = layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)
                )
            protos.append(chart)
        categories.append(layout_pb2.Category(title=category, chart=protos))
    proto = TensorProto(
        dtype="DT_STRING",
        string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
        tensor_shape=TensorShapeProto(),
    )
    value = Summary.Value(
        tag="custom_scalars__config__", tensor=proto, metadata=_plugin("custom_scalars")
    )
    return Summary(value=[value])
