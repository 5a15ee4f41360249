"""``morch.profiler``: PyTorch's CPU profiler API (``profile``, ``record_function``, ``schedule``).

Timing costs nothing when no profile is recording: only while one records is
``Function.apply`` (the entry point of every op) replaced by a timing wrapper, and the engine's
per-node backward call (``engine._node_grads``) likewise; both originals are put back when the
last recording profile stops. An op is named by its class (``MatMul``), a backward node by
``node.name()`` (``MatMulBackward``). Times are in microseconds; self time is total time minus
the total time of the events nested directly inside.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import socket
import threading
import time
from collections.abc import Callable

from morch.autograd import engine
from morch.autograd.function import Function

__all__ = [
    "ProfilerAction",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
]

_listeners: list = []  # profiles recording now; every new event goes to each of them
_stack: list = []  # events open now, innermost last (the parent of the next event)
_originals: dict = {}  # Function.apply and engine._node_grads while they are replaced
_shapes = [False]  # whether a recording profile wants input shapes


def _now() -> float:
    return time.perf_counter_ns() / 1000.0


class ProfilerActivity(enum.Enum):
    """What to profile. Only CPU is timed; CUDA (and the rest) are accepted and ignored."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


def supported_activities() -> set:
    """The activities morch can profile: the CPU."""
    return {ProfilerActivity.CPU}


class FunctionEvent:
    """One timed call: an op, a backward node or a ``record_function`` region.

    Args:
        name: the event's name (the op's class name, ``...Backward`` or the region's name).
        input_shapes: the inputs' shapes (lists), or an empty list when shapes are not recorded.
        parent: the event this one runs inside, or None.
        kind: "cpu_op" or "user_annotation" (the Chrome trace category).
    """

    def __init__(self, name: str, input_shapes: list, parent, kind: str = "cpu_op") -> None:
        self.name = self.key = name
        self.input_shapes = input_shapes
        self.cpu_parent = parent
        self.cpu_children: list = []
        self.kind = kind
        self.is_user_annotation = kind == "user_annotation"
        self.thread = threading.get_ident()
        self.count = 1
        self.start = _now()
        self.end = None

    @property
    def cpu_time_total(self) -> float:
        return 0.0 if self.end is None else self.end - self.start

    cpu_time = cpu_time_total

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def time_range(self) -> tuple:
        return (self.start, self.end)

    def __repr__(self) -> str:
        return f"<FunctionEvent {self.name} cpu_time_total={self.cpu_time_total:.3f}us shapes={self.input_shapes}>"


class FunctionEventAvg:
    """Events of one name (and, if grouped so, one input-shape list) added up.

    Args:
        key: the events' name.
        input_shapes: the shapes of the group (empty unless grouped by input shape).
    """

    def __init__(self, key: str, input_shapes: list) -> None:
        self.key = self.name = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.device_time_total = self.self_device_time_total = 0.0
        self.is_user_annotation = False

    def add(self, event) -> FunctionEventAvg:
        """Add one event (or another average) to this one."""
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.is_user_annotation = event.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        """The average total time of one call (microseconds)."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key} count={self.count} cpu_time_total={self.cpu_time_total:.3f}us "
            f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>"
        )


def _fmt_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


_SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "count", "device_time_total",
              "self_device_time_total", "cuda_time_total", "self_cuda_time_total", "cpu_memory_usage",
              "self_cpu_memory_usage")  # fmt: skip


class EventList(list):
    """A list of events (or of averages) that can be averaged, tabled and exported."""

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """Sum the events by name (and input shapes), in order of first appearance.

        Args:
            group_by_input_shape: keep calls with different input shapes apart.
            group_by_stack_n: accepted (morch records no stacks).
        """
        groups: dict = {}
        for e in self:
            shapes = e.input_shapes if group_by_input_shape else []
            key = (e.key, str(shapes))
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, shapes)
            groups[key].add(e)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        """All events added into one average named "Total"."""
        total = FunctionEventAvg("Total", [])
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_name_column_width: int = 55,
              header: str | None = None, top_level_events_only: bool = False, **kwargs) -> str:  # fmt: skip
        """The events as a text table, as PyTorch prints it.

        Args:
            sort_by: an attribute to sort by, largest first ("cpu_time_total", "self_cpu_time_total",
                "cpu_time", "count", ...); None keeps the list's order.
            row_limit: the most rows shown (-1: all).
            max_name_column_width: names longer than this are cut.
            header: a line printed above the table.
            top_level_events_only: show only events with no parent.
        """
        rows = [e for e in self if not (top_level_events_only and getattr(e, "cpu_parent", None) is not None)]
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"table: unknown sort_by {sort_by!r}; expected one of {', '.join(_SORT_KEYS)}")
            attr = sort_by.replace("cuda", "device")
            rows.sort(key=lambda e: getattr(e, attr, 0), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total or 1.0
        shapes = any(e.input_shapes for e in rows)
        name_w = max([len(e.key) for e in rows] + [4])
        name_w = min(name_w, max_name_column_width)
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [name_w] + [12] * len(cols) + ([40] if shapes else [])
        titles = ["Name", *cols] + (["Input Shapes"] if shapes else [])
        rule = "  ".join("-" * w for w in widths)
        lines = [header] if header else []
        lines += [rule, "  ".join(t.rjust(w) for t, w in zip(titles, widths)), rule]
        for e in rows:
            name = e.key if len(e.key) <= name_w else e.key[: name_w - 3] + "..."
            cells = [
                name,
                f"{100 * e.self_cpu_time_total / total:.2f}%",
                _fmt_time(e.self_cpu_time_total),
                f"{100 * e.cpu_time_total / total:.2f}%",
                _fmt_time(e.cpu_time_total),
                _fmt_time(e.cpu_time),
                str(e.count),
            ] + ([str(e.input_shapes)] if shapes else [])
            lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
        lines += [rule, f"Self CPU time total: {_fmt_time(self.self_cpu_time_total)}", ""]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (JSON with "traceEvents"; open in chrome://tracing or Perfetto).

        Args:
            path: the file to write.
        """
        pid = os.getpid()
        trace = [
            {
                "ph": "X",
                "cat": e.kind,
                "name": e.name,
                "pid": pid,
                "tid": e.thread,
                "ts": e.start,
                "dur": e.cpu_time_total,
                "args": {"Input Dims": e.input_shapes} if e.input_shapes else {},
            }
            for e in self
            if isinstance(e, FunctionEvent)
        ]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)


# ---------------------------------------------------------------- recording


def _open(name: str, shapes: list, kind: str = "cpu_op") -> FunctionEvent:
    parent = _stack[-1] if _stack else None
    ev = FunctionEvent(name, shapes, parent, kind)
    if parent is not None:
        parent.cpu_children.append(ev)
    _stack.append(ev)
    for p in _listeners:
        p._events.append(ev)
    return ev


def _close(ev: FunctionEvent) -> None:
    ev.end = _now()
    if _stack and _stack[-1] is ev:
        _stack.pop()
    elif ev in _stack:
        _stack.remove(ev)


def _timed_apply(cls, *inputs, **params):
    shapes = [list(t.shape) if getattr(t, "_data", None) is not None else [] for t in inputs] if _shapes[0] else []
    ev = _open(cls.__name__, shapes)
    try:
        return _originals["apply"].__func__(cls, *inputs, **params)
    finally:
        _close(ev)


def _timed_node_grads(fn, g):
    ev = _open(fn.name(), [list(g.shape)] if _shapes[0] else [])
    try:
        return _originals["node_grads"](fn, g)
    finally:
        _close(ev)


def _start_listening(prof) -> None:
    if not _listeners:
        _originals["apply"] = Function.__dict__["apply"]
        _originals["node_grads"] = engine._node_grads
        Function.apply = classmethod(_timed_apply)
        engine._node_grads = _timed_node_grads
    _listeners.append(prof)
    _shapes[0] = any(p.record_shapes for p in _listeners)


def _stop_listening(prof) -> None:
    if prof in _listeners:
        _listeners.remove(prof)
    _shapes[0] = any(p.record_shapes for p in _listeners)
    if not _listeners and _originals:
        Function.apply = _originals.pop("apply")
        engine._node_grads = _originals.pop("node_grads")


class record_function(contextlib.ContextDecorator):
    """Time a region under ``name`` (a context manager or decorator); free when nothing records.

    Args:
        name: the region's name in tables and traces.
        args: accepted (extra information PyTorch attaches to the event).
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._event = None

    def __enter__(self):
        self._event = _open(self.name, [], "user_annotation") if _listeners else None
        return self

    def __exit__(self, *exc) -> None:
        if self._event is not None:
            _close(self._event)
            self._event = None


# ---------------------------------------------------------------- schedules and profile


class ProfilerAction(enum.Enum):
    """What the profiler does during a step, as a ``schedule`` returns it."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0) -> Callable:
    """A step -> ``ProfilerAction`` function: skip ``skip_first`` steps, then cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (a trace is saved at the end of each cycle), ``repeat``
    times (0: without end).

    Args:
        wait: idle steps at the start of each cycle.
        warmup: warm-up steps (not recorded) before the active ones.
        active: recorded steps per cycle (at least 1).
        repeat: the number of cycles; 0 repeats until the profile ends.
        skip_first: steps ignored before the first cycle.
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(
            f"schedule: invalid arguments wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0)"
        )
    cycle = wait + warmup + active

    def schedule_fn(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        mod = step % cycle
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _always(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False) -> Callable:
    """An ``on_trace_ready`` handler writing each trace to ``dir_name`` as a Chrome trace file.

    Args:
        dir_name: the directory (created if missing).
        worker_name: the file name's prefix; defaults to "<host>_<pid>".
        use_gzip: accepted; morch writes plain JSON.
    """

    def handler(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{name}.{time.time_ns() // 1_000_000}.pt.trace.json"))

    return handler


class profile:
    """Profile the CPU time of ops, backward nodes and ``record_function`` regions (a context manager).

    Args:
        activities: ``ProfilerActivity`` values; only CPU is timed, others are ignored.
        schedule: a step -> ``ProfilerAction`` function (see ``schedule``); None records every step.
        on_trace_ready: called with the profile each time a trace is complete.
        record_shapes: record the input shapes of ops (``key_averages(group_by_input_shape=True)``).
        profile_memory, with_stack, with_flops, with_modules: accepted; morch records none of them.
    """

    def __init__(self, activities=None, schedule: Callable | None = None, on_trace_ready: Callable | None = None,
                 record_shapes: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False, **kwargs) -> None:  # fmt: skip
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule or _always
        self._record_steps = schedule is not None  # ProfilerStep#N regions only with a schedule, as PyTorch
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory, self.with_stack = profile_memory, with_stack
        self.with_flops, self.with_modules = with_flops, with_modules
        self.step_num = 0
        self.action = ProfilerAction.NONE
        self._events: list = []
        self._trace = EventList()
        self._step_region = None

    def start(self) -> None:
        """Start profiling (what entering the ``with`` block does)."""
        self.step_num = 0
        self._enter(self.schedule(0))

    def stop(self) -> None:
        """Stop profiling; an unfinished recording becomes the trace."""
        self._leave(ProfilerAction.NONE, final=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def step(self) -> None:
        """Mark the end of a training step: the schedule decides what the next one records."""
        self.step_num += 1
        nxt = self.schedule(self.step_num)
        self._leave(nxt, final=False)
        self._enter(nxt)

    def _enter(self, action: ProfilerAction) -> None:
        if action in _RECORDING:
            if self.action not in _RECORDING:
                self._events = []
                _start_listening(self)
            if self._record_steps:
                self._step_region = record_function(f"ProfilerStep#{self.step_num}").__enter__()
        self.action = action

    def _leave(self, nxt: ProfilerAction, final: bool) -> None:
        if self._step_region is not None:
            self._step_region.__exit__(None, None, None)
            self._step_region = None
        if self.action not in _RECORDING:
            return
        if final or self.action is ProfilerAction.RECORD_AND_SAVE or nxt not in _RECORDING:
            _stop_listening(self)
            self._trace = EventList(e for e in self._events if e.end is not None)
            self._events = []
            self.action = ProfilerAction.NONE
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def events(self) -> EventList:
        """The events of the last complete trace, in order of start."""
        return self._trace

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """The last trace's events summed by name (see ``EventList.key_averages``)."""
        return self._trace.key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        """Write the last trace as Chrome trace JSON to ``path``."""
        self._trace.export_chrome_trace(path)

    def add_metadata(self, key: str, value: str) -> None:
        """Accepted; morch does not write metadata into traces."""
