"""Static graphs: Placeholder, Session.run, SessionRun, gradients."""

import numpy as np
import pytest

import morch
import morch.nn.functional as F
from helpers import assert_close, requires_torch, torch
from morch.static import Placeholder, Session, SessionRun, Symbolic, gradients


def test_building_computes_nothing_and_running_computes():
    calls = []
    x = Placeholder(name="x")
    y = morch.exp(x) * 2 + 1
    assert isinstance(y, Symbolic) and y._data is None
    assert calls == []
    np.testing.assert_allclose(Session().run(y, {x: np.array([0.0, 1.0])}), [3.0, 2 * np.e + 1], rtol=1e-6)


def _expressions(x, w) -> list:
    """The same expressions, for a placeholder or for an eager tensor."""
    return [x + 1, 1 + x, x - 2, 2 - x, x * 3, 3 * x, x / 4, 4 / (x + 5), -x, x @ w, x**2, 2**x, morch.log(x + 2),
            morch.sum(x), morch.mean(x), x.max(1).values, x.reshape(-1), x.T, morch.cat([x, x], 1), x[:, 1],
            x[x > 0], morch.softmax(x, 1), x.var(1), x.argmax(1), x > 0]  # fmt: skip


def test_every_operator_and_core_functions_build_nodes():
    x = Placeholder(name="x")
    w = morch.tensor(np.arange(6.0).reshape(3, 2))
    feed = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], dtype=np.float32)
    exprs = _expressions(x, w)
    assert all(isinstance(e, Symbolic) for e in exprs)
    got = Session().run(exprs, {x: feed})
    for g, e in zip(got, _expressions(morch.tensor(feed), w)):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-6)
        assert g.dtype == e.numpy().dtype


def test_graph_runs_many_times_with_nothing_leaking_between_runs():
    x = Placeholder(name="x")
    y = (x * x).sum()
    s = Session()
    for v in [np.ones(3), np.arange(4.0), np.zeros(1)]:
        assert s.run(y, {x: v}) == pytest.approx(float((v * v).sum()))
    # a run that needs x but does not feed it fails instead of reusing the last value
    with pytest.raises(KeyError, match="placeholder 'x' needs a value"):
        s.run(y, {})


def test_sessionrun_backward_fills_grads_of_placeholders_and_constants():
    a = Placeholder(name="a")
    b = morch.Tensor(np.full((2, 2), 3.0))
    t = morch.sum(a * b)
    out = SessionRun(t, {a: np.ones((2, 2))})
    out.backward()
    assert_close(a.grad, np.full((2, 2), 3.0))
    assert_close(b.grad, np.ones((2, 2)))
    # the placeholder's gradient belongs to the latest run; the constant accumulates like a leaf
    out = SessionRun(t, {a: np.full((2, 2), 2.0)})
    out.backward()
    assert_close(a.grad, np.full((2, 2), 3.0))
    assert_close(b.grad, np.full((2, 2), 3.0))
    assert not b.requires_grad  # the user's tensor is not changed, only its .grad filled


def test_gradients_nodes_match_eager_autograd():
    x = Placeholder((None, 3), name="x")
    w = morch.randn(3, 4, requires_grad=True)
    bias = morch.zeros(4, requires_grad=True)
    loss = F.cross_entropy(morch.tanh(x @ w + bias), morch.tensor([0, 3]))
    gw, gb, gx = gradients(loss, [w, bias, x])
    feed = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    got = Session().run([loss, gw, gb, gx], {x: feed})
    xt = morch.tensor(feed, requires_grad=True)
    eager = F.cross_entropy(morch.tanh(xt @ w + bias), morch.tensor([0, 3]))
    ew, eb, ex = morch.autograd.grad(eager, [w, bias, xt])
    for g, e in zip(got, [eager, ew, eb, ex]):
        np.testing.assert_allclose(g, e.detach().numpy(), rtol=1e-5, atol=1e-7)
    assert w.grad is None  # gradient nodes do not touch .grad


def test_gradients_of_unrelated_tensor_is_none_and_second_order_works():
    x = Placeholder(name="x")
    other = Placeholder(name="other")
    y = (x**3).sum()
    g, none = gradients(y, [x, other])
    assert none is None
    (h,) = gradients(g.sum(), [x])
    gv, hv = Session().run([g, h], {x: np.array([1.0, 2.0])})
    np.testing.assert_allclose(gv, [3.0, 12.0])
    np.testing.assert_allclose(hv, [6.0, 12.0])


def test_feed_errors_name_the_placeholder():
    x = Placeholder((None, 3), dtype=morch.float32, name="images")
    i = Placeholder(dtype=morch.int64, name="labels")
    s = Session()
    with pytest.raises(ValueError, match=r"'images' is declared with shape \(None, 3\) but was fed .*\(2, 4\)"):
        s.run(x * 2, {x: np.ones((2, 4))})
    with pytest.raises(TypeError, match="'labels' is declared morch.int64 but was fed float64"):
        s.run(i + 1, {i: np.ones(3)})
    with pytest.raises(KeyError, match="'labels' needs a value"):
        s.run(i + x.sum(), {x: np.ones((1, 3))})
    assert s.run(x.sum(), {x: np.ones((5, 3), dtype=np.float64)}).dtype == np.float32  # cast to the declared dtype


def test_intermediate_tensors_can_be_fed():
    x = Placeholder(name="x")
    h = x * 2
    y = h + 1
    assert Session().run(y, {h: np.array(10.0)}) == pytest.approx(11.0)


def test_static_graph_with_nn_layers_and_a_training_step():
    morch.manual_seed(0)
    model = morch.nn.Sequential(morch.nn.Linear(4, 8), morch.nn.ReLU(), morch.nn.Linear(8, 3))
    params = list(model.parameters())
    x, y = Placeholder((None, 4), name="x"), Placeholder((None,), dtype=morch.int64, name="y")
    loss = F.cross_entropy(model(x), y)
    grads = gradients(loss, params)
    rng = np.random.default_rng(0)
    data, labels = rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    s = Session()
    losses = []
    for _ in range(30):
        out = s.run([loss, *grads], {x: data, y: labels})
        eager = F.cross_entropy(model(morch.tensor(data)), morch.tensor(labels))
        np.testing.assert_allclose(out[0], eager.item(), rtol=1e-5)  # the graph sees the updated parameters
        losses.append(float(out[0]))
        with morch.no_grad():
            for p, g in zip(params, out[1:]):
                p -= 0.5 * morch.tensor(g)
    assert losses[-1] < 0.8 * losses[0]


@requires_torch
def test_static_gradients_match_pytorch():
    x = Placeholder((2, 3), dtype=morch.float64, name="x")
    y = morch.sum(morch.sigmoid(x) * morch.log(x * x + 1))
    (g,) = gradients(y, [x])
    v = np.array([[0.1, -2.0, 3.0], [1.0, 0.5, -0.3]])
    got = Session().run(g, {x: v})
    tx = torch.tensor(v, requires_grad=True)
    torch.sum(torch.sigmoid(tx) * torch.log(tx * tx + 1)).backward()
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-10)


def test_symbolic_tensors_refuse_values_and_eager_backward():
    x = Placeholder(name="x")
    with pytest.raises(TypeError, match="has no value"):
        (x + 1).item()
    with pytest.raises(RuntimeError, match="SessionRun"):
        (x * 2).sum().backward()
    with pytest.raises(RuntimeError, match="known only when the graph runs"):
        (x + 1).shape
    assert Placeholder((None, 5)).shape == (None, 5)


def _plan_of(session):
    return next(iter(session._plans.values()))


def test_repeated_runs_replay_the_recorded_ops_and_match_fresh_evaluation():
    morch.manual_seed(0)
    model = morch.nn.Sequential(morch.nn.Linear(5, 7), morch.nn.ReLU(), morch.nn.Linear(7, 3))
    params = list(model.parameters())
    x, y = Placeholder((None, 5), name="x"), Placeholder((None,), dtype=morch.int64, name="y")
    loss = F.cross_entropy(model(x), y)
    grads = gradients(loss, params)
    s = Session()
    rng = np.random.default_rng(1)
    for step in range(6):
        n = 4 if step < 4 else 9  # a new batch size: traced afresh, not replayed with stale shapes
        xv, yv = rng.standard_normal((n, 5)).astype(np.float32), rng.integers(0, 3, n)
        got = s.run([loss, *grads], {x: xv, y: yv})
        eager = F.cross_entropy(model(morch.tensor(xv)), morch.tensor(yv))
        expected = [eager, *morch.autograd.grad(eager, params)]
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e.detach().numpy(), rtol=1e-6, atol=1e-7)
        with morch.no_grad():  # parameters change in place between runs, as an optimizer does
            for p, g in zip(params, got[1:]):
                p -= 0.1 * morch.tensor(g)
    plan = _plan_of(s)
    assert plan.replayable and len(plan.replays) == 2
    assert all(r.valid and r.verified for r in plan.replays.values())


def test_graphs_with_random_or_stateful_parts_are_evaluated_afresh():
    x = Placeholder((None, 6), name="x")
    s = Session()
    dropped = F.dropout(x, 0.5, training=True)
    feed = {x: np.ones((50, 6), dtype=np.float32)}
    masks = [s.run(dropped, feed) for _ in range(3)]
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    assert not _plan_of(s).replayable

    bn = morch.nn.BatchNorm1d(6)
    out = bn(x)
    s2 = Session()
    for _ in range(3):
        s2.run(out, {x: np.random.default_rng(0).standard_normal((8, 6)).astype(np.float32) + 3})
    assert int(bn.num_batches_tracked) == 3  # every run updates the running statistics
    assert bn.running_mean.numpy().mean() > 0.5
