"""Run the benchmarks: morch, PyTorch CPU and hand-written numpy, interleaved in one process.

    python -m bench                 # everything, results/<date>.md and .png (<date>-2 ... if taken)
    python -m bench --quick         # fewer repetitions, skips the slowest workloads
    python -m bench --only mlp_b64 chain_10k

Each workload runs for every framework in turn, repeated; the table reports medians over the
repetitions and the ratios morch/numpy and morch/torch (below 1 means morch is faster). Peak
memory is measured per framework in a fresh process training one MNIST MLP epoch. Every timing
process applies morch's allocator policy (``morch._alloc.tune``: freed memory is kept for reuse)
first, so a framework measured alone runs under the same malloc settings as when interleaved.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.workloads import all_workloads
from morch import _alloc

RESULTS = Path(__file__).resolve().parent / "results"
FRAMEWORKS = ("numpy", "morch", "torch")


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _threads() -> int:
    return int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))


def _calibrate(step, target: float) -> int:
    """How many calls take about ``target`` seconds (at least one)."""
    step()
    t0 = time.perf_counter()
    step()
    once = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(target / once))


def measure(workload, frameworks: list[str], reps: int, target: float) -> dict:
    """Median seconds per call for each framework, interleaving frameworks repetition by repetition."""
    steps, counts, times = {}, {}, {}
    for fw in frameworks:
        maker = workload.makers.get(fw)
        if maker is None:
            continue
        steps[fw] = maker(fw)
        for _ in range(3):  # warm up caches and lazy initialisation
            steps[fw]()
        counts[fw] = _calibrate(steps[fw], target)
        times[fw] = []
    order = list(steps)
    if not order:
        return {}
    for r in range(reps):
        for fw in order[r % len(order) :] + order[: r % len(order)]:  # rotate who goes first
            step, n = steps[fw], counts[fw]
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            times[fw].append((time.perf_counter() - t0) / n)
    return {fw: statistics.median(ts) for fw, ts in times.items()}


def isolated(workloads: list, frameworks: list[str], reps: int) -> list:
    """Medians measured with one framework per fresh process, as (workload, {framework: seconds}) rows."""
    names = [w.name for w in workloads]
    found: dict = {name: {} for name in names}
    for fw in frameworks:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            path = f.name
        try:
            cmd = [sys.executable, "-m", "bench", "--only", *names, "--frameworks", fw, "--reps", str(reps),
                   "--no-memory", "--json", path]  # fmt: skip
            subprocess.run(cmd, check=True, capture_output=True, timeout=3600, cwd=Path(__file__).resolve().parents[1])
            for name, res in json.loads(Path(path).read_text()).items():
                found[name].update(res)
        finally:
            os.remove(path)
    return [(w, found[w.name]) for w in workloads]


def peak_memory(framework: str) -> float | None:
    """Peak RSS in MiB of a fresh process training one MNIST MLP epoch with ``framework``."""
    proc = subprocess.run([sys.executable, "-m", "bench.memory", framework], capture_output=True, text=True,
                          timeout=900, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    if proc.returncode != 0:
        print(f"memory run for {framework} failed: {proc.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return float(proc.stdout.strip().splitlines()[-1])


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _ratio(a, b) -> str:
    return "–" if a is None or b is None else f"{a / b:.2f}"


def table(rows: list, frameworks: list[str]) -> str:
    lines = ["| workload | numpy | morch | torch | morch/numpy | morch/torch |", "|---|---:|---:|---:|---:|---:|"]
    for w, res in rows:
        t = {fw: res.get(fw) for fw in FRAMEWORKS}
        per_op = w.ops > 1
        cells = [_fmt(t[fw] / w.ops if per_op and t[fw] else t[fw]) + (" /op" if per_op and t[fw] else "")
                 for fw in FRAMEWORKS]  # fmt: skip
        lines.append(f"| {w.name}: {w.description} | {' | '.join(cells)} | {_ratio(t['morch'], t['numpy'])} | "
                     f"{_ratio(t['morch'], t['torch'])} |")  # fmt: skip
    return "\n".join(lines)


def chart(rows: list, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [w.name for w, _ in rows]
    vs_numpy = [res["morch"] / res["numpy"] if res.get("numpy") else np.nan for _, res in rows]
    vs_torch = [res["morch"] / res["torch"] if res.get("torch") else np.nan for _, res in rows]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.bar(x - 0.2, vs_numpy, 0.4, label="morch / numpy")
    ax.bar(x + 0.2, vs_torch, 0.4, label="morch / torch")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel("time ratio (lower is better for morch)")
    ax.set_title(f"morch benchmarks, {datetime.date.today()} ({_threads()} threads)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 repetitions, no 100k chain, no memory runs")
    p.add_argument("--only", nargs="*", help="workload names to run")
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 7, quick 3)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument("--frameworks", nargs="*", choices=FRAMEWORKS, help="run only these (e.g. one per process)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    p.add_argument("--out", default=str(RESULTS), help="folder for the dated results")
    p.add_argument("--no-isolated", action="store_true", help="skip the one-framework-per-process runs")
    p.add_argument("--json", help=argparse.SUPPRESS)  # medians as JSON, for the isolated runs
    args = p.parse_args(argv)

    _alloc.tune()  # the same malloc settings for every framework, alone or interleaved (see the docstring)
    threads = _threads()
    frameworks = ["numpy", "morch"] + (["torch"] if not args.no_torch and _torch_available() else [])
    if args.frameworks:
        frameworks = [fw for fw in frameworks if fw in args.frameworks]
    if "torch" in frameworks:
        import torch

        torch.set_num_threads(threads)
    reps = args.reps or (3 if args.quick else 7)
    target = 0.1 if args.quick else 0.25
    workloads = [w for w in all_workloads() if (not args.only or w.name in args.only) and (w.quick or not args.quick)]
    rows = []
    for w in workloads:
        t0 = time.perf_counter()
        res = measure(w, frameworks, reps, target)
        rows.append((w, res))
        if not res:
            continue
        print(f"{w.name:18s} " + "  ".join(f"{fw} {_fmt(res[fw])}" for fw in res)
              + f"   ({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({w.name: res for w, res in rows}))
        return
    memory = {}
    if not (args.quick or args.no_memory):
        memory = {fw: peak_memory(fw) for fw in frameworks}
    alone = [] if args.quick or args.no_isolated else isolated([w for w, _ in rows], frameworks, reps)

    import morch

    lines = [f"# morch benchmarks, {datetime.date.today()}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"numpy {np.__version__}, morch {morch.__version__}"
             + (f", torch {sys.modules['torch'].__version__} ({threads} threads)" if "torch" in frameworks else "")
             + f". {reps} repetitions, frameworks interleaved; medians. Command: `python -m bench"
             + (" --quick" if args.quick else "") + "`.", "", table(rows, frameworks), ""]  # fmt: skip
    static = {w.name: r for w, r in rows}
    if "mlp_b64" in static and "mlp_b64_static" in static:
        lines.append(f"Static graph vs eager (morch, MLP step b64): "
                     f"{static['mlp_b64_static']['morch'] / static['mlp_b64']['morch']:.2f}")  # fmt: skip
    chains = [(n, static.get(f"chain_{k}")) for n, k in ((1_000, "1k"), (10_000, "10k"), (100_000, "100k"))]
    if any(c for _, c in chains):
        lines.append("")
        lines.append("Per-op cost of a chain, forward + backward: " + ", ".join(
            f"{n:,} ops: morch {_fmt(c['morch'] / n)}" + (f", torch {_fmt(c['torch'] / n)}" if 'torch' in c else "")
            for n, c in chains if c))  # fmt: skip
    if alone:
        lines += ["", "The same workloads with each framework alone in a fresh process (no other framework's "
                  "threads or caches in the way; PyTorch in particular runs faster alone):", "",
                  table(alone, frameworks)]  # fmt: skip
    if memory:
        lines += ["", "Peak RSS of one MNIST MLP epoch (784-128-10, batch 64), fresh process: "
                  + ", ".join(f"{fw} {mb:.0f} MiB" for fw, mb in memory.items() if mb)]  # fmt: skip
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md, png = _result_paths(out, str(datetime.date.today()))
    md.write_text(report, encoding="utf-8")
    if chart(rows, png):
        report += f"\n![ratios]({png.name})\n"
        md.write_text(report, encoding="utf-8")
    print(f"written: {md}")


def _result_paths(folder: Path, date: str) -> tuple[Path, Path]:
    """``<date>.md`` and ``.png``, or ``<date>-2`` etc. when that day already has results (kept, not overwritten)."""
    n = 1
    while True:
        stem = date if n == 1 else f"{date}-{n}"
        md, png = folder / f"{stem}.md", folder / f"{stem}.png"
        if not md.exists() and not png.exists():
            return md, png
        n += 1


if __name__ == "__main__":
    main()
