"""morch: a small, readable, plugin-extensible deep-learning framework on numpy.

Use it as PyTorch: ``import morch as torch``.
"""

import builtins as _builtins
from types import SimpleNamespace as _SimpleNamespace

from morch import _alloc
from morch import dtypes as _dtypes
from morch.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from morch.tensor import Size, Tensor, device, set_printoptions
from morch._layout import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from morch import functional as _functional
from morch.creation import *  # noqa: F403
from morch.creation import __all__ as _creation_all
from morch.dtypes import (  # noqa: A004 - PyTorch's names shadow builtins here, as in torch
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from morch.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from morch.serialization import load, save
from morch._runtime import *  # noqa: F403
from morch._dtype_info import can_cast, finfo, iinfo, promote_types, result_type
from morch._runtime import __all__ as _runtime_all
from morch import autograd, backends, cuda, ops  # noqa: E402
from morch import nn, optim, utils  # noqa: E402
from morch import amp, distributed, distributions, func, hub, jit, multiprocessing, profiler, special  # noqa: E402
from morch.amp import autocast, is_autocast_enabled  # noqa: E402
import morch.utils.data  # noqa: E402

__version__ = "0.1.0"

_alloc.tune()

_FUNCTIONAL = [n for n in dir(_functional) if not n.startswith("_") and callable(getattr(_functional, n))
               and getattr(getattr(_functional, n), "__module__", None) == "morch.functional"]  # fmt: skip
globals().update({n: getattr(_functional, n) for n in _FUNCTIONAL})
from morch import linalg, testing  # noqa: E402

globals().update(linalg.TOP_LEVEL)  # torch.det, torch.inverse ... beside torch.linalg
globals().update(getattr(special, "TOP_LEVEL", {}))  # torch.igamma ... beside torch.special
from morch._math_more import *  # noqa: F403
from morch._index_more import *  # noqa: F403
from morch._nn_toplevel import *  # noqa: F403
from morch._compat_more import *  # noqa: F403
from morch import _compat_more, _index_more, _math_more, _nn_toplevel  # noqa: E402


version = _SimpleNamespace(__version__=__version__, cuda=None, hip=None, debug=False, git_version=None)


def get_default_device() -> device:
    """Always the CPU."""
    return device("cpu")


def set_default_device(dev) -> None:
    """Only 'cpu' (or None) is accepted: morch runs on the CPU.

    Args:
        dev: the device.
    """
    if dev is not None and str(dev).split(":")[0] != "cpu":
        raise RuntimeError(f"set_default_device: morch runs on the CPU only, got {dev!r}")


def is_tensor(obj) -> _builtins.bool:
    """True if ``obj`` is a morch Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> _builtins.bool:
    return input.is_floating_point()


def numel(input: Tensor) -> _builtins.int:
    return input.numel()


__all__ = (
    ["Tensor", "Size", "device", "dtype", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
     "inference_mode", "Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
     "get_default_dtype", "set_default_dtype", "save", "load", "is_tensor", "is_floating_point", "numel", "autograd",
     "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "half", "float",
     "double", "short", "int", "long"]
    + [n for n in _creation_all if n != "Size"]
    + _runtime_all
    + ["amp", "distributed", "distributions", "func", "jit", "special", "autocast", "is_autocast_enabled"]
    + ["version", "get_default_device", "set_default_device"]
    + ["memory_format", "layout", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]
    + ["strided"]
    + ["finfo", "iinfo", "promote_types", "result_type", "can_cast", "set_printoptions"]
    + _FUNCTIONAL
    + ["linalg", "testing", *linalg.TOP_LEVEL]
    + ["multiprocessing", "hub", "profiler", *getattr(special, "TOP_LEVEL", {})]
    + _math_more.__all__ + _index_more.__all__ + _nn_toplevel.__all__ + _compat_more.__all__
)  # fmt: skip


def __getattr__(name: str):
    # ops registered by plugins appear as morch.<name>; plugins load on the first unknown name.
    # "import morch.plugins", not "from morch import plugins": the latter asks this hook for
    # "plugins" again and recurses.
    if name.startswith("_"):
        raise AttributeError(f"module 'morch' has no attribute {name!r}")
    import morch.plugins as _plugins

    fn = _plugins.op_function(name)
    if fn is None:
        raise AttributeError(f"module 'morch' has no attribute {name!r}")
    return fn


# out= for the top-level functions that take it in PyTorch (installed last: it wraps names bound above)
from morch import _out_arg  # noqa: E402
