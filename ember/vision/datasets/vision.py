"""The base of the datasets: root, transforms, and torchvision's printed form."""

from __future__ import annotations

import os
from typing import Any, Callable

from ember.utils.data import Dataset


class StandardTransform:
    """``(transform(input), target_transform(target))``, as the pair a dataset applies."""

    def __init__(
        self, transform: Callable | None = None, target_transform: Callable | None = None
    ) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format(self, transform, head: str) -> list[str]:
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """A map-style dataset with a ``root`` folder, an input ``transform`` and a
    ``target_transform`` (or one ``transforms`` taking and returning both)."""

    _repr_indent = 4

    def __init__(
        self,
        root=None,
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError(
                "Only transforms or transform/target_transform can be passed as argument"
            )
        self.transform = transform
        self.target_transform = target_transform
        if separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += [repr(self.transforms)]
        lines = ["Dataset " + type(self).__name__] + [" " * self._repr_indent + b for b in body]
        return "\n".join(lines)


def _to_image(arr, mode: str):
    """A PIL image of ``arr`` where Pillow is installed, else the array itself."""
    try:
        from ember.vision.transforms.functional import _pil_fromarray

        return _pil_fromarray(arr, mode)
    except ImportError:
        return arr
