"""The tape view of seed 000: named variables, a printed Wengert list, and grad() by tape replay.

Every morch op whose inputs include a ``Variable`` is recorded on ``gradient_tape`` as an entry
(inputs, outputs, propagate) and, unless printing is switched off, prints its line
(``v3 = v1 + v2``). ``grad(l, results)`` walks the tape backwards calling each entry's
``propagate``, which runs the op's own backward (the one the engine uses). The gradients are
Variables recorded on the tape too, so they can be differentiated again.

    from morch.tape import Variable, grad, reset_tape
    reset_tape()
    x = Variable.constant(2., name='v-1')
    y = Variable.constant(5., name='v0')
    f = Variable.log(x) + x * y - Variable.sin(y)
    dx, dy = grad(f, [x, y])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from morch import dtypes
from morch.autograd import engine, function, grad_mode
from morch.tensor import Tensor, _init

_name = 1
printing = True


def fresh_name() -> str:
    """The next variable name: v1, v2, ..."""
    global _name
    name = f"v{_name}"
    _name += 1
    return name


def set_printing(enabled: bool) -> None:
    """Switch the printed Wengert list on or off."""
    global printing
    printing = bool(enabled)


def _emit(line: str) -> None:
    if printing:
        print(line)


class Tape(NamedTuple):
    """One tape entry: names of the op's inputs and outputs, and how to propagate gradients back."""

    inputs: list[str]
    outputs: list[str]
    propagate: Callable[[list], list]


gradient_tape: list[Tape] = []


def reset_tape() -> None:
    """Empty the tape and restart variable names at v1."""
    global _name
    _name = 1
    gradient_tape.clear()


class Variable(Tensor):
    """A named tensor whose operations are recorded on the tape.

    Python numbers become float64 0-d tensors (the seed's arithmetic is Python floats).

    Args:
        value: a number, array or tensor.
        name: the variable's name on the tape (a fresh ``v<n>`` by default).
    """

    __slots__ = ("name",)

    def __init__(self, value, name: str | None = None):
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        if arr.dtype.kind in "iub" and not isinstance(value, Tensor):
            arr = arr.astype(np.float64)
        if arr.dtype.kind != "f":
            raise TypeError(f"Variable needs floating point values, got {dtypes.from_numpy(arr.dtype)}")
        _init(self, arr, None, True)
        self.name = name or fresh_name()

    @staticmethod
    def constant(value, name: str | None = None) -> Variable:
        """A leaf variable, printed as ``name = value``."""
        var = Variable(value, name)
        _emit(f"{var.name} = {value}")
        return var

    def __repr__(self) -> str:
        return repr(self._data.item()) if self._data.ndim == 0 else repr(self._data)


def _as_variable(t: Tensor, name: str | None = None) -> Variable:
    v = object.__new__(Variable)
    _init(v, t._data, t.grad_fn, t._requires_grad)
    v.name = name or fresh_name()
    return v


def _operand(t: Tensor) -> str:
    if isinstance(t, Variable):
        return t.name
    if t._data is not None and t._data.ndim == 0:
        return repr(t._data.item())  # a literal such as the 2 of ``x * 2``
    return f"<{'x'.join(map(str, t._data.shape))} tensor>"


def _line(fn, inputs, params, out: str) -> str:
    names = [_operand(t) for t in inputs]
    symbol = type(fn).symbol
    if symbol and len(names) == 2:
        return f"{out} = {names[0]} {symbol} {names[1]}"
    if type(fn).__name__ == "Neg":
        return f"{out} = -{names[0]}"
    shown = [f"{k}={v!r}" for k, v in params.items() if k != "key" and v is not None]
    op = getattr(type(fn), "op_name", type(fn).__name__.lower())
    return f"{out} = {op}({', '.join(names + shown)})"


def _record(fn, inputs, params, result: Tensor) -> Tensor:
    """Function.apply's hook: name results of ops on Variables, print their line, append a tape entry."""
    if not any(isinstance(t, Variable) for t in inputs):
        return result
    out = _as_variable(result)
    _emit(_line(fn, inputs, params, out.name))
    if result.grad_fn is fn:  # recorded for autograd, so it can be propagated

        def propagate(dl_doutputs: list) -> list:
            (dl_dout,) = dl_doutputs
            return engine._call_backward(fn, dl_dout, create_graph=True)

        names = [t.name if isinstance(t, Variable) else _operand(t) for t in inputs]
        gradient_tape.append(Tape(inputs=names, outputs=[out.name], propagate=propagate))
    return out


function._on_apply = _record


def grad(l: Tensor, results: list) -> list:  # noqa: E741 - the seed's name
    """Gradients of ``l`` with respect to each of ``results``, by replaying the tape in reverse.

    Args:
        l: the variable to differentiate (one element).
        results: the variables to differentiate with respect to.

    Returns:
        One Variable per result (None where ``l`` does not depend on it).
    """
    if not isinstance(l, Variable):
        raise TypeError("grad(l, results): l must be a Variable computed on the tape")
    dl_d = {l.name: Variable(np.ones_like(l._data))}
    with grad_mode.enable_grad():
        for entry in list(reversed(gradient_tape)):
            dl_doutputs = [dl_d.get(name) for name in entry.outputs]
            if all(g is None for g in dl_doutputs):
                continue
            for name, g in zip(entry.inputs, entry.propagate(dl_doutputs)):
                if g is None:
                    continue
                dl_d[name] = g if name not in dl_d else dl_d[name] + g
    return [dl_d.get(r.name) for r in results]


__all__ = ["Variable", "Tape", "gradient_tape", "grad", "reset_tape", "fresh_name", "set_printing"]
