"""Where the MLP step's time goes: the evidence behind the MLP targets (``python -m bench.floor``).

Four measurements, each a median over repetitions, printed as markdown:

1. the BLAS products of the 784-128-10 MLP at batch 64 in numpy's (in, out) weight layout and in
   PyTorch's (out, in) one, which morch keeps;
2. the fixed per-step cost of a framework: the same training step on a tiny MLP (8-8-4, batch 2),
   where the arithmetic is negligible;
3. the b64 step split into forward, backward and update, morch against the numpy baseline;
4. the numpy baseline's step with its weights on a 64-byte cache line and 16 bytes off it.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from bench import numpy_impl
from bench.workloads import _data
from morch import _alloc


def _median_us(fn, number: int, repeat: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times) * 1e6


def _aligned(shape, offset: int = 0) -> np.ndarray:
    """A float32 array ``offset`` bytes past a cache line."""
    n = int(np.prod(shape))
    flat = _alloc.empty((n + 16,), np.float32)[offset // 4 : offset // 4 + n]
    return flat.reshape(shape)


def products() -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    x, g = _aligned((64, 784)), _aligned((64, 128))
    x[...], g[...] = rng.standard_normal(x.shape), rng.standard_normal(g.shape)
    w_in_out, w_out_in = _aligned((784, 128)), _aligned((128, 784))
    w_in_out[...] = rng.standard_normal(w_in_out.shape)
    w_out_in[...] = w_in_out.T
    return [
        ("forward x @ W, W stored (in, out) [numpy baseline]", _median_us(lambda: x @ w_in_out, 500)),
        ("forward x @ W.T, W stored (out, in) [PyTorch, morch]", _median_us(lambda: x @ w_out_in.T, 500)),
        ("weight gradient x.T @ g -> (in, out)", _median_us(lambda: x.T @ g, 500)),
        ("weight gradient g.T @ x -> (out, in)", _median_us(lambda: g.T @ x, 500)),
    ]


def _morch_step(sizes, batch):
    import morch

    nn = morch.nn
    morch.manual_seed(0)
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]))
    opt = morch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data(batch, (sizes[0],))
    x, y = morch.from_numpy(x), morch.from_numpy(y % sizes[2])
    loss_fn = nn.functional.cross_entropy

    def forward():
        return loss_fn(model(x), y)

    def step():
        opt.zero_grad()
        forward().backward()
        opt.step()

    return step, forward, opt


def fixed_cost() -> list[tuple[str, float]]:
    step, _, _ = _morch_step([8, 8, 4], 2)
    mlp = numpy_impl.MLP([8, 8, 4])
    x, y = _data(2, (8,))
    rows = [("numpy", _median_us(lambda: mlp.step(x, y % 4), 5000)), ("morch", _median_us(step, 5000))]
    try:
        import torch
    except ImportError:
        return rows
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y % 4)

    def torch_step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(tx), ty).backward()
        opt.step()

    return rows + [("torch", _median_us(torch_step, 5000))]


def phases(steps: int = 2000) -> dict[str, list[float]]:
    """Forward (with the loss), backward and update of the b64 step, in microseconds."""
    x, y = _data(64, (784,))
    mlp = numpy_impl.MLP([784, 128, 10])

    def numpy_parts():
        z, acts = mlp.forward(x)
        _, g = numpy_impl.softmax_xent(z, y)
        yield
        grads_w, grads_b = [None, None], [None, None]
        for k in (1, 0):
            grads_w[k], grads_b[k] = acts[k].T @ g, g.sum(axis=0)
            if k:
                g = g @ mlp.W[k].T
                g *= acts[k] > 0
        yield
        mlp.opt.step(grads_w + grads_b)
        yield

    step, forward, opt = _morch_step([784, 128, 10], 64)

    def morch_parts():
        opt.zero_grad()
        loss = forward()
        yield
        loss.backward()
        yield
        opt.step()
        yield

    out = {}
    for name, parts in (("numpy", numpy_parts), ("morch", morch_parts)):
        total = np.zeros(3)
        for i in range(steps):
            t = [time.perf_counter()]
            for _ in parts():
                t.append(time.perf_counter())
            if i >= steps // 5:  # warm-up excluded
                total += np.diff(t)
        out[name] = list(total / (steps - steps // 5) * 1e6)
    return out


def alignment() -> list[tuple[str, float]]:
    x, y = _data(64, (784,))
    rows = []
    for offset in (0, 16):
        mlp = numpy_impl.MLP([784, 128, 10])
        for i, w in enumerate(mlp.W):
            mlp.W[i] = _aligned(w.shape, offset)
            mlp.W[i][...] = w
        mlp.opt.params = mlp.W + mlp.b
        rows.append((f"weights {offset} bytes past a cache line", _median_us(lambda m=mlp: m.step(x, y), 300)))
    return rows


def main() -> None:
    _alloc.tune()
    print("## BLAS products of the 784-128-10 MLP, batch 64 (aligned operands)\n")
    print("| product | time |\n|---|---:|")
    for name, us in products():
        print(f"| {name} | {us:.1f} µs |")
    print("\n## Fixed cost of a training step (MLP 8-8-4, batch 2: almost no arithmetic)\n")
    print("| framework | step |\n|---|---:|")
    for name, us in fixed_cost():
        print(f"| {name} | {us:.1f} µs |")
    print("\n## The b64 step by phase\n")
    print("| framework | forward + loss | backward | update | total |\n|---|---:|---:|---:|---:|")
    for name, (f, b, u) in phases().items():
        print(f"| {name} | {f:.0f} µs | {b:.0f} µs | {u:.0f} µs | {f + b + u:.0f} µs |")
    print("\n## The numpy baseline's b64 step and its weights' alignment\n")
    print("| weights | step |\n|---|---:|")
    for name, us in alignment():
        print(f"| {name} | {us:.0f} µs |")


if __name__ == "__main__":
    main()
