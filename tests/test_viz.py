"""Pictures of graphs: DOT text for eager, static and tape graphs; rendering with Graphviz."""

import numpy as np
import pytest

import morch
from morch import viz
from morch.static import Placeholder, SessionRun


def test_eager_graph_dot_names_ops_shapes_and_grads():
    x = morch.randn(4, 3, requires_grad=True)
    w = morch.randn(2, 3, requires_grad=True)
    y = morch.relu(x @ w.T).sum()
    before = viz.to_dot(y, names={"x": x, "w": w})
    assert before.startswith("digraph morch {") and before.rstrip().endswith("}")
    for text in ("matmul", "relu", "sum", "(4, 2)", "x\\n(4, 3) float32", "w\\n(2, 3) float32"):
        assert text in before
    assert "grad" not in before
    y.backward(retain_graph=True)
    after = viz.to_dot(y, names={"x": x, "w": w})
    assert "grad (4, 3)" in after and after.count('fillcolor="#b7e4c7"') == 2


def test_freed_graph_gives_a_clear_error():
    x = morch.randn(3, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        viz.to_dot(y)


def test_static_and_tape_graphs():
    a = Placeholder(name="a")
    b = morch.Tensor(np.ones((2, 2)))
    t = morch.sum(morch.exp(-a) @ b)
    dot = viz.to_dot(t, names={"b": b})
    assert "a\\n? float32" in dot and "peripheries=2" in dot and "matmul" in dot
    SessionRun(t, {a: np.zeros((2, 2))}).backward()
    assert "grad (2, 2)" in viz.to_dot(t)

    from morch import tape

    tape.set_printing(False)
    try:
        x = tape.Variable(1.5, name="x")
        f = x * x + x.sin()
        assert "x\\n() float64" in viz.to_dot(f)
    finally:
        tape.set_printing(True)  # the switch is global: leave it as other tests expect it


@pytest.mark.skipif(not viz.dot_available(), reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_render_makes_a_picture(tmp_path, suffix):
    x = morch.randn(2, 2, requires_grad=True)
    path = viz.render((x * x).sum(), str(tmp_path / f"g.{suffix}"), title="x*x")
    data = open(path, "rb").read()
    assert (data.lstrip().startswith(b"<?xml") or b"<svg" in data[:500]) if suffix == "svg" else data[:4] == b"\x89PNG"
    assert len(data) > 200


def test_render_without_dot_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.render(morch.ones(1, requires_grad=True).sum(), str(tmp_path / "g.svg"))
    assert viz.render(morch.ones(1, requires_grad=True).sum(), str(tmp_path / "g.dot")).endswith("g.dot")
