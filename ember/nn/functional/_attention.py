"""Attention (as ``torch.nn.functional.scaled_dot_product_attention`` and
``multi_head_attention_forward``), written from ember ops so autograd comes for free.

>>> q = ember.ones(2, 3, 4)
>>> F.scaled_dot_product_attention(q, q, q).shape
ember.Size([2, 3, 4])
"""

from __future__ import annotations

import math

import ember

from ._activation import softmax
from ._dropout import dropout
from ._linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):  # fmt: skip
    """``softmax(q @ k^T * scale + mask) @ v`` over the last two dims; a bool mask marks the
    positions that may be attended (True), a float mask is added to the scores.

    >>> q = ember.ones(1, 2, 4)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    ember.Size([1, 2, 4])
    """
    L, S = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set "
                "when is_causal=True"
            )
        attn_mask = ember.ones(L, S, dtype=ember.bool).tril()
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, dim=-3)
        value = value.repeat_interleave(rep, dim=-3)
    scores = ember.matmul(query, key.transpose(-2, -1)) * scale
    if attn_mask is not None:
        if attn_mask.dtype == ember.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ember.matmul(weights, value)


def _float_mask(mask, dtype):
    # torch's _canonical_mask: a bool mask (True = masked out) becomes -inf/0 added to scores
    if mask is None or mask.dtype != ember.bool:
        return mask
    return ember.zeros(mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Multi-head attention over ``(L, N, E)`` inputs (or unbatched ``(L, E)``), as torch's; returns
    ``(output, weights or None)``. Bool masks mark positions NOT to attend (True)."""
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    head_dim = embed_dim // num_heads
    dtype = query.dtype
    # as torch: without weights or a padding mask the causal hint replaces the mask itself
    causal = is_causal and key_padding_mask is None and not need_weights
    attn_mask = None if causal else _float_mask(attn_mask, dtype)
    key_padding_mask = _float_mask(key_padding_mask, dtype)
    if use_separate_proj_weight:
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)
    else:
        wq, wk, wv = in_proj_weight.chunk(3)
        bq, bk, bv = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
        q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    if attn_mask is not None and attn_mask.ndim == 2:
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = ember.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ember.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = _pad1(attn_mask)
        key_padding_mask = _pad1(key_padding_mask)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (static_k if static_k is not None else
         k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1))  # fmt: skip
    v = (static_v if static_v is not None else
         v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1))  # fmt: skip
    if add_zero_attn:
        zeros = ember.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype)
        k, v = ember.cat([k, zeros], dim=1), ember.cat([v, zeros], dim=1)
        attn_mask = _pad1(attn_mask)
        key_padding_mask = _pad1(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scores = ember.matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    if causal:
        keep = ember.ones(tgt_len, src_len, dtype=ember.bool).tril()
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, p=dropout_p)
    out = ember.matmul(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, out.shape[1])
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights


def _pad1(mask):
    # one more key column (bias_k or the zero attention), never masked
    if mask is None:
        return None
    return ember.cat([mask, ember.zeros(mask.shape[:-1] + (1,), dtype=mask.dtype)], dim=-1)
