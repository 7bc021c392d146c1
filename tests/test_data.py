"""ember.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader in the
main process (workers are in test_dataloader_workers.py)."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ed

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402


def same(e, t):
    """Nested ember/torch batches agree: structure, container types, values, dtypes."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"ember gives {type(e)}, torch a tensor"
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
    else:
        assert type(e) is type(t) and e == t


def both(fn):
    """fn(lib, data) with lib = ember / torch and data = the matching utils.data module."""
    return fn(ember, ed), fn(torch, td)


def raised(fn, *a, **k):
    try:
        fn(*a, **k)
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError("did not raise")


def same_error(fn, match=None):
    e, t = raised(fn, ember, ed), raised(fn, torch, td)
    assert type(e) is type(t), f"ember {type(e).__name__}({e}), torch {type(t).__name__}({t})"
    if match is not None:
        assert match in str(t) and match in str(e), (str(e), str(t))
    return e, t


Point = collections.namedtuple("Point", "x y")

SAMPLES = {
    "tensor": lambda lib, i: lib.arange(3, dtype=lib.float32) + i,
    "int": lambda lib, i: i,
    "float": lambda lib, i: i / 2,
    "bool": lambda lib, i: i % 2 == 0,
    "str": lambda lib, i: f"s{i}",
    "bytes": lambda lib, i: b"b",
    "np_array": lambda lib, i: np.full((2, 2), i, np.int16),
    "np_f32_scalar": lambda lib, i: np.float32(i),
    "np_bool": lambda lib, i: np.bool_(i % 2),
    "np_int8_0d": lambda lib, i: np.array(i, np.int8),
    "dict": lambda lib, i: {"a": i, "b": lib.tensor([i, i]), "c": [i, float(i)]},
    "tuple": lambda lib, i: (i, lib.ones(2) * i),
    "list": lambda lib, i: [i, [i, i + 1]],
    "namedtuple": lambda lib, i: Point(i, lib.tensor(float(i))),
    "ordered": lambda lib, i: collections.OrderedDict(z=i, a=str(i)),
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_torch(kind):
    e, t = both(lambda lib, data: data.default_collate([SAMPLES[kind](lib, i) for i in range(4)]))
    same(e, t)


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_convert_matches_torch(kind):
    e, t = both(lambda lib, data: data.default_convert(SAMPLES[kind](lib, 3)))
    same(e, t)


@pytest.mark.parametrize(
    "batch",
    [
        [[1, 2], [1]],  # ragged lists
        [object(), object()],  # unknown type
        [np.array(["a"]), np.array(["b"])],  # string arrays
    ],
    ids=["ragged", "object", "np_str"],
)
def test_default_collate_errors(batch):
    same_error(lambda lib, data: data.default_collate(batch))


def test_collate_ragged_message_and_stack_error():
    same_error(lambda lib, data: data.default_collate([[1, 2], [3]]),
               match="each element in list of batch should be of equal size")  # fmt: skip
    same_error(lambda lib, data: data.default_collate([lib.ones(2), lib.ones(3)]))


# -- datasets -----------------------------------------------------------------------------------


def test_tensor_stack_concat_subset():
    def fn(lib, data):
        a = data.TensorDataset(lib.arange(6).reshape(3, 2), lib.arange(3) * 10)
        b = data.TensorDataset(lib.arange(4).reshape(2, 2), lib.arange(2))
        c = a + b
        s = data.StackDataset(a, lib.arange(3))
        k = data.StackDataset(x=lib.arange(3), y=[7, 8, 9])
        sub = data.Subset(c, [4, 0, 2])
        return [len(c), c[3], c[-1], c.cumulative_sizes, s[1], k[2], len(sub), sub[0],
                sub.__getitems__([1, 2]), type(c).__name__]  # fmt: skip

    same(*both(fn))


def test_dataset_errors():
    same_error(lambda lib, data: data.TensorDataset(lib.ones(2), lib.ones(3)))
    same_error(lambda lib, data: data.ConcatDataset([]))
    same_error(lambda lib, data: data.ConcatDataset([range(3)])[-4])
    same_error(lambda lib, data: data.StackDataset(range(2), range(3)), "Size mismatch")
    same_error(lambda lib, data: data.StackDataset(range(2), x=range(2)))
    same_error(lambda lib, data: data.Dataset()[0])


def test_iterable_and_chain():
    def fn(lib, data):
        class It(data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n

        ch = It(2) + It(3)
        return [type(ch).__name__, list(ch), len(ch)]

    same(*both(fn))


@pytest.mark.parametrize(
    "lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.1] * 10, [0.5, 0.5], [1.0], [0.25] * 4]
)
@pytest.mark.parametrize("n", [10, 11, 7])
def test_random_split_sizes(lengths, n):
    def fn(lib, data):
        if sum(lengths) > 1 and sum(lengths) != n:
            return raised(data.random_split, range(n), lengths).__class__
        g = lib.Generator().manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zero-length splits warn (tested below)
            parts = data.random_split(range(n), lengths, generator=g)
        flat = sorted(i for p in parts for i in p)
        assert flat == list(range(n))
        return [len(p) for p in parts]

    same(*both(fn))


def test_random_split_errors_and_warning():
    same_error(lambda lib, data: data.random_split(range(4), [2, 3]), "Sum of input lengths")
    same_error(lambda lib, data: data.random_split(range(4), [1.5, -0.5]))
    for data in (ed, td):
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
            data.random_split(range(2), [1.0, 0.0])


# -- samplers -----------------------------------------------------------------------------------


def test_sequential_and_batch_sampler():
    def fn(lib, data):
        out = []
        for bs in (1, 3, 4, 10):
            for dl in (False, True):
                bsam = data.BatchSampler(data.SequentialSampler(range(10)), bs, dl)
                out.append((list(bsam), len(bsam)))
        out.append(list(data.BatchSampler([5, 1, 9], 2, False)))
        return out

    same(*both(fn))


@pytest.mark.parametrize(
    "args",
    [(0, False), (-1, False), (True, False), (2.0, False), (2, None), (2, 1)],
)
def test_batch_sampler_errors(args):
    same_error(lambda lib, data: data.BatchSampler(range(4), *args))


def test_random_sampler_structure():
    for lib, data in ((ember, ed), (torch, td)):
        lib.manual_seed(0)
        perm = list(data.RandomSampler(range(10)))
        assert sorted(perm) == list(range(10))
        s = data.RandomSampler(range(10), num_samples=25)
        got = list(s)
        assert len(s) == len(got) == 25
        assert all(sorted(got[i : i + 10]) == list(range(10)) for i in (0, 10))
        assert len(set(got[20:])) == 5
        r = list(data.RandomSampler(range(4), replacement=True, num_samples=70))
        assert len(r) == 70 and set(r) <= set(range(4))


def test_random_sampler_generator_reproducible():
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    assert list(ed.RandomSampler(range(50), generator=g1)) == list(
        ed.RandomSampler(range(50), generator=g2)
    )
    ember.manual_seed(5)
    a = list(ed.RandomSampler(range(50)))
    ember.manual_seed(5)
    assert a == list(ed.RandomSampler(range(50)))


@pytest.mark.parametrize(
    "kw", [dict(replacement=1), dict(num_samples=0), dict(num_samples=2.5), dict(num_samples=-1)]
)
def test_random_sampler_errors(kw):
    same_error(lambda lib, data: data.RandomSampler(range(3), **kw))


def test_subset_and_weighted_samplers():
    for lib, data in ((ember, ed), (torch, td)):
        g = lib.Generator().manual_seed(1)
        idx = [3, 9, 12, 40]
        s = data.SubsetRandomSampler(idx, generator=g)
        assert sorted(s) == idx and len(s) == 4
        w = data.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50, generator=g)
        got = list(w)
        assert len(w) == len(got) == 50 and set(got) <= {1, 3}
        nr = list(data.WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=g))
        assert sorted(nr) == [0, 1, 2]
    same(
        ed.WeightedRandomSampler([1.0, 2], 3).weights, td.WeightedRandomSampler([1.0, 2], 3).weights
    )


@pytest.mark.parametrize(
    "args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([[1.0, 2.0]], 2), ([1.0], 2, "yes")]
)
def test_weighted_sampler_errors(args):
    same_error(lambda lib, data: data.WeightedRandomSampler(*args))


@pytest.mark.parametrize("n", [0, 1, 5, 10, 11, 3])
@pytest.mark.parametrize("replicas", [1, 3, 4, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):

        def fn(lib, data, rank=rank):
            s = data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                        drop_last=drop_last)  # fmt: skip
            if n == 0 and not drop_last:
                return len(s)
            return list(s), len(s), s.total_size

        same(*both(fn))


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shuffle_structure(drop_last):
    n, r = 10, 4
    shards = {}
    for lib, data in ((ember, ed), (torch, td)):
        ss = [data.DistributedSampler(range(n), r, k, seed=7, drop_last=drop_last)
              for k in range(r)]  # fmt: skip
        for s in ss:
            s.set_epoch(2)
        shards[lib.__name__] = [list(s) for s in ss]
    e, t = shards["ember"], shards["torch"]
    assert [len(s) for s in e] == [len(s) for s in t]
    # interleave the shards back into the padded permutation
    perm = [e[k][i] for i in range(len(e[0])) for k in range(r)]
    base = perm[:n] if not drop_last else perm
    if drop_last:
        assert len(set(perm)) == len(perm)
    else:
        assert sorted(base) == list(range(n)) and perm[n:] == perm[: len(perm) - n]
    a = ed.DistributedSampler(range(n), r, 0, seed=7, drop_last=drop_last)
    a.set_epoch(2)
    assert list(a) == e[0]  # same seed + epoch, same shard
    a.set_epoch(3)
    assert list(a) != e[0]  # a new epoch reshuffles (fixed seeds: deterministic)


def test_distributed_sampler_errors():
    same_error(lambda lib, data: data.DistributedSampler(range(4), 2, 2), "Invalid rank 2")
    same_error(lambda lib, data: data.DistributedSampler(range(4), 2, -1))


# -- DataLoader (main process) ------------------------------------------------------------------


class _Map:
    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": self.lib.full((2,), float(i)), "i": i, "n": np.int32(i), "s": str(i)}


@pytest.mark.parametrize("batch_size", [None, 1, 3, 7, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_sequential_batches(batch_size, drop_last):
    def fn(lib, data):
        if batch_size is None and drop_last:
            return raised(data.DataLoader, _Map(lib), batch_size=None, drop_last=True).__class__
        dl = data.DataLoader(_Map(lib), batch_size=batch_size, drop_last=drop_last)
        return len(dl), list(dl)

    same(*both(fn))


def test_loader_samplers_and_collate_fn():
    def fn(lib, data):
        bs = data.BatchSampler([6, 0, 3, 2], 3, False)
        a = list(data.DataLoader(_Map(lib), batch_sampler=bs))
        b = list(data.DataLoader(_Map(lib), sampler=[4, 1], batch_size=2))
        c = list(data.DataLoader(_Map(lib), batch_size=3, collate_fn=lambda b: [s["i"] for s in b]))
        d = list(data.DataLoader(range(5), batch_size=2))
        return a, b, c, d

    same(*both(fn))


def test_loader_shuffle_covers_each_epoch():
    for lib, data in ((ember, ed), (torch, td)):
        g = lib.Generator().manual_seed(0)
        dl = data.DataLoader(range(20), batch_size=6, shuffle=True, generator=g)
        assert len(dl) == 4
        for _ in range(2):
            got = [i for b in dl for i in b.tolist()]
            assert sorted(got) == list(range(20))
    g1, g2 = ember.Generator().manual_seed(4), ember.Generator().manual_seed(4)
    a = [b.tolist() for b in ed.DataLoader(range(20), batch_size=6, shuffle=True, generator=g1)]
    b = [b.tolist() for b in ed.DataLoader(range(20), batch_size=6, shuffle=True, generator=g2)]
    assert a == b


def test_loader_iterable_dataset():
    def fn(lib, data):
        class It(data.IterableDataset):
            def __iter__(self):
                return iter(range(7))

            def __len__(self):
                return 7

        out = []
        for bs, dl_ in ((3, False), (3, True), (None, False)):
            dl = data.DataLoader(It(), batch_size=bs, drop_last=dl_)
            out.append((len(dl), list(dl)))
        return out

    same(*both(fn))


@pytest.mark.parametrize(
    "kw",
    [
        dict(num_workers=-1),
        dict(timeout=-1),
        dict(prefetch_factor=2),
        dict(num_workers=1, prefetch_factor=-1),
        dict(persistent_workers=True),
        dict(sampler=[0, 1], shuffle=True),
        dict(batch_sampler=[[0]], batch_size=2),
        dict(batch_sampler=[[0]], drop_last=True),
        dict(batch_sampler=[[0]], sampler=[0]),
        dict(batch_sampler=[[0]], shuffle=True),
        dict(batch_size=None, drop_last=True),
        dict(multiprocessing_context="fork"),
        dict(num_workers=1, multiprocessing_context="nope"),
        dict(num_workers=1, multiprocessing_context=3),
    ],
)
def test_loader_argument_errors(kw):
    same_error(lambda lib, data: data.DataLoader(range(4), **kw))


def test_loader_iterable_errors_and_setattr():
    def it(data):
        class It(data.IterableDataset):
            def __iter__(self):
                return iter(range(3))

        return It()

    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        same_error(lambda lib, data, kw=kw: data.DataLoader(it(data), **kw))
    for attr in ("batch_size", "sampler", "dataset", "drop_last"):
        same_error(lambda lib, data, a=attr: setattr(data.DataLoader(range(3)), a, 2), attr)
    assert ed.get_worker_info() is None and td.get_worker_info() is None


def test_public_names_match_torch():
    deprecated = {
        "DFIterDataPipe", "DataChunk", "IterDataPipe", "MapDataPipe", "functional_datapipe",
        "guaranteed_datapipes_determinism", "non_deterministic", "runtime_validation",
        "runtime_validation_disabled", "argument_validation", "datapipes", "graph",
        "graph_settings", "_utils",
    }  # fmt: skip
    want = {n for n in td.__all__ if n not in deprecated}
    assert want <= set(dir(ed)), want - set(dir(ed))
