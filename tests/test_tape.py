"""The tape view: named Variables, the printed Wengert list, grad() by replaying the tape."""

import numpy as np
import pytest

import morch
from morch import tape
from morch.tape import Variable, grad, gradient_tape, reset_tape


@pytest.fixture(autouse=True)
def _fresh_tape():
    reset_tape()
    tape.set_printing(True)
    yield
    reset_tape()
    tape.set_printing(True)


def test_forward_lines_and_values(capsys):
    x = Variable.constant(2.0, name="v-1")
    y = Variable.constant(5.0, name="v0")
    f = Variable.log(x) + x * y - Variable.sin(y)
    assert repr(f) == "11.652071455223084"
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["v-1 = 2.0", "v0 = 5.0", "v1 = log(v-1)", "v2 = v-1 * v0", "v3 = v1 + v2", "v4 = sin(v0)",
                     "v5 = v3 - v4"]  # fmt: skip
    assert [e.outputs for e in gradient_tape] == [["v1"], ["v2"], ["v3"], ["v4"], ["v5"]]
    assert gradient_tape[1].inputs == ["v-1", "v0"]


def test_grad_replays_the_tape_and_gradients_are_variables_on_the_tape():
    tape.set_printing(False)
    x, y = Variable.constant(2.0), Variable.constant(5.0)
    f = Variable.log(x) + x * y - Variable.sin(y)
    n = len(gradient_tape)
    dx, dy = grad(f, [x, y])
    assert isinstance(dx, Variable) and dx.item() == 5.5
    assert dy.item() == 1.7163378145367738
    assert len(gradient_tape) > n  # the backward computations were recorded too
    d2x, dxdy = grad(dx, [x, y])  # so gradients can be differentiated again
    assert d2x.item() == pytest.approx(-0.25)
    assert dxdy.item() == pytest.approx(1.0)


def test_printing_can_be_switched_off(capsys):
    tape.set_printing(False)
    x = Variable.constant(1.0)
    _ = x * x
    assert capsys.readouterr().out == ""


def test_other_ops_literals_and_tensors_work_on_the_tape(capsys):
    x = Variable.constant(np.array([1.0, 2.0]), name="x")
    z = (x * 2).exp().sum()
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "v1 = x * 2.0"
    assert out[2] == "v2 = exp(v1)"
    assert out[3].startswith("v3 = sum(v2")
    (g,) = grad(z, [x])
    np.testing.assert_allclose(g.numpy(force=True), 2 * np.exp(2 * np.array([1.0, 2.0])))


def test_engine_backward_agrees_with_tape_grad():
    tape.set_printing(False)
    x, y = Variable.constant(0.7), Variable.constant(-1.3)
    f = morch.tanh(x * y) + x.sin() * y
    dx, dy = grad(f, [x, y])
    f.backward()
    assert x.grad.item() == pytest.approx(dx.item())
    assert y.grad.item() == pytest.approx(dy.item())


def test_names_restart_after_reset():
    tape.set_printing(False)
    a = Variable(1.0)
    reset_tape()
    b = Variable(1.0)
    assert a.name == "v1" and b.name == "v1" and gradient_tape == []


def test_grad_needs_a_variable():
    with pytest.raises(TypeError, match="must be a Variable"):
        grad(morch.tensor(1.0), [])
