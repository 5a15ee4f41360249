"""Datasets, samplers and the DataLoader."""

import warnings

import numpy as np
import pytest

import morch
from morch.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

try:
    import torchvision
except ImportError:  # pragma: no cover - depends on the machine
    torchvision = None

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the machine
    Image = None


def _dataset(n=10):
    x = morch.arange(n * 2, dtype=morch.float32).reshape(n, 2)
    y = morch.arange(n)
    return TensorDataset(x, y)


# ---------------------------------------------------------------- datasets
def test_tensor_dataset_rows():
    ds = _dataset()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    assert ds[-1][1].item() == 9
    with pytest.raises(IndexError, match="out of bounds"):
        ds[10]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(morch.zeros(3, 2), morch.zeros(4))
    with pytest.raises(TypeError, match="expects morch Tensors"):
        TensorDataset(np.zeros(3))


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]


def test_subset_and_concat():
    ds = _dataset()
    sub = Subset(ds, [4, 2, 7])
    assert len(sub) == 3 and sub[1][1].item() == 2
    cat = ds + sub
    assert isinstance(cat, ConcatDataset) and len(cat) == 13
    assert cat[10][1].item() == 4 and cat[-1][1].item() == 7 and cat[0][1].item() == 0
    assert cat.cumulative_sizes == [10, 13]
    with pytest.raises(IndexError):
        cat[13]
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        cat[-14]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class Unsized(IterableDataset):
    def __iter__(self):
        yield from range(5)


def test_iterable_datasets_chain_and_refuse_concat():
    assert list(Stream(2) + Stream(3)) == [0, 1, 0, 1, 2]
    assert isinstance(Stream(2) + Stream(3), ChainDataset)
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])


def test_random_split_lengths_and_fractions():
    ds = _dataset(10)
    a, b = random_split(ds, [7, 3], generator=morch.Generator().manual_seed(0))
    assert (len(a), len(b)) == (7, 3)
    assert sorted(a.indices + b.indices) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    odd = random_split(_dataset(11), [0.5, 0.5])  # the remainder goes round robin from the first split
    assert [len(p) for p in odd] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(ds, [5, 4])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(_dataset(2), [0.99, 0.01])


def test_random_split_is_reproducible():
    ds = _dataset(20)
    s1 = random_split(ds, [10, 10], generator=morch.Generator().manual_seed(42))
    s2 = random_split(ds, [10, 10], generator=morch.Generator().manual_seed(42))
    assert s1[0].indices == s2[0].indices
    morch.manual_seed(3)
    d1 = random_split(ds, [0.5, 0.5])
    morch.manual_seed(3)
    d2 = random_split(ds, [0.5, 0.5])
    assert d1[1].indices == d2[1].indices


# ---------------------------------------------------------------- samplers
def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    bs = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(range(7), batch_size=3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [({"batch_size": 0, "drop_last": False}, "batch_size should be a positive integer value, but got batch_size=0"),
     ({"batch_size": 2, "drop_last": 1}, "drop_last should be a boolean value")],
)  # fmt: skip
def test_batch_sampler_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchSampler(range(3), **kwargs)


def test_random_sampler():
    s = RandomSampler(range(10), generator=morch.Generator().manual_seed(1))
    order = list(s)
    assert sorted(order) == list(range(10)) and order != list(range(10))
    assert len(s) == 10
    more = list(RandomSampler(range(4), num_samples=10))
    assert len(more) == 10 and all(sorted(more[i : i + 4]) == [0, 1, 2, 3] for i in (0, 4))
    rep = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(rep) == 50 and set(rep) <= {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler([])


def test_subset_random_and_weighted_samplers():
    s = list(SubsetRandomSampler([10, 20, 30]))
    assert sorted(s) == [10, 20, 30]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=5))
    assert w == [1] * 5
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1.0, 1.0], 2)


# ---------------------------------------------------------------- DataLoader
def test_batches_in_order():
    loader = DataLoader(_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert isinstance(x, morch.Tensor) and tuple(x.shape) == (4, 2) and y.tolist() == [0, 1, 2, 3]
    assert batches[-1][1].tolist() == [8, 9]
    assert y.dtype == morch.int64 and x.dtype == morch.float32


def test_tensor_dataset_fast_path_equals_collating_samples():
    x = morch.tensor(np.random.default_rng(0).standard_normal((9, 2, 3)))
    y = morch.tensor([True, False] * 4 + [True])
    ds = TensorDataset(x, y)
    order = [4, 0, 8, 3, -1]
    fast = list(DataLoader(ds, batch_size=2, sampler=order))
    slow = list(DataLoader(ds, batch_size=2, sampler=order, collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 3
    for f, s in zip(fast, slow):
        assert isinstance(f, list) and len(f) == 2
        for a, b in zip(f, s):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(IndexError, match="index 9 is out of bounds for a dataset of size 9"):
        list(DataLoader(ds, batch_size=2, sampler=[0, 9]))


def test_tensor_dataset_subclass_transform_is_applied():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(morch.ones(4, 1), morch.arange(4))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.flatten().tolist() == [2.0] * 4


def test_tensor_dataset_requiring_grad_keeps_the_graph():
    w = morch.ones(4, 2, requires_grad=True)
    (x,) = next(iter(DataLoader(TensorDataset(w), batch_size=4)))
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((4, 2)))


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_covers_everything_and_changes_per_epoch():
    loader = DataLoader(_dataset(50), batch_size=8, shuffle=True)
    e1 = [i for _, y in loader for i in y.tolist()]
    e2 = [i for _, y in loader for i in y.tolist()]
    assert sorted(e1) == list(range(50)) and sorted(e2) == list(range(50))
    assert e1 != e2 and e1 != list(range(50))


def test_shuffle_is_reproducible_with_manual_seed():
    def epoch():
        return [i for _, y in DataLoader(_dataset(30), batch_size=7, shuffle=True) for i in y.tolist()]

    morch.manual_seed(123)
    a = [epoch(), epoch()]
    morch.manual_seed(123)
    b = [epoch(), epoch()]
    morch.manual_seed(124)
    c = [epoch(), epoch()]
    assert a == b and a != c


def test_shuffle_is_reproducible_with_a_generator():
    def order(seed):
        g = morch.Generator().manual_seed(seed)
        return [i for _, y in DataLoader(_dataset(30), batch_size=5, shuffle=True, generator=g) for i in y.tolist()]

    assert order(7) == order(7) and order(7) != order(8)


def test_custom_sampler_and_batch_sampler():
    loader = DataLoader(_dataset(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [y.tolist() for _, y in loader] == [[5, 4], [3, 2], [1, 0]]
    loader = DataLoader(_dataset(6), batch_sampler=[[0, 5], [1]])
    assert [y.tolist() for _, y in loader] == [[0, 5], [1]] and len(loader) == 2


def test_collate_fn_and_no_batching():
    loader = DataLoader(_dataset(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]
    unbatched = list(DataLoader(_dataset(3), batch_size=None))
    assert len(unbatched) == 3 and unbatched[2][1].item() == 2 and unbatched[2][0].shape == (2,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"batch_size": 0}, "batch_size should be a positive integer value"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiprocessing"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ],
)
def test_loader_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(_dataset(4), **kwargs)


def test_num_workers_warns_and_loads_in_process():
    with pytest.warns(UserWarning, match="num_workers=2 is not supported by morch; loading in the main process"):
        loader = DataLoader(_dataset(4), batch_size=2, num_workers=2)
    assert [y.tolist() for _, y in loader] == [[0, 1], [2, 3]]


def test_iterable_dataset_loading():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(TypeError, match="without __len__ has no length"):
        len(DataLoader(Unsized(), batch_size=2))
    assert [b.tolist() for b in DataLoader(Unsized(), batch_size=2)] == [[0, 1], [2, 3], [4]]


def test_dataset_without_len_needs_a_sampler():
    class NoLen(Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="has no __len__"):
        DataLoader(NoLen())
    assert [b.tolist() for b in DataLoader(NoLen(), batch_size=2, sampler=[3, 1])] == [[3, 1]]


def test_getitems_is_used_for_batches():
    class Batched(Dataset):
        calls = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise AssertionError("should fetch through __getitems__")

        def __getitems__(self, indices):
            Batched.calls += 1
            return [float(i) for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0.0, 1.0], [2.0, 3.0]]
    assert Batched.calls == 2


# ---------------------------------------------------------------- torchvision-style datasets
class FakeMNIST(Dataset):
    """Mimics torchvision.datasets.MNIST's interface: (image, int label) with transform hooks."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        rng = np.random.default_rng(0 if train else 1)
        self.data = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
        self.targets = rng.integers(0, 10, 20)
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = _FakeImage(img)  # torchvision returns a PIL image in mode 'L'
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)


class _FakeImage:
    mode = "L"

    def __init__(self, arr):
        self._arr = arr

    def __array__(self, dtype=None, copy=None):
        return self._arr if dtype is None else self._arr.astype(dtype)


@pytest.mark.parametrize(
    "transform",
    [
        lambda img: np.asarray(img, dtype=np.float32)[None] / 255.0,
        lambda img: morch.tensor(np.asarray(img), dtype=morch.float32).unsqueeze(0) / 255.0,
    ],
    ids=["to-numpy", "to-morch-tensor"],
)
def test_torchvision_style_dataset_with_morch_transform(transform):
    ds = FakeMNIST("unused", train=True, transform=transform)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=morch.Generator().manual_seed(0))
    images, labels = next(iter(loader))
    assert tuple(images.shape) == (8, 1, 28, 28) and images.dtype == morch.float32
    assert labels.dtype == morch.int64 and tuple(labels.shape) == (8,)
    assert 0.0 <= images.min().item() and images.max().item() <= 1.0
    assert len(loader) == 3 and sum(len(y) for _, y in loader) == 20


def test_torchvision_style_dataset_without_transform_is_refused_clearly():
    _FakeImage.__module__, _FakeImage.__name__ = "PIL.Image", "Image"
    try:
        with pytest.raises(TypeError, match="PIL images"):
            next(iter(DataLoader(FakeMNIST("unused"), batch_size=2)))
    finally:
        _FakeImage.__module__, _FakeImage.__name__ = __name__, "_FakeImage"


@pytest.mark.skipif(Image is None, reason="Pillow is not installed")
def test_pil_images_through_a_transform():
    class Pictures(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            img = Image.fromarray(np.full((5, 7), i * 10, np.uint8), mode="L")
            return np.asarray(img, dtype=np.float32)[None] / 255.0, i

    images, labels = next(iter(DataLoader(Pictures(), batch_size=4)))
    assert tuple(images.shape) == (4, 1, 5, 7) and images.dtype == morch.float32
    assert labels.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(images.numpy()[2], np.full((1, 5, 7), 20 / 255.0), rtol=1e-6)


@pytest.mark.skipif(torchvision is None, reason="torchvision is not installed")
def test_real_torchvision_dataset(tmp_path):
    # FakeData needs no download: PIL images and int labels (it calls .item() itself), as MNIST yields
    ds = torchvision.datasets.FakeData(size=12, image_size=(1, 28, 28), num_classes=10,
                                       transform=lambda img: np.asarray(img, dtype=np.float32) / 255.0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        images, labels = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    assert tuple(images.shape)[0] == 4 and images.dtype == morch.float32
    assert labels.dtype == morch.int64
