"""Process-wide switches (morch/_runtime.py): threads, compile, determinism, matmul precision."""

from __future__ import annotations

import subprocess
import sys

import pytest

import morch
from morch import _runtime


def test_set_num_threads_changes_the_blas_thread_count():
    before = morch.get_num_threads()
    try:
        morch.set_num_threads(1)
        assert morch.get_num_threads() == 1
        if _runtime._blas_functions() is not None:  # numpy's OpenBLAS was found: the library itself changed
            assert _runtime._blas_functions()[0]() == 1
    finally:
        morch.set_num_threads(before)
    assert morch.get_num_threads() == before
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            morch.set_num_threads(bad)
    assert morch.get_num_interop_threads() == 1


def test_numpy_openblas_is_found_on_linux_wheels():
    code = "from morch import _runtime; print(_runtime._blas_functions() is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    blas = str(__import__("numpy").show_config(mode="dicts")).lower()
    if sys.platform.startswith("linux") and "openblas" in blas:
        assert out.strip() == "True"


def test_compile_returns_the_model():
    lin = morch.nn.Linear(2, 2)
    assert morch.compile(lin) is lin
    assert morch.compile(mode="max-autotune")(lin) is lin

    @morch.compile
    def f(x):
        return x * 2

    assert f(morch.ones(1)).item() == 2
    with pytest.raises(TypeError, match="compile: expected a module or a function"):
        morch.compile(3)


def test_determinism_and_precision_switches():
    assert not morch.are_deterministic_algorithms_enabled()
    morch.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert morch.are_deterministic_algorithms_enabled() and morch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        morch.use_deterministic_algorithms(False)
    morch.set_float32_matmul_precision("high")
    assert morch.get_float32_matmul_precision() == "high"
    morch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="Invalid precision 'low'"):
        morch.set_float32_matmul_precision("low")
