"""``out=`` for morch's top-level functions, as PyTorch's take it: ``morch.add(a, b, out=c)`` computes
the result as usual and then writes it into ``c`` (or into a tuple of tensors for functions that return
several, such as ``max(x, 0, out=(values, indices))``).

Importing this module (the last line of ``morch/__init__.py``) rebinds every function of ``_OUT_NAMES`` in the
``morch`` namespace (and in the morch modules it re-exports from, to keep their identities equal) to a thin
wrapper. With ``out=None`` the wrapper calls straight through, so the
ordinary, graph-building and symbolic (static-graph) paths are unchanged. ``morch.nn.functional`` and the
Tensor methods are not wrapped.

Writing follows PyTorch's rules: an ``out`` of another shape is resized (with a warning unless it was
empty), the result is cast to ``out``'s dtype unless that would lower its category (float into int, int
into bool), and while grad mode is on neither ``out`` nor the result may require grad.
"""

from __future__ import annotations

import functools
import sys
import warnings

from morch.autograd import grad_mode
from morch.tensor import Tensor

__all__: list[str] = []

# torch's top-level functions that take out=, restricted to those morch has. Generated once (with torch
# installed) from torch/_C/_VariableFunctions.pyi and inspect.signature of torch's Python-level functions.
_OUT_NAMES = """
    abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr alias_copy all amax amin aminmax angle
    any arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort as_strided_copy asin
    asinh atan atan2 atanh baddbmm bernoulli bitwise_and bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_xor bmm bucketize cat ceil chain_matmul cholesky cholesky_inverse cholesky_solve
    clamp clamp_max clamp_min clip column_stack concat concatenate conj_physical copysign cos cosh cross cummax
    cummin cumprod cumsum deg2rad detach_copy diag diagonal_copy diff digamma div divide dot dstack empty eq erf
    erfc erfinv exp exp2 expand_copy expm1 eye fix float_power floor floor_divide fmax fmin fmod frac frexp
    frobenius_norm full gather gcd ge geqrf ger greater greater_equal gt hardshrink heaviside histc histogram
    hstack hypot i0 igamma igammac index_add index_copy index_reduce index_select inner inverse isin isneginf
    isposinf kron kthvalue lcm ldexp le lerp less less_equal lgamma linspace log log10 log1p log2 log_softmax
    logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or logical_xor logit logspace logsumexp lt
    lu lu_solve lu_unpack masked_select matmul matrix_power matrix_rank max maximum mean median min minimum mm
    mode msort mul multinomial multiply mv mvlgamma nan_to_num nanmean nanmedian nanquantile nansum narrow_copy
    ne neg negative nextafter nonzero nonzero_static norm normal not_equal nuclear_norm ones orgqr ormqr outer
    permute_copy polygamma pow prod qr quantile rad2deg rand randint randn randperm reciprocal remainder renorm
    round row_stack rsqrt scatter scatter_add scatter_reduce searchsorted select_copy sgn sigmoid sign signbit
    sin sinc sinh slice_copy slice_scatter slogdet softmax sort split_copy split_with_sizes_copy sqrt square
    squeeze_copy stack std sub subtract sum svd t_copy take take_along_dim tan tanh tensordot threshold topk
    transpose_copy triangular_solve tril triu true_divide trunc unbind_copy unfold_copy unsqueeze_copy var vdot
    view_copy vstack where xlogy zeros
""".split()

# PyTorch's names for dtypes in its casting error
_SCALAR_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "bfloat16": "BFloat16", "bool": "Bool",
    "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "uint16": "UInt16",
    "uint32": "UInt32", "uint64": "UInt64", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}  # fmt: skip

# casting categories: a result may go into an out of its own category or a higher one
_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _dtype_name(t: Tensor) -> str:
    name = t._data.dtype.name
    return _SCALAR_NAMES.get(name, name)


def _as_outs(name: str, result, out) -> tuple[list, list]:
    """The results and out tensors as matching lists, or PyTorch's TypeError when their structure differs."""
    if isinstance(result, (tuple, list)):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(
                f"{name}(): argument 'out' must be a tuple of {len(result)} Tensors, not {type(out).__name__}"
                + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
            )
        outs, results = list(out), list(result)
    else:
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        outs, results = [out], [result]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must hold Tensors, not {type(o).__name__}")
    return results, outs


def _write(name: str, result: Tensor, out: Tensor) -> None:
    """Resize ``out`` to ``result``'s shape if needed, check the cast, and copy ``result`` into it."""
    if not isinstance(result, Tensor):
        from morch.creation import tensor

        result = tensor(result)
    if _RANK.get(result._data.dtype.kind, 0) > _RANK.get(out._data.dtype.kind, 0):
        raise RuntimeError(
            f"{name}(): result type {_dtype_name(result)} can't be cast to the desired output type {_dtype_name(out)}"
        )
    shape = result._data.shape
    if out._data.shape != shape:
        if out._data.size:
            warnings.warn(
                f"{name}(): an output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape {list(shape)}. "
                "Resize it to zero elements first (out.resize_(0)) to reuse it without this warning.",
                UserWarning,
                stacklevel=4,
            )
        out.resize_(shape)
    out.copy_(result)


def write_out(name: str, result, out):
    """Write ``result`` (a tensor or a tuple of them) into ``out`` by PyTorch's ``out=`` rules and return ``out``.

    Args:
        name: the function's name, for error messages.
        result: what the function computed.
        out: a tensor, or a tuple/list of tensors matching a tuple result.
    """
    from morch.static import Symbolic

    results, outs = _as_outs(name, result, out)
    if any(isinstance(t, Symbolic) for t in results + outs):
        raise RuntimeError(f"{name}(): out= is not supported while building a static graph (symbolic tensors)")
    if grad_mode._enabled and any(isinstance(t, Tensor) and t.requires_grad for t in results + outs):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    with grad_mode.no_grad():
        for r, o in zip(results, outs):
            _write(name, r, o)
    if isinstance(out, Tensor):
        return out
    return type(result)(*outs) if hasattr(result, "_fields") else out


def _with_out(name: str, fn):
    """``fn`` taking a keyword-only ``out``; with ``out=None`` it is a direct call."""

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return write_out(name, fn(*args, **kwargs), out)

    wrapper._without_out = fn
    return wrapper


def _install() -> None:
    """Wrap each listed function once (aliases share the wrapper) and rebind it wherever morch binds it: the
    ``morch`` namespace and the modules it re-exports from, so ``morch.add is morch.functional.add`` and
    ``morch.special.gammaln is morch.lgamma`` still hold. ``morch.nn.functional`` keeps the originals."""
    morch = sys.modules["morch"]
    wrapped = {}
    for name in _OUT_NAMES:
        fn = getattr(morch, name, None)
        if callable(fn) and not hasattr(fn, "_without_out") and id(fn) not in wrapped:
            wrapped[id(fn)] = (fn, _with_out(fn.__name__, fn))
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod_name == "morch.nn.functional" or not mod_name.startswith("morch"):
            continue
        names = vars(mod)
        for attr, value in list(names.items()):
            hit = wrapped.get(id(value))
            if hit is not None and hit[0] is value and not attr.startswith("__"):
                names[attr] = hit[1]


_install()
