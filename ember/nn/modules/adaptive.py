"""Adaptive softmax (as ``torch.nn.AdaptiveLogSoftmaxWithLoss``), Grave et al. 2016.

Frequent classes (the "shortlist", below ``cutoffs[0]``) get a slot each in the head; every
other class lives in a tail cluster, which has one slot in the head and its own small
projection. ``log p(c) = log p_head(cluster) + log p_cluster(c)``.

>>> asm = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4])
>>> out = asm(ember.randn(3, 8), ember.tensor([0, 5, 9]))
>>> out.output.shape, out.loss.shape
(ember.Size([3]), ember.Size([]))
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import ember

from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Log-probabilities of the targets and their mean negative (``_ASMoutput(output, loss)``)
    under an adaptive softmax; ``log_prob`` gives the full distribution, ``predict`` the argmax.

    Tail cluster ``i`` projects ``in_features -> in_features // div_value**(i+1) -> size``.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs)
                or any(int(c) != c for c in cutoffs)):  # fmt: skip
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **kw),
                                        Linear(hidden, size, bias=False, **kw)))  # fmt: skip

    def reset_parameters(self) -> None:
        """Re-initialize every projection as at construction."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        """``_ASMoutput(output, loss)``: ``output[i] = log p(target[i] | input[i])`` and
        ``loss = -output.mean()``. Takes ``(N, in_features)`` with ``(N,)`` targets, or one
        unbatched ``(in_features,)`` sample with a 0-d target."""
        if target_.dim() == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError(
                    "Input and target should have the same size in the batch dimension."
                )
            if input_.dim() != 2:
                raise RuntimeError(
                    "1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{input_.size()}"
                )
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError(
                    "0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{input_.size()}"
                )
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)

        batch = target.size(0)
        output = input.new_zeros(batch)  # log p within the cluster (0 for the shortlist)
        head_index = target.new_empty(batch)  # the head slot of each target
        used = 0
        bounds = [0] + self.cutoffs
        for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            mask = (target >= lo) & (target < hi)
            rows = mask.nonzero().squeeze()
            if rows.numel() == 0:
                continue
            if i == 0:
                head_index.index_copy_(0, rows, target[mask])
            else:
                logits = self.tail[i - 1](input.index_select(0, rows))
                local = F.log_softmax(logits, dim=1).gather(1, (target[mask] - lo).unsqueeze(1))
                head_index.index_fill_(0, rows, self.shortlist_size + i - 1)
                output.index_copy_(0, rows, local.squeeze(1))
            used += rows.numel()
        if used != batch:
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{target.min().item()}, {target.max().item()}] were found. "
            )
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, head_index.unsqueeze(1)).squeeze()
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """``(N, n_classes)`` log-probabilities from the input and the head's logits."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of every class: ``(N, in_features) -> (N, n_classes)``."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most likely class of each row (``log_prob(input).argmax(1)``, computing the tail
        clusters only for rows whose head argmax is a cluster)."""
        head_output = self.head(input)
        output = ember.argmax(head_output, dim=1)
        in_tail = output >= self.shortlist_size
        if not in_tail.any():
            return output
        if in_tail.all():
            return ember.argmax(self._get_full_log_prob(input, head_output), dim=1)
        log_prob = self._get_full_log_prob(input[in_tail], head_output[in_tail])
        output[in_tail] = ember.argmax(log_prob, dim=1)
        return output
