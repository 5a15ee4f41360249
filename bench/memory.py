"""Peak RSS (MiB) of one MNIST MLP epoch in this fresh process: ``python -m bench.memory morch``.

The data is prepared first (the same float32 arrays for every framework); the kernel's peak-RSS
mark is then reset (Linux: /proc/self/clear_refs), so the number is the peak while the framework
is imported, holds the data and trains one epoch (784-128-10, batch 64, SGD momentum).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import mnist_data  # noqa: E402

from bench import numpy_impl  # noqa: E402


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(framework: str) -> None:
    images, labels = mnist_data.load_arrays(train=True)
    x_all = images.reshape(len(images), -1).astype(np.float32)
    del images
    x_all /= 255.0
    x_all -= mnist_data.MEAN
    x_all /= mnist_data.STD
    fw = None if framework == "numpy" else __import__(framework)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    if fw is None:
        model = numpy_impl.MLP([784, 128, 10])
        for i in range(0, len(x_all), 64):
            model.step(x_all[i : i + 64], labels[i : i + 64])
    else:
        fw.manual_seed(0)
        nn = fw.nn
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        data = fw.utils.data.TensorDataset(fw.from_numpy(x_all), fw.from_numpy(labels))
        for x, y in fw.utils.data.DataLoader(data, batch_size=64, shuffle=True):
            opt.zero_grad()
            fw.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    print(f"{_status('VmHWM'):.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
