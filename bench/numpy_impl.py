"""Hand-written numpy baselines: forward, backward and update written out by hand, float32.

These are what a careful person writes without a framework: the floor a numpy framework is
measured against. Convolutions use im2col and one matrix product per layer. Weights and momentum
buffers start on a 64-byte cache line, as morch's and PyTorch's do: left to malloc, a weight is
aligned one time in four, and the MLP step is then about 20% faster (see ``morch/_alloc.py``), so
an unaligned baseline would make the floor a matter of luck.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

F32 = np.float32


def _aligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` whose data starts on a 64-byte cache line."""
    raw = np.empty(a.nbytes + 64, np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _init(rng, fan_in: int, shape: tuple) -> np.ndarray:
    bound = 1 / np.sqrt(fan_in)
    return _aligned(rng.uniform(-bound, bound, shape).astype(F32))


class SGDMomentum:
    def __init__(self, params: list, lr: float = 0.01, momentum: float = 0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.bufs = [_aligned(np.zeros_like(p)) for p in params]

    def step(self, grads: list) -> None:
        for p, g, b in zip(self.params, grads, self.bufs):
            b *= self.momentum
            b += g
            p -= self.lr * b


def softmax_xent(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits z for labels y, and its gradient with respect to z."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    p /= n
    return float(loss), p


class MLP:
    """Linear -> ReLU -> ... -> Linear, trained with SGD momentum on cross-entropy."""

    def __init__(self, sizes: list[int], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.W = [_init(rng, i, (i, o)) for i, o in zip(sizes[:-1], sizes[1:])]
        self.b = [_init(rng, i, (o,)) for i, o in zip(sizes[:-1], sizes[1:])]
        self.opt = SGDMomentum(self.W + self.b)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list]:
        acts = [x]
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            x = x @ W + b
            if i < len(self.W) - 1:
                x = np.maximum(x, 0)
            acts.append(x)
        return x, acts

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        z, acts = self.forward(x)
        loss, g = softmax_xent(z, y)
        gW, gb = [None] * len(self.W), [None] * len(self.b)
        for i in range(len(self.W) - 1, -1, -1):
            gW[i] = acts[i].T @ g
            gb[i] = g.sum(axis=0)
            if i > 0:
                g = g @ self.W[i].T
                g *= acts[i] > 0
        self.opt.step(gW + gb)
        return loss


def im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """(N, C, H, W) -> (N*OH*OW, C*k*k) patches, stride 1."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c = x.shape[:2]
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (n, c, oh, ow, k, k)
    oh, ow = win.shape[2:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k), oh, ow


def col2im(cols: np.ndarray, shape: tuple, k: int, pad: int) -> np.ndarray:
    n, c, h, w = shape
    hp, wp = h + 2 * pad, w + 2 * pad
    oh, ow = hp - k + 1, wp - k + 1
    cols = cols.reshape(n, oh, ow, c, k, k)
    out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + oh, j : j + ow] += cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, pad : pad + h, pad : pad + w]


class Conv:
    def __init__(self, rng, cin: int, cout: int, k: int, pad: int = 0):
        self.k, self.pad = k, pad
        self.W = _init(rng, cin * k * k, (cin * k * k, cout))
        self.b = _init(rng, cin * k * k, (cout,))

    def forward(self, x):
        cols, oh, ow = im2col(x, self.k, self.pad)
        self.cache = (x.shape, cols, oh, ow)
        out = cols @ self.W + self.b  # (n*oh*ow, cout)
        return out.reshape(x.shape[0], oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, g):
        shape, cols, oh, ow = self.cache
        g2 = g.transpose(0, 2, 3, 1).reshape(-1, g.shape[1])
        self.gW, self.gb = cols.T @ g2, g2.sum(axis=0)
        return col2im(g2 @ self.W.T, shape, self.k, self.pad)


def maxpool2(x):
    n, c, h, w = x.shape
    win = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    out = win.max(axis=(3, 5))
    mask = win == out[:, :, :, None, :, None]
    return out, mask


def maxpool2_backward(g, mask, shape):
    n, c, h, w = shape
    gx = np.zeros(shape, dtype=g.dtype)
    share = mask / mask.sum(axis=(3, 5), keepdims=True)
    gx[:, :, : h // 2 * 2, : w // 2 * 2] = (share * g[:, :, :, None, :, None]).reshape(n, c, h // 2 * 2, w // 2 * 2)
    return gx


class CNN:
    """conv/relu/(pool) layers then linear/relu layers; ``spec`` lists the layers."""

    def __init__(self, convs: list[tuple], pools: list[bool], fcs: list[int], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.convs = [Conv(rng, *c) for c in convs]
        self.pools = pools
        self.fc = MLP(fcs, seed)
        self.opt = SGDMomentum([c.W for c in self.convs] + [c.b for c in self.convs] + self.fc.W + self.fc.b)

    def step(self, x, y) -> float:
        caches = []
        for conv, pool in zip(self.convs, self.pools):
            z = conv.forward(x)
            a = np.maximum(z, 0)
            if pool:
                p, mask = maxpool2(a)
                caches.append((z, a.shape, mask))
                x = p
            else:
                caches.append((z, None, None))
                x = a
        flat_shape = x.shape
        logits, acts = self.fc.forward(x.reshape(len(x), -1))
        loss, g = softmax_xent(logits, y)
        fc = self.fc
        gW, gb = [None] * len(fc.W), [None] * len(fc.b)
        for i in range(len(fc.W) - 1, -1, -1):
            gW[i], gb[i] = acts[i].T @ g, g.sum(axis=0)
            g = g @ fc.W[i].T
            if i > 0:
                g *= acts[i] > 0
        g = g.reshape(flat_shape)
        for conv, (z, a_shape, mask) in zip(reversed(self.convs), reversed(caches)):
            if mask is not None:
                g = maxpool2_backward(g, mask, a_shape)
            g = conv.backward(g * (z > 0))
        self.opt.step([c.gW for c in self.convs] + [c.gb for c in self.convs] + gW + gb)
        return loss


def lenet5(seed: int = 0) -> CNN:
    return CNN([(1, 6, 5, 2), (6, 16, 5, 0)], [True, True], [400, 120, 84, 10], seed)


def mnist_example_cnn(seed: int = 0) -> CNN:
    return CNN([(1, 32, 3, 0), (32, 64, 3, 0)], [False, True], [9216, 128, 10], seed)


def chain(x0: np.ndarray, n: int) -> np.ndarray:
    """Forward and backward of y = ((x*a + b)*a + b)... by hand: the per-op work without a framework."""
    a, b = F32(0.999), F32(0.001)
    xs = [x0]
    x = x0
    for i in range(n):
        x = x * a if i % 2 == 0 else x + b
        xs.append(x)
    g = np.ones_like(x)
    for i in range(n - 1, -1, -1):
        if i % 2 == 0:
            g = g * a
    return g
