"""ember.nn.functional embedding, embedding_bag, one_hot (as torch.nn.functional)."""

from __future__ import annotations

import ember

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _renorm(weight, input, max_norm, norm_type):
    """Rows of ``weight`` used by ``input`` rescaled in place to norm at most ``max_norm``."""
    with ember.no_grad():
        rows = ember.unique(input.reshape(-1))
        w = weight[rows]
        norms = ember.linalg.vector_norm(w, norm_type, dim=-1, keepdim=True)
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), ember.ones_like(norms))
        weight[rows] = w * scale


def _scale_grad_by_freq(weight, indices):
    """``weight`` with the same value whose row r passes back its gradient divided by how many
    times r occurs in ``indices`` (torch's ``scale_grad_by_freq``)."""
    if not weight.requires_grad:
        return weight
    counts = ember.bincount(indices.reshape(-1).long(), minlength=weight.shape[0])
    scale = (1.0 / counts.clamp(min=1).to(weight.dtype)).unsqueeze(-1)
    scaled = weight * scale
    return weight.detach() + (scaled - scaled.detach())


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):  # fmt: skip
    """Rows of ``weight`` at the indices ``input``; the ``padding_idx`` row gets no gradient.

    >>> F.embedding(ember.tensor([1]), ember.eye(2))
    tensor([[0., 1.]])
    """
    if input.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)"
        )
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    if input.numel() and not (0 <= int(input.min()) and int(input.max()) < weight.shape[0]):
        raise IndexError("index out of range in self")  # NumPy would wrap negatives
    if max_norm is not None:
        _renorm(weight, input, max_norm, norm_type)
    out = (_scale_grad_by_freq(weight, input) if scale_grad_by_freq else weight)[input]
    if padding_idx is not None and weight.requires_grad:
        # the forward value is unchanged; only the gradient of the padding row is cut
        out = ember.where((input != padding_idx).unsqueeze(-1), out, out.detach())
    return out


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):  # fmt: skip
    """Sums, means or maxes of bags of embeddings; bags are rows of a 2-D ``input`` or runs
    of a 1-D ``input`` starting at ``offsets``."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        b, n = input.shape
        offsets = ember.arange(0, b * n, n)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if max_norm is not None:
        _renorm(weight, input, max_norm, norm_type)
    starts = [int(o) for o in offsets]
    total = input.shape[0]
    if include_last_offset:
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = starts[1:] + [total]
    rows = embedding(input, weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(-1)
    keep = None if padding_idx is None else (input != padding_idx)
    bags = []
    for s, e in zip(starts, ends):
        r = rows[s:e]
        k = None if keep is None else keep[s:e]
        if k is not None:
            r = r[k]
        if r.shape[0] == 0:
            bags.append(ember.zeros(weight.shape[1], dtype=weight.dtype))
        elif mode == "sum":
            bags.append(r.sum(0))
        elif mode == "mean":
            bags.append(r.mean(0))
        else:
            bags.append(r.amax(0))
    if not bags:
        return ember.zeros((0, weight.shape[1]), dtype=weight.dtype)
    return ember.stack(bags)


def one_hot(tensor, num_classes=-1):
    """``(…, num_classes)`` int64 tensor with a 1 at each index.

    >>> F.one_hot(ember.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype != ember.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    return (tensor.unsqueeze(-1) == ember.arange(num_classes)).to(ember.int64)
