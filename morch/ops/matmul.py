"""Matrix product with PyTorch's 1-D and batched broadcasting rules, and einsum."""

from __future__ import annotations

import string
from collections import Counter

import numpy as np

from morch.autograd.function import Function, op_error


class MatMul(Function):
    op_name = "matmul"
    symbol = "@"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
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


def einsum_subscripts(equation: str, shapes: list) -> tuple[list, str]:
    """The subscripts of each operand and of the output, with ``...`` spelled out as letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise op_error(ValueError, f"einsum(): {equation!r} names {len(ins)} operands but {len(shapes)} were given")
    if any(c not in string.ascii_letters + ".,->" for c in eq):
        raise op_error(ValueError, f"einsum(): subscripts must be letters, got {equation!r}")
    free = [c for c in string.ascii_letters if c not in eq]
    ranks = [len(shape) - (len(sub) - 3) for sub, shape in zip(ins, shapes) if "..." in sub]
    ellipsis = "".join(free[: max(ranks, default=0)])
    spelled = []
    for sub, shape in zip(ins, shapes):
        if "..." in sub:  # broadcast dimensions line up from the right, as in numpy
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ellipsis[len(ellipsis) - n :] if n > 0 else "")
        if len(sub) != len(shape):
            raise op_error(ValueError, f"einsum(): subscripts {sub!r} do not fit an operand of shape {tuple(shape)}")
        spelled.append(sub)
    if arrow:
        out = rhs.replace("...", ellipsis)
    else:  # implicit output: the ellipsis, then the letters used once, in alphabetical order
        counts = Counter("".join(spelled))
        out = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    return spelled, out


class Einsum(Function):
    """Sums of products over named dimensions (``numpy.einsum``); backward is einsum again."""

    def forward(self, *arrays, equation):
        self.ins, self.out_sub = einsum_subscripts(equation, [a.shape for a in arrays])
        explicit = ",".join(self.ins) + "->" + self.out_sub
        return np.asarray(np.einsum(explicit, *arrays, optimize=len(arrays) > 2))

    def backward(self, g):
        ins, out = self.ins, self.out_sub
        if any(len(set(sub)) != len(sub) for sub in ins):
            raise RuntimeError(
                "einsum: gradients through a subscript repeated within one operand (a diagonal, as in 'ii->i') "
                "are not supported"
            )
        grads = []
        for i, (sub, t) in enumerate(zip(ins, self.inputs)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(ins[j], x) for j, x in enumerate(self.inputs) if j != i]
            seen = set(out).union(*(set(s) for s, _ in others))
            kept = "".join(c for c in sub if c in seen)
            gi = Einsum.apply(
                g, *(x for _, x in others), equation=",".join([out, *(s for s, _ in others)]) + "->" + kept
            )
            if kept != sub:  # letters only this operand had were summed away: spread the gradient over them
                sizes = dict(zip(kept, gi._data.shape))
                gi = gi.reshape([sizes.get(c, 1) for c in sub]).expand(
                    [sizes[c] if c in sizes else n for c, n in zip(sub, t._data.shape)]
                )
            grads.append(gi)
        return tuple(grads)


OPS = [MatMul, Einsum]
