"""Peak RSS (MiB) of one MNIST MLP epoch in this fresh process: ``python -m bench.memory morch``."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import mnist_data  # noqa: E402

from bench import numpy_impl  # noqa: E402


def main(framework: str) -> None:
    images, labels = mnist_data.load_arrays(train=True)
    x_all = mnist_data.normalize(images).reshape(len(images), -1)
    if framework == "numpy":
        model = numpy_impl.MLP([784, 128, 10])
        for i in range(0, len(x_all), 64):
            model.step(x_all[i : i + 64], labels[i : i + 64])
    else:
        fw = __import__(framework)
        fw.manual_seed(0)
        nn = fw.nn
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        data = fw.utils.data.TensorDataset(fw.from_numpy(x_all), fw.from_numpy(labels))
        for x, y in fw.utils.data.DataLoader(data, batch_size=64, shuffle=True):
            opt.zero_grad()
            fw.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kib / 1024:.1f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(sys.argv[1])
