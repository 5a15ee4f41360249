"""``morch.multiprocessing``, as ``torch.multiprocessing``: the standard library's multiprocessing plus
``spawn``/``start_processes`` (run ``fn(i, *args)`` in ``nprocs`` processes and report which one
failed) and the sharing-strategy switches.

morch tensors are numpy arrays underneath and go between processes pickled by value (a Queue or a
Pipe sends a copy), so there is no shared-memory tensor storage: the sharing strategy is recorded
and reported, but changes nothing.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
from multiprocessing import *  # noqa: F403 - the standard library's names, as torch.multiprocessing re-exports them

__all__ = [
    "spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
    "ProcessExitedException", "get_all_sharing_strategies", "set_sharing_strategy", "get_sharing_strategy",
    *multiprocessing.__all__,
]  # fmt: skip

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_system" if sys.platform == "darwin" else "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """The sharing strategies accepted by ``set_sharing_strategy``: 'file_descriptor' and 'file_system'."""
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    """The current sharing strategy ('file_descriptor' on Linux, 'file_system' on macOS by default)."""
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Record the sharing strategy. morch pickles tensors by value, so it has no effect on how they travel.

    Args:
        new_strategy: 'file_descriptor' or 'file_system'.
    """
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(
            f"set_sharing_strategy: unknown strategy {new_strategy!r}, expected one of {sorted(_STRATEGIES)}"
        )
    _strategy = new_strategy


# ------------------------------------------------------------------ spawn
class ProcessException(Exception):
    """A process started by ``spawn`` failed.

    Args:
        msg: the message.
        error_index: the failed process's index i (its first argument).
        error_pid: its process id.
    """

    def __init__(self, msg: str, error_index: int, error_pid: int):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A process started by ``spawn`` raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A process started by ``spawn`` exited with a non-zero code or was killed by a signal.

    Args:
        msg: the message.
        error_index: the process's index.
        error_pid: its process id.
        exit_code: its exit code (negative: killed by that signal).
        signal_name: the signal's name, if one killed it.
    """

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn, i: int, args: tuple, errors) -> None:
    """The child's entry point: fn(i, *args); an exception's traceback goes to the parent, exit code 1."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent stops the children with SIGINT/SIGTERM; nothing to report
    except Exception:
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes started by ``spawn``/``start_processes``; ``join`` waits for them and raises on a failure.

    Args:
        processes: the started processes, in index order.
        error_queues: one queue per process, holding the traceback if its function raised.
    """

    def __init__(self, processes, error_queues):
        self.processes = list(processes)
        self.error_queues = list(error_queues)
        self._running = {p.sentinel: i for i, p in enumerate(self.processes)}

    def pids(self) -> list[int]:
        """The processes' ids, in index order."""
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait until all processes finished (True) or ``timeout`` seconds passed (False).

        When a process fails, the others are terminated and ``ProcessRaisedException`` (its function
        raised; the message holds the traceback) or ``ProcessExitedException`` (it exited with a
        non-zero code or a signal) is raised, naming the process's index.

        Args:
            timeout: seconds to wait; None waits until all have finished or one failed.
        """
        if not self._running:
            return True
        ready = multiprocessing.connection.wait(list(self._running), timeout=timeout)
        for sentinel in ready:
            i = self._running.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0:
                self._stop_others()
                raise self._failure(i)
        if self._running:
            return False
        for p in self.processes:
            p.join()
        return True

    def _stop_others(self) -> None:
        for i in self._running.values():
            if self.processes[i].is_alive():
                self.processes[i].terminate()
        for i in self._running.values():
            self.processes[i].join()
        self._running.clear()

    def _failure(self, i: int) -> ProcessException:
        p, queue = self.processes[i], self.error_queues[i]
        if not queue.empty():
            msg = f"spawn: process {i} (pid {p.pid}) terminated with the following error:\n{queue.get()}"
            return ProcessRaisedException(msg, i, p.pid)
        code = p.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            return ProcessExitedException(
                f"spawn: process {i} (pid {p.pid}) was killed by {name}", i, p.pid, code, name
            )
        return ProcessExitedException(f"spawn: process {i} (pid {p.pid}) exited with code {code}", i, p.pid, code)


def start_processes(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False, start_method: str = "spawn"):
    """Run ``fn(i, *args)`` for i = 0 .. nprocs - 1, each in its own process.

    Args:
        fn: the function; with 'spawn' or 'forkserver' it must be importable (defined at module level).
        args: the arguments after the index.
        nprocs: the number of processes.
        join: wait for all of them (raising if one failed) and return None; else return the
            ``ProcessContext``.
        daemon: start them as daemon processes.
        start_method: 'spawn', 'fork' or 'forkserver'.
    """
    if nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be at least 1, got {nprocs}")
    ctx = multiprocessing.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        queue = ctx.SimpleQueue()
        process = ctx.Process(target=_run, args=(fn, i, tuple(args), queue), daemon=daemon)
        process.start()
        processes.append(process)
        queues.append(queue)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False, start_method: str = "spawn"):
    """``start_processes`` with PyTorch's defaults; see there.

    Args:
        fn: the function, called as fn(i, *args).
        args: the arguments after the index.
        nprocs: the number of processes.
        join: wait for them (True) or return the ``ProcessContext``.
        daemon: start them as daemon processes.
        start_method: 'spawn' (default), 'fork' or 'forkserver'.
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
