"""DLPack: share tensor memory with NumPy, torch, CuPy, JAX ... without a copy.

``ember.from_dlpack(x)`` takes anything with ``__dlpack__`` (or a legacy capsule) and returns a
tensor over the same memory; ``Tensor.__dlpack__`` lets other libraries do the same with ember
tensors (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``). NumPy's DLPack support does the
capsule work; the one dtype NumPy cannot exchange, bfloat16, is carried as uint16 with its
DLPack type code rewritten in the capsule (``ctypes``), so it round-trips with torch too.

>>> t = ember.arange(4.)
>>> a = np.from_dlpack(t); a[0] = 9; t
tensor([9., 1., 2., 3.])
"""

from __future__ import annotations

import ctypes
import enum

import numpy as np

from .. import _dtype as D
from .._device import device_of
from .._tensor import Tensor

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """Device kinds of the DLPack specification (the values of torch's enum)."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


# -- the capsule's bytes -----------------------------------------------------------------------
# DLManagedTensor ("dltensor") starts with its DLTensor; DLManagedTensorVersioned
# ("dltensor_versioned") has version (8 bytes), manager_ctx, deleter and flags (8 each) first.
# In a DLTensor: data (8), device {int32 type, int32 id} at 8, ndim at 16, dtype {uint8 code,
# uint8 bits, uint16 lanes} at 20.
_LEGACY, _VERSIONED = b"dltensor", b"dltensor_versioned"
_DLTENSOR_AT = {_LEGACY: 0, _VERSIONED: 32}
_kDLUInt, _kDLBfloat = 1, 4

_api = ctypes.pythonapi
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _dltensor(capsule) -> int | None:
    """The address of the DLTensor inside an unconsumed capsule (None if it is not one)."""
    for name, at in _DLTENSOR_AT.items():
        if _api.PyCapsule_IsValid(capsule, name):
            return _api.PyCapsule_GetPointer(capsule, name) + at
    return None


def _dtype_bytes(capsule):
    """The capsule's DLDataType code and bits as writable ctypes bytes (or None)."""
    at = _dltensor(capsule)
    return None if at is None else (ctypes.c_uint8 * 2).from_address(at + 20)


def _capsule_device(capsule) -> tuple:
    at = _dltensor(capsule)
    if at is None:
        raise RuntimeError(
            "from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
            "consumed only once, so you might have already constructed a tensor from it once."
        )
    kind, idx = (ctypes.c_int32 * 2).from_address(at + 8)
    return kind, idx


# -- export ------------------------------------------------------------------------------------


def _export(self: Tensor, *, stream=-1, max_version=None, dl_device=None, copy=None):
    """``Tensor.__dlpack__``: a capsule over this tensor's memory (torch's checks and kwargs).

    ``max_version=(1, x)`` gives a versioned capsule, otherwise the legacy one (as torch).
    """
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if self.device.type == "cpu" and stream is not None and stream != -1:
        raise AssertionError("stream should be None on cpu.")
    arr = self._data
    bf16 = self.dtype is D.bfloat16
    if bf16:
        arr = arr.view(np.uint16)  # NumPy cannot export bfloat16: send its bits
    kwargs = {"copy": copy} if copy is not None else {}
    if dl_device is not None:
        kwargs["dl_device"] = tuple(int(v) for v in dl_device)
    if max_version is not None and max_version[0] >= 1:
        kwargs["max_version"] = tuple(max_version)
    if isinstance(arr, np.ndarray):
        capsule = arr.__dlpack__(**kwargs)
    else:  # CuPy: stream synchronisation is its business
        capsule = arr.__dlpack__(stream=stream if stream != -1 else None, **kwargs)
    if bf16:
        code = _dtype_bytes(capsule)
        code[0] = _kDLBfloat
    return capsule


def _export_device(self: Tensor) -> tuple:
    """``Tensor.__dlpack_device__``: (DLDeviceType, index), as torch returns it."""
    dev = self.device
    if dev.type == "cuda":
        return DLDeviceType.kDLCUDA, dev.index or 0
    return DLDeviceType.kDLCPU, 0


def to_dlpack(tensor: Tensor):
    """A legacy DLPack capsule ("dltensor") sharing ``tensor``'s memory. Prefer passing the
    tensor itself to the consumer's ``from_dlpack``.

    >>> torch.from_dlpack(ember.utils.dlpack.to_dlpack(ember.ones(2)))
    tensor([1., 1.])
    """
    return tensor.__dlpack__()


# -- import ------------------------------------------------------------------------------------


class _Producer:
    """Wraps a producer (or a capsule) for NumPy's ``from_dlpack``, turning a bfloat16
    capsule into a uint16 one NumPy accepts and remembering that it did."""

    def __init__(self, src, capsule=None):
        self.src, self.capsule, self.bf16 = src, capsule, False

    def __dlpack_device__(self):
        if self.capsule is not None:
            return _capsule_device(self.capsule)
        return self.src.__dlpack_device__()

    def __dlpack__(self, **kwargs):
        cap = self.capsule
        if cap is None:
            try:
                cap = self.src.__dlpack__(**kwargs)
            except TypeError:  # an older producer: no max_version / copy / dl_device
                cap = self.src.__dlpack__(stream=kwargs.get("stream"))
        code = _dtype_bytes(cap)
        if code is not None and code[0] == _kDLBfloat and code[1] == 16:
            code[0] = _kDLUInt
            self.bf16 = True
        return cap


def _numpy_from(producer: _Producer, copy):
    try:
        arr = np.from_dlpack(producer, copy=copy)
    except TypeError:  # NumPy < 2.1 has no copy=
        arr = np.from_dlpack(producer)
        arr = arr.copy() if copy else arr
    if producer.bf16:
        arr = arr.view(D.to_numpy_dtype(D.bfloat16))
    return arr


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor over the memory of ``ext_tensor``: an object with ``__dlpack__`` (NumPy array,
    torch/CuPy/JAX tensor) or a legacy capsule. Writes through either side are seen by the
    other unless ``copy=True``. ``device`` moves the result (a copy when it differs).

    >>> a = np.zeros(3); t = ember.from_dlpack(a); t[0] = 1; a
    array([1., 0., 0.])
    """
    from .. import _device

    if isinstance(ext_tensor, Tensor):
        if ext_tensor.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        t = ext_tensor.detach()
        t = t.clone() if copy else t
        return t if device is None else t.to(device, copy=False)
    if hasattr(ext_tensor, "__dlpack__"):
        producer = _Producer(ext_tensor)
        kind = int(ext_tensor.__dlpack_device__()[0])
    else:
        if device is not None or copy is not None:
            raise AssertionError(
                "device and copy kwargs not supported when ext_tensor is already a DLPack capsule."
            )
        producer = _Producer(None, capsule=ext_tensor)
        kind = int(_capsule_device(ext_tensor)[0])
    if kind in (DLDeviceType.kDLCUDA, DLDeviceType.kDLROCM, DLDeviceType.kDLCUDAManaged):
        cp = _device._import_cupy()
        arr = cp.from_dlpack(producer.src if producer.src is not None else producer)
        arr = arr.copy() if copy else arr
        t = Tensor._wrap(arr)
        t._device = device_of(arr)
    elif kind in (DLDeviceType.kDLCPU, DLDeviceType.kDLCUDAHost, DLDeviceType.kDLROCMHost):
        t = Tensor._wrap(_numpy_from(producer, copy))
    else:
        raise BufferError(f"ember cannot import DLPack tensors of device type {kind}")
    D.from_numpy_dtype(t._data.dtype)  # a dtype torch lacks raises TypeError here
    if device is not None and _device.canonical(device) != t.device:
        if copy is False:
            raise ValueError(f"cannot move DLPack tensor from device {t.device} to {device} "
                             "without copying. Set copy=None or copy=True.")  # fmt: skip
        t = t.to(device)
    return t
