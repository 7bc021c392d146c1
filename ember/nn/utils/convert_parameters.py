"""Parameters to one flat vector and back (as ``torch.nn.utils.convert_parameters``).

>>> m = ember.nn.Linear(2, 3)
>>> ember.nn.utils.parameters_to_vector(m.parameters()).shape
ember.Size([9])
"""

from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated (differentiable)."""
    import ember

    return ember.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' data."""
    if not isinstance(vec, Tensor):
        from ..modules.module import _typename

        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer : pointer + n].view_as(p).data
        pointer += n
