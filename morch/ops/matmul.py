"""Matrix product with PyTorch's 1-D and batched broadcasting rules."""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function


class MatMul(Function):
    op_name = "matmul"
    symbol = "@"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
            )
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(
                f"mat1 and mat2 shapes cannot be multiplied ({_desc(a)} and {_desc(b)}): "
                f"inner dimensions {ka} and {kb} differ"
            )
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without the 1-D bookkeeping
            return (g @ b.mT if need_a else None), (a.mT @ g if need_b else None)
        # treat 1-D operands as matrices: a (k,) -> (1, k); b (k,) -> (k, 1)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        ga = gb = None
        if need_a:
            ga = g2 @ b2.mT  # batch dims the engine sums away
            if a.ndim == 1:
                ga = ga.squeeze(-2)
        if need_b:
            gb = a2.mT @ g2
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


def _desc(x: np.ndarray) -> str:
    return "x".join(str(s) for s in x.shape)


OPS = [MatMul]
