"""Layouts and memory formats: the objects torch passes around (``ember.strided``,
``ember.channels_last``). ember stores every tensor strided; the formats name stride orders."""

from __future__ import annotations

__all__ = ["layout", "memory_format", "strided", "sparse_coo", "sparse_csr", "contiguous_format",
           "preserve_format", "channels_last", "channels_last_3d"]  # fmt: skip


class layout:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


class memory_format:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
