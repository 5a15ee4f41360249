"""The benchmark workloads, each for morch, PyTorch CPU and hand-written numpy.

``make(framework)`` does all setup and returns a zero-argument callable: one unit of work
(one training step, one chain forward+backward, one inference batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench import numpy_impl


@dataclass
class Workload:
    name: str
    description: str
    makers: dict = field(default_factory=dict)  # framework -> make() -> step callable
    ops: int = 1  # units of work per call, for per-op costs
    quick: bool = True  # part of --quick runs


def _data(batch: int, shape: tuple, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return x, y


# ---------------------------------------------------------------- models, written as each framework's users would
def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def _lenet5(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def _mnist_cnn(nn):
    # the PyTorch MNIST example's network without its dropout layers (the numpy baseline has none)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def _framework(name: str):
    if name == "torch":
        import torch

        return torch
    import morch

    return morch


def train_step(model_fn, batch: int, in_shape: tuple):
    def make(fw_name: str):
        fw = _framework(fw_name)
        fw.manual_seed(0)
        model = model_fn(fw.nn)
        opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = _data(batch, in_shape)
        x, y = fw.from_numpy(x), fw.from_numpy(y)
        loss_fn = fw.nn.functional.cross_entropy

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        return step

    return make


def numpy_train_step(model_fn, batch: int, in_shape: tuple, flatten: bool):
    def make(_):
        model = model_fn()
        x, y = _data(batch, in_shape)
        if flatten:
            x = x.reshape(batch, -1)
        return lambda: model.step(x, y)

    return make


def static_mlp_step(batch: int):
    def make(_):
        import morch
        from morch.static import Placeholder, Session, gradients

        morch.manual_seed(0)
        model = _mlp(morch.nn)
        params = list(model.parameters())
        opt = morch.optim.SGD(params, lr=0.01, momentum=0.9)
        xp, yp = Placeholder((None, 784), name="x"), Placeholder((None,), dtype=morch.int64, name="y")
        loss = morch.nn.functional.cross_entropy(model(xp), yp)
        grads = gradients(loss, params)
        session = Session()
        x, y = _data(batch, (784,))
        feed = {xp: x, yp: y}

        def step():
            out = session.run(grads, feed)
            for p, g in zip(params, out):
                p.grad = morch.from_numpy(g)
            opt.step()

        return step

    return make


def inference(batch: int):
    def make(fw_name: str):
        x, _ = _data(batch, (784,))
        if fw_name == "numpy":
            model = numpy_impl.MLP([784, 128, 10])
            return lambda: model.forward(x)[0].argmax(1)
        fw = _framework(fw_name)
        fw.manual_seed(0)
        model = _mlp(fw.nn).eval()
        xt = fw.from_numpy(x)

        def step():
            with fw.no_grad():
                return model(xt).argmax(1)

        return step

    return make


def chain(n: int):
    def make(fw_name: str):
        x0 = np.full(16, 0.5, dtype=np.float32)
        if fw_name == "numpy":
            return lambda: numpy_impl.chain(x0, n)
        fw = _framework(fw_name)

        def step():
            x = fw.tensor(x0, requires_grad=True)
            y = x
            for i in range(n):
                y = y * 0.999 if i % 2 == 0 else y + 0.001
            y.sum().backward()
            return x.grad

        return step

    return make


def all_workloads() -> list[Workload]:
    mlp_np = lambda: numpy_impl.MLP([784, 128, 10])  # noqa: E731
    return [
        Workload("mlp_b64", "MLP 784-128-10 training step, batch 64, SGD momentum", {
            "numpy": numpy_train_step(mlp_np, 64, (784,), True),
            "morch": train_step(_mlp, 64, (784,)), "torch": train_step(_mlp, 64, (784,))}),
        Workload("mlp_b512", "MLP 784-128-10 training step, batch 512", {
            "numpy": numpy_train_step(mlp_np, 512, (784,), True),
            "morch": train_step(_mlp, 512, (784,)), "torch": train_step(_mlp, 512, (784,))}),
        Workload("mlp_b64_static", "the same step as a static graph (morch.static, Session.run)", {
            "numpy": numpy_train_step(mlp_np, 64, (784,), True),
            "morch": static_mlp_step(64), "torch": train_step(_mlp, 64, (784,))}),
        Workload("lenet5_b64", "LeNet-5 CNN training step, batch 64 (1x28x28)", {
            "numpy": numpy_train_step(numpy_impl.lenet5, 64, (1, 28, 28), False),
            "morch": train_step(_lenet5, 64, (1, 28, 28)), "torch": train_step(_lenet5, 64, (1, 28, 28))}),
        Workload("mnist_cnn_b64", "PyTorch MNIST-example CNN (32/64 channels) step, batch 64", {
            "numpy": numpy_train_step(numpy_impl.mnist_example_cnn, 64, (1, 28, 28), False),
            "morch": train_step(_mnist_cnn, 64, (1, 28, 28)), "torch": train_step(_mnist_cnn, 64, (1, 28, 28))}),
        Workload("chain_10k", "10,000-op chain of small ops (16 floats), forward + backward", {
            fw: chain(10_000) for fw in ("numpy", "morch", "torch")}, ops=10_000),
        Workload("chain_1k", "1,000-op chain, forward + backward (per-op cost)", {
            fw: chain(1_000) for fw in ("morch", "torch")}, ops=1_000),
        Workload("chain_100k", "100,000-op chain, forward + backward (per-op cost)", {
            fw: chain(100_000) for fw in ("morch", "torch")}, ops=100_000, quick=False),
        Workload("mlp_infer_b1000", "MLP inference (no_grad), batch 1000", {
            fw: inference(1000) for fw in ("numpy", "morch", "torch")}),
    ]  # fmt: skip
