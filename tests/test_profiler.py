"""morch.profiler and morch.autograd.profiler: op timing, regions, schedules, tables and traces."""

import json

import pytest

import morch
from helpers import requires_torch, torch
from morch.autograd import engine
from morch.autograd.function import Function
from morch.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


def _model():
    morch.manual_seed(0)
    return morch.nn.Sequential(morch.nn.Linear(3, 4), morch.nn.ReLU(), morch.nn.Linear(4, 1))


def _train_step(model):
    model(morch.randn(5, 3)).sum().backward()


def _by_name(prof):
    return {a.key: a for a in prof.key_averages()}


def test_ops_backward_nodes_and_counts():
    model = _model()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        _train_step(model)
    avg = _by_name(prof)
    assert avg["Linear"].count == 2
    assert avg["Relu"].count == 1
    assert avg["LinearBackward"].count == 2
    assert avg["ReluBackward"].count == 1
    for a in prof.key_averages():
        assert 0 <= a.self_cpu_time_total <= a.cpu_time_total + 1e-9
        assert a.cpu_time == pytest.approx(a.cpu_time_total / a.count)
    # self time of an event is its total minus its direct children's totals
    for e in prof.events():
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total for c in e.cpu_children))


def test_apply_and_engine_restored():
    apply, node_grads = Function.__dict__["apply"], engine._node_grads
    with profile():
        assert Function.__dict__["apply"] is not apply
        assert engine._node_grads is not node_grads
        with profile():  # nested profiles share one patch
            _train_step(_model())
        assert Function.__dict__["apply"] is not apply
    assert Function.__dict__["apply"] is apply
    assert engine._node_grads is node_grads
    with pytest.raises(RuntimeError), profile():
        raise RuntimeError("boom")
    assert Function.__dict__["apply"] is apply


def test_record_function_regions_nest_ops():
    @record_function("decorated")
    def f(x):
        return x * 2

    x = morch.ones(3)
    f(x)  # not profiling: nothing recorded, nothing fails
    with profile() as prof:
        with record_function("region"):
            y = x + 1
        f(y)
    names = [e.name for e in prof.events()]
    assert "region" in names and "decorated" in names
    region = next(e for e in prof.events() if e.name == "region")
    assert [c.name for c in region.cpu_children] == ["Add"]
    assert region.is_user_annotation
    assert region.self_cpu_time_total <= region.cpu_time_total


def test_record_shapes_groups():
    x, y = morch.ones(2, 3), morch.ones(4)
    with profile(record_shapes=True) as prof:
        x + 1
        y + 1
        y + 2
    groups = [a for a in prof.key_averages(group_by_input_shape=True) if a.key == "Add"]
    assert sorted(a.count for a in groups) == [1, 2]
    assert [2, 3] in [s for a in groups for s in a.input_shapes]
    assert len([a for a in prof.key_averages() if a.key == "Add"]) == 1


def test_table_header_and_sorting():
    with profile() as prof:
        _train_step(_model())
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    assert isinstance(table, str)
    for col in ("Name", "Self CPU %", "Self CPU", "CPU total", "CPU time avg", "# of Calls", "Self CPU time total"):
        assert col in table
    rows = [line for line in table.splitlines()[3:] if line and not line.startswith("-")][:-1]
    assert len(rows) == 3
    top = max(prof.key_averages(), key=lambda a: a.cpu_time_total)
    assert rows[0].split()[0] == top.key  # sorted by total time
    assert all("ProfilerStep" not in r for r in table.splitlines())  # step regions only with a schedule
    with pytest.raises(ValueError, match="unknown sort_by 'bogus'"):
        prof.key_averages().table(sort_by="bogus")


def test_schedule_actions_and_errors():
    s = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    acts = [s(i) for i in range(7)]
    A = ProfilerAction
    assert acts == [A.NONE, A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE]
    with pytest.raises(ValueError, match="active=0"):
        schedule(wait=0, warmup=0, active=0)


@requires_torch
def test_schedule_matches_torch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=2, active=1, repeat=2, skip_first=3)]:
            ours, theirs = schedule(**kw), torch.profiler.schedule(**kw)
            assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_schedule_records_only_active_steps(tmp_path):
    traces = []
    x = morch.ones(2)
    apply = Function.__dict__["apply"]
    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2), on_trace_ready=traces.append) as prof:
        for step in range(10):
            with record_function(f"work{step}"):
                x + 1
            prof.step()
    assert len(traces) == 2
    names = [e.name for e in prof.events()]
    assert [n for n in names if n.startswith("work")] == ["work6", "work7"]
    assert [n for n in names if n.startswith("ProfilerStep")] == ["ProfilerStep#6", "ProfilerStep#7"]
    assert _by_name(prof)["Add"].count == 2
    assert Function.__dict__["apply"] is apply  # nothing left behind
    assert not morch.profiler._listeners


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    with profile(on_trace_ready=morch.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), "w0")) as prof:
        with record_function("region"):
            morch.ones(2) * 3
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    names = {e["name"] for e in trace["traceEvents"]}
    assert {"region", "Mul"} <= names
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in trace["traceEvents"])
    files = list((tmp_path / "tb").iterdir())
    assert len(files) == 1 and files[0].name.startswith("w0.") and files[0].name.endswith(".pt.trace.json")
    assert "traceEvents" in json.loads(files[0].read_text())


def test_legacy_autograd_profiler():
    from morch.autograd import profiler as legacy

    assert legacy.record_function is record_function
    with legacy.profile() as prof:
        _train_step(_model())
    assert "LinearBackward" in prof.key_averages().table()
    assert "Linear" in prof.table(sort_by="self_cpu_time_total")
    assert prof.self_cpu_time_total > 0
    assert any(e.name == "Relu" for e in prof.function_events)
    with legacy.profile(enabled=False) as off:
        _train_step(_model())
    assert len(off.function_events) == 0


@requires_torch
def test_api_names_match_torch():
    for name in ("profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity",
                 "tensorboard_trace_handler", "supported_activities"):  # fmt: skip
        assert hasattr(torch.profiler, name) and hasattr(morch.profiler, name)
    for name in ("step", "key_averages", "events", "export_chrome_trace", "start", "stop"):
        assert hasattr(torch.profiler.profile, name) and hasattr(profile, name)
    for name in ("profile", "record_function", "EventList", "FunctionEvent"):
        assert hasattr(torch.autograd.profiler, name) and hasattr(morch.autograd.profiler, name)
    assert {a.name for a in ProfilerAction} <= {a.name for a in torch.profiler.ProfilerAction}
    assert hasattr(morch.profiler.ProfilerActivity, "CUDA")
