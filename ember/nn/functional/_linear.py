"""``F.linear`` and ``F.bilinear`` written from existing ops (as ``torch.nn.functional``)."""

from __future__ import annotations

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    >>> ember.nn.functional.linear(ember.ones(1, 2), ember.ones(3, 2))
    tensor([[2., 2., 2.]])
    """
    import ember

    if bias is None:
        return ember.matmul(input, weight.t())
    if input.ndim == 2:
        return ember.addmm(bias, input, weight.t())
    # torch folds the batch dimensions into one addmm and views the result back
    flat = input.reshape(-1, input.shape[-1]) if input.ndim else input
    out = ember.addmm(bias, flat, weight.t())
    return out.view(*input.shape[:-1], weight.shape[0])


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.

    >>> ember.nn.functional.bilinear(ember.ones(1, 2), ember.ones(1, 3), ember.ones(4, 2, 3))
    tensor([[6., 6., 6., 6.]])
    """
    import ember

    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match: got {input1.shape[i]} and "
                f"{input2.shape[i]}"
            )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
            f"expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
            f"expected {weight.shape[2]}"
        )
    out = ember.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
