"""Storages (untyped_storage, storage, storage_type), set_ / is_set_to and the legacy Tensor
methods beside them (new, resize, resize_as, as_subclass, module_load), each against torch."""

import warnings

import numpy as np
import pytest

import ember
from ember import _storage

torch = pytest.importorskip("torch")

LIBS = [ember, torch]


def _reset_warn():
    _storage._warned = False
    torch.storage._reset_warn_typed_storage_removal()


def _both(fn):
    """fn(lib) on ember and on torch."""
    return fn(ember), fn(torch)


def _state(t):
    return (tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.tolist())


# -- untyped_storage -----------------------------------------------------------------------------


def _sharing(lib):
    x = lib.arange(12.0).reshape(3, 4)
    base = x.untyped_storage().data_ptr()
    others = {
        "slice": x[1:, ::2], "t": x.t(), "view": x.view(12), "detach": x.detach(),
        "data": x.data, "detach_slice": x[1:].detach(), "expand": x[:1].expand(3, 4),
        "clone": x.clone(), "contig_t": x.t().contiguous(), "plus0": x + 0, "float64": x.double(),
        "diag": x.diagonal(), "unbind": x.unbind(0)[2], "real_view": x.reshape(-1)[3:5],
    }  # fmt: skip
    return {k: v.untyped_storage().data_ptr() == base for k, v in others.items()}


def test_untyped_storage_sharing_patterns():
    e, t = _both(_sharing)
    assert e == t


def _sizes(lib):
    x = lib.zeros(3, 4, dtype=lib.float64)
    b = lib.zeros(5, dtype=lib.int16)
    out = []
    for v in (x, x[1:, 2:], x[0], x.t(), b, b[1:3], lib.zeros(0), lib.tensor(3.0)):
        s = v.untyped_storage()
        out.append((s.nbytes(), s.size(), len(s), s.element_size(), str(s.device), s.is_cuda,
                    v.untyped_storage().data_ptr() - v.data_ptr() + v.storage_offset()
                    * v.element_size() == 0 if v.numel() else None))  # fmt: skip
    return out


def test_untyped_storage_sizes_of_views_and_slices():
    e, t = _both(_sizes)
    assert e == t


def test_untyped_storage_bytes_and_writes():
    def run(lib):
        x = lib.tensor([1, 258, -1], dtype=lib.int16)
        s = x[1:].untyped_storage()
        res = [s.tolist(), s[2], s[-1], list(s), x[1:].untyped_storage() is s]
        s[0] = 7
        res.append(x.tolist())
        s.fill_(0)
        res.append(x.tolist())
        c = s.clone()
        c[0] = 1
        res += [x.tolist(), c.data_ptr() == s.data_ptr(), s[1:3].data_ptr() - s.data_ptr()]
        res.append(repr(s).splitlines()[:-1])
        return res

    e, t = _both(run)
    assert e == t
    with pytest.raises(IndexError):
        ember.zeros(1).untyped_storage()[4]
    with pytest.raises(IndexError):
        torch.zeros(1).untyped_storage()[4]


def test_untyped_storage_constructor():
    e, t = _both(lambda lib: (lib.UntypedStorage([1, 2, 250]).tolist(),
                              lib.UntypedStorage(5).nbytes()))  # fmt: skip
    assert e == t


# -- storage (typed, deprecated) -----------------------------------------------------------------


def test_storage_values_and_deprecation_warning():
    def run(lib):
        _reset_warn()
        x = lib.tensor([[1.5, 2.0], [3.0, 4.0]])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            s = x.t().storage()
            s2 = x.storage()  # warned once per process
            ty = x.storage_type().__name__, lib.tensor([1]).storage_type().__name__
        cats = [(i.category, str(i.message)[:60]) for i in w]
        res = [cats, s.tolist(), s[1], s[-1], s.size(), len(s), s.nbytes(), s.element_size(),
               str(s.dtype).split(".")[1], s.data_ptr() == s2.data_ptr(), ty,
               s.untyped() is x.untyped_storage()]  # fmt: skip
        s[0] = 9
        res.append(x.tolist())
        with pytest.raises(RuntimeError):
            s[0:1]
        return res

    e, t = _both(run)
    assert e == t


def test_typed_storage_of_other_dtypes():
    def run(lib):
        _reset_warn()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [(s.tolist(), s.size()) for s in (
                lib.tensor([True, False]).storage(), lib.tensor([1, -2], dtype=lib.int64)[1:]
                .storage(), lib.tensor([1 + 2j]).storage())]  # fmt: skip

    e, t = _both(run)
    assert e == t


# -- set_ / is_set_to ----------------------------------------------------------------------------


def test_set_variants():
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4)
        out = []
        y = lib.zeros(3)
        out.append(_state(y.set_(x)))
        out.append(y.data_ptr() == x.data_ptr())
        out.append(_state(lib.zeros(3).set_(x.untyped_storage(), 2, (2, 2), (1, 4))))
        out.append(_state(lib.zeros(3).set_(x.untyped_storage(), 2, (2, 2))))
        out.append(_state(lib.zeros(3).set_(x.untyped_storage())))
        out.append(_state(lib.zeros(3).set_(x, 1, (2,), (2,))))
        out.append(_state(lib.zeros(3).set_(x[1:], 1, (2,), (2,))))
        out.append(_state(lib.zeros(3).set_(x[1:])))
        out.append(_state(lib.zeros(3).set_()))
        out.append(_state(lib.zeros(3, dtype=lib.int32).set_(x.untyped_storage(), 1, (2,))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(_state(lib.zeros(3).set_(x.storage(), 1, (2,))))
        a = lib.zeros(4)
        a.set_(x, 2, (2,))
        a.fill_(7)  # writes go to x's memory
        out.append(x.tolist())
        out.append(a.untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
        return out

    e, t = _both(run)
    assert e == t


@pytest.mark.parametrize("case", range(7))
def test_set_errors(case):
    def run(lib):
        x = lib.arange(12.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = [
                lambda: lib.zeros(3, dtype=lib.int64).set_(x),
                lambda: lib.zeros(3, dtype=lib.int64).set_(x.storage()),
                lambda: lib.zeros(3).set_(x.untyped_storage(), -1, (2,)),
                lambda: lib.zeros(3).set_(x.untyped_storage(), 0, (2,), (1, 2)),
                lambda: lib.zeros(3).set_(x.untyped_storage(), 0, (2, -1)),
                lambda: lib.zeros(3).set_(5),
                lambda: lib.zeros(3, requires_grad=True).set_(x),
            ][case]
            try:
                f()
            except Exception as ex:  # noqa: BLE001 - the type is what is compared
                return type(ex), str(ex).split(",")[0][:40]
        return None

    e, t = _both(run)
    assert e[0] is t[0]
    if case != 5:  # (the TypeError's argument listing differs in wording)
        assert e[1] == t[1]


def test_set_under_no_grad_keeps_leaf():
    def run(lib):
        z = lib.zeros(3, requires_grad=True)
        with lib.no_grad():
            z.set_(lib.ones(2))
        return z.requires_grad, z.is_leaf, z.tolist()

    e, t = _both(run)
    assert e == t


def test_set_out_of_bounds_raises_in_ember():
    # torch grows the storage (reading uninitialized memory); ember cannot and raises
    with pytest.raises(RuntimeError, match="out of bounds"):
        ember.zeros(1).set_(ember.zeros(4).untyped_storage(), 2, (5,))


def test_is_set_to():
    def run(lib):
        x = lib.arange(6.0).reshape(2, 3)
        y = lib.empty(0)
        y.set_(x.untyped_storage(), 3, (3,))
        return [lib.zeros(2).is_set_to(lib.zeros(2)), x.is_set_to(x), x[0].is_set_to(x),
                x.view(6).is_set_to(x), x.view(2, 3).is_set_to(x), x.detach().is_set_to(x),
                x.clone().is_set_to(x), y.is_set_to(x[1]), x[1].is_set_to(y),
                lib.empty(0).is_set_to(lib.empty(0))]  # fmt: skip

    e, t = _both(run)
    assert e == t
    for lib in LIBS:
        with pytest.raises(TypeError):
            lib.zeros(1).is_set_to(5)


# -- new -----------------------------------------------------------------------------------------


def test_new_variants():
    def run(lib):
        x = lib.arange(4.0)
        i = lib.tensor([1, 2])
        a = lib.tensor([1.0, 2.0])
        out = [
            (tuple(x.new().shape), str(x.new().dtype).split(".")[1]),
            tuple(x.new(2, 3).shape), tuple(x.new(lib.Size([2])).shape),
            x.new([1, 2]).tolist(), x.new((1, 2)).tolist(), i.new([1.5]).tolist(),
            str(i.new(2).dtype), x.new(np.array([3, 4])).tolist(),
            x.new(a).data_ptr() == a.data_ptr(), x.new(a) is a,
            x.new(x.untyped_storage()).tolist(), tuple(x.new(2, device="cpu").shape),
        ]  # fmt: skip
        return [str(o).replace("torch.", "").replace("ember.", "") for o in out]

    e, t = _both(run)
    assert e == t


@pytest.mark.parametrize("args", [(2.5,), ("a",), (2, {}), ("tensor_i",)])
def test_new_errors(args):
    for lib in LIBS:
        args_ = tuple(lib.tensor([1, 2]) if a == "tensor_i" else a for a in args)
        with pytest.raises(TypeError):
            lib.zeros(2).new(*args_)
    for lib in LIBS:
        with pytest.raises(TypeError):
            lib.zeros(2).new(2, dtype=lib.int64)


def test_new_of_tensor_keeps_history():
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        n = lib.zeros(1).new(p)
        (n * 3).sum().backward()
        return n.requires_grad, n.grad_fn.name(), n._base is p, p.grad.tolist()

    e, t = _both(run)
    assert e == t


# -- resize / resize_as (deprecated, not in place) -----------------------------------------------


def test_resize_and_resize_as():
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = x.resize(4, 3)
            r2 = x.resize_as(lib.zeros(2, 6))
            r3 = x.t().resize(12)
        msgs = [(i.category, str(i.message)) for i in w]
        return (msgs, _state(r), r.data_ptr() == x.data_ptr(), _state(r2), _state(r3),
                r3.data_ptr() == x.data_ptr())  # fmt: skip

    e, t = _both(run)
    assert e == t


def test_resize_grad_and_error():
    def run(lib):
        p = lib.arange(6.0, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = p.resize(2, 3)
            (r * lib.arange(6.0, dtype=lib.float64).view(2, 3)).sum().backward()
            with pytest.raises(RuntimeError) as ei:
                p.resize(5)
        return p.grad.tolist(), str(ei.value)

    e, t = _both(run)
    assert e == t


# -- as_subclass / module_load -------------------------------------------------------------------


def test_as_subclass():
    def run(lib):
        class Sub(lib.Tensor):
            pass

        p = lib.ones(2, requires_grad=True)
        s = p.as_subclass(Sub)
        q = (p * 2).as_subclass(Sub)
        q.sum().backward()
        plain = lib.ones(2).as_subclass(Sub)
        back = p.as_subclass(lib.Tensor)
        with pytest.raises(TypeError):
            p.as_subclass(int)
        return [type(s) is Sub, s.requires_grad, s.grad_fn.name(), s.is_leaf,
                s.data_ptr() == p.data_ptr(), s._base is p, q.grad_fn.name(),
                p.grad.tolist(), plain.is_leaf, plain.requires_grad, type(back) is lib.Tensor,
                back is p]  # fmt: skip

    e, t = _both(run)
    assert e == t


def test_module_load():
    def run(lib):
        a, b = lib.zeros(2), lib.ones(2)
        r = a.module_load(b)
        r2 = a.module_load(b * 3, assign=True)
        p = lib.nn.Parameter(lib.zeros(2))
        with pytest.raises(RuntimeError):
            p.module_load(lib.ones(2))
        return [r is a, r.data_ptr() == a.data_ptr(), a.tolist(), r.grad_fn is None,
                r2.tolist(), r2.data_ptr() == a.data_ptr()]  # fmt: skip

    e, t = _both(run)
    assert e == t
