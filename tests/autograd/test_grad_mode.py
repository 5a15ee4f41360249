"""Grad mode (morch/autograd/grad_mode.py): no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import pytest

import morch


def _records() -> bool:
    return (morch.ones(1, requires_grad=True) * 2).requires_grad


def test_ops_record_by_default():
    assert morch.is_grad_enabled() and morch.autograd.is_grad_enabled()
    y = morch.ones(2, requires_grad=True) * 2
    assert y.requires_grad and y.grad_fn is not None


def test_no_grad_context():
    x = morch.ones(2, requires_grad=True)
    with morch.no_grad():
        assert not morch.is_grad_enabled()
        y = x * 2
        z = x.exp().sum()
    assert not y.requires_grad and y.grad_fn is None and not z.requires_grad
    assert morch.is_grad_enabled() and _records()


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), morch.no_grad():
        1 / 0
    assert morch.is_grad_enabled()


@pytest.mark.parametrize("parens", [True, False])
def test_no_grad_as_decorator(parens):
    def f(x):
        """Doubles."""
        assert not morch.is_grad_enabled()
        return x * 2

    g = morch.no_grad()(f) if parens else morch.no_grad(f)
    assert not g(morch.ones(1, requires_grad=True)).requires_grad
    assert g.__name__ == "f" and g.__doc__ == "Doubles."
    assert morch.is_grad_enabled()


def test_decorator_applies_per_call_and_nests():
    @morch.no_grad()
    def inner():
        return _records()

    @morch.enable_grad()
    def outer():
        return _records(), inner(), _records()

    with morch.no_grad():
        assert outer() == (True, False, True)
        assert not morch.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with morch.no_grad():
        with morch.enable_grad():
            assert _records()
        assert not _records()

    @morch.enable_grad
    def f():
        return _records()

    with morch.no_grad():
        assert f()


def test_set_grad_enabled_as_function_context_and_decorator():
    morch.set_grad_enabled(False)
    assert not morch.is_grad_enabled() and not _records()
    morch.set_grad_enabled(True)
    assert _records()
    with morch.set_grad_enabled(False):
        assert not _records()
        with morch.set_grad_enabled(True):
            assert _records()
        assert not _records()
    assert _records()

    @morch.set_grad_enabled(False)
    def f():
        return _records()

    assert morch.is_grad_enabled()  # decorating does not change the mode
    assert f() is False and morch.is_grad_enabled()


def test_set_grad_enabled_in_a_training_loop_style():
    for train in (True, False):
        with morch.set_grad_enabled(train):
            assert _records() is train
    assert morch.is_grad_enabled()


def test_inference_mode():
    with morch.inference_mode():
        assert not _records()
    with morch.inference_mode(False):
        assert _records()

    @morch.inference_mode()
    def f():
        return _records()

    assert f() is False and morch.is_grad_enabled()


def test_no_grad_does_not_stop_backward_of_graph_built_before():
    x = morch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    with morch.no_grad():
        y.backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_in_place_updates_under_no_grad_are_allowed_on_leaves():
    w = morch.ones(3, requires_grad=True)
    with morch.no_grad():
        w -= 0.5 * morch.ones(3)
        w.mul_(2)
    assert w.requires_grad and w.is_leaf and w.tolist() == [1.0, 1.0, 1.0]
