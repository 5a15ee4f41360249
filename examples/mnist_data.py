"""MNIST for the examples, offline: torchvision's loader when it is installed, else morch's own
reader of the IDX files shipped in examples/data/mnist. Either way the batches come from
morch's DataLoader."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "mnist"
FILES = {
    True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
MEAN, STD = 0.1307, 0.3081  # MNIST's pixel statistics, the usual normalisation


class DataError(Exception):
    """A data file is missing or unreadable; the message names the file and what is wrong."""


def _read_idx(path: Path, expected_dims: int, expected_count: int | None) -> np.ndarray:
    """Read one gzip-compressed IDX file (magic 0x0000 08 <ndim>, big-endian sizes, uint8 data)."""
    if not path.exists():
        raise DataError(f"{path}: file not found (expected the MNIST IDX files in {path.parent})")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: not a readable gzip file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != expected_dims:
        raise DataError(
            f"{path}: not an IDX file of {expected_dims}-d unsigned bytes (bad magic number {raw[:4].hex()})"
        )
    header = 4 + 4 * expected_dims
    if len(raw) < header:
        raise DataError(f"{path}: truncated header")
    dims = struct.unpack(f">{expected_dims}I", raw[4:header])
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise DataError(f"{path}: holds {len(raw) - header} data bytes but its header promises {size} (shape {dims})")
    if expected_count is not None and dims[0] != expected_count:
        raise DataError(f"{path}: has {dims[0]} items, expected {expected_count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_arrays(data_dir: str | os.PathLike = DEFAULT_DIR, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) int64 of the training or test split."""
    images_name, labels_name, count = FILES[train]
    data_dir = Path(data_dir)
    images = _read_idx(data_dir / images_name, 3, count)
    labels = _read_idx(data_dir / labels_name, 1, count)
    if labels.max() > 9:
        raise DataError(f"{data_dir / labels_name}: labels must be digits 0-9, found {labels.max()}")
    return images, labels.astype(np.int64)


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), scaled to [0, 1] and standardised."""
    x = images.astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    return (x - MEAN) / STD


def _torchvision_root(data_dir: Path) -> Path:
    """torchvision reads uncompressed files under <root>/MNIST/raw: unpack the shipped ones once."""
    root = Path(os.environ.get("MORCH_CACHE", Path.home() / ".cache" / "morch")) / "torchvision"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        for name in FILES[train][:2]:
            target = raw / name[: -len(".gz")]
            if not target.exists():
                _read_idx(data_dir / name, 3 if "images" in name else 1, FILES[train][2])  # validate first
                tmp = target.with_suffix(".part")
                with gzip.open(data_dir / name, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(tmp, target)
    return root


def datasets(data_dir: str | os.PathLike = DEFAULT_DIR, prefer_torchvision: bool = True):
    """(train, test, description): datasets yielding (float32 image (1, 28, 28), int label)."""
    import morch
    from morch.utils.data import TensorDataset

    data_dir = Path(data_dir)
    if prefer_torchvision:
        try:
            import torchvision
        except ImportError:
            torchvision = None
        if torchvision is not None:
            root = _torchvision_root(data_dir)

            def to_array(img) -> np.ndarray:  # a morch-side transform: PIL image -> normalised array
                return normalize(np.asarray(img, dtype=np.uint8)[None])[0]

            train = torchvision.datasets.MNIST(str(root), train=True, download=False, transform=to_array)
            test = torchvision.datasets.MNIST(str(root), train=False, download=False, transform=to_array)
            return train, test, f"torchvision.datasets.MNIST (offline, files from {data_dir})"
    splits = []
    for train in (True, False):
        images, labels = load_arrays(data_dir, train)
        splits.append(TensorDataset(morch.from_numpy(normalize(images)), morch.from_numpy(labels)))
    return splits[0], splits[1], f"morch's IDX reader ({data_dir})"
