"""ember.nn.functional distances (as torch.nn.functional)."""

from __future__ import annotations

import ember

__all__ = ["pairwise_distance", "cosine_similarity", "pdist"]


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dim.

    >>> F.pairwise_distance(ember.tensor([[3.0, 0.0]]), ember.tensor([[0.0, 4.0]]), eps=0)
    tensor([5.])
    """
    nd = max(x1.ndim, x2.ndim)
    return ember.linalg.vector_norm(x1 - x2 + eps, p, dim=-1 if nd else None, keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / max(||x1|| ||x2||, eps)`` along ``dim``."""
    n1 = ember.linalg.vector_norm(x1, dim=dim, keepdim=True).clamp(min=eps)
    n2 = ember.linalg.vector_norm(x2, dim=dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input, p=2):
    """p-norm distances between the rows of an (N, M) input, upper triangle as a vector."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = ember.triu_indices(n, n, 1)
    return ember.linalg.vector_norm(input[i] - input[j], p, dim=-1)
