"""Tensor: an n-d array with autograd metadata. It has no math of its own: every method calls
one function of ``morch.functional`` (bound at the bottom of this file)."""

from __future__ import annotations

import copy as _copy
import numbers
import operator
import warnings
import weakref

import numpy as np

from morch import dtypes
from morch.autograd import grad_mode


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints like ``morch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"morch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """A device. morch computes on the CPU only; ``'cpu'`` is accepted so device-agnostic code runs."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        kind = str(type).split(":")[0]
        if kind != "cpu":
            raise RuntimeError(f"morch runs on the CPU only; device {type!r} is not available")
        self.type, self.index = "cpu", index

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other) -> bool:
        try:
            return device(other).type == self.type
        except (RuntimeError, TypeError):
            return False

    def __hash__(self) -> int:
        return hash("cpu")


_CPU = device("cpu")


class Tensor:
    """An n-dimensional array with reverse-mode autograd.

    ``morch.Tensor(data)`` makes a float32 tensor from data (as ``torch.Tensor``), and
    ``morch.Tensor(2, 3)`` an uninitialised one of that size; prefer ``morch.tensor``.
    """

    # _base: for a view (it shares another tensor's memory), a weak reference to the tensor owning that
    # memory, whose version an untracked in-place write through the view also bumps
    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "_version", "_hooks", "_base", "__weakref__")
    # numpy defers to Tensor for mixed operators (arr + t, arr @ t)
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False):
        if device is not None:
            globals()["device"](device)
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            from morch.creation import _from_data

            arr = np.array(_from_data(args[0], nd), copy=True)
        else:
            arr = np.empty(_size_arg(args) if args else (0,), dtype=nd)
        _init(self, arr, None, False)
        if requires_grad:
            self.requires_grad = True

    # ---------------------------------------------------------------- attributes
    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, detached from the graph (changes to it are not tracked)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr

    @property
    def requires_grad(self) -> bool:
        """Whether autograd records operations on this tensor (settable on leaves)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data is not None and self._data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (got {self.dtype})")
        self._requires_grad = value

    @property
    def is_leaf(self) -> bool:
        """True if this tensor was not made by a recorded op (its ``grad`` is filled by backward)."""
        return self.grad_fn is None

    @property
    def shape(self) -> Size:
        """The size of each dimension, as a ``morch.Size``."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """The size of one element in bytes."""
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        """The step, in elements, between neighbours along each dimension (or along ``dim``)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the elements lie in memory in row-major order without gaps (or in the order of
        ``memory_format``: ``morch.channels_last`` ...).

        Args:
            memory_format: None or ``contiguous_format`` for row-major, or a channels-last format.
        """
        from morch import _layout

        order = _layout.ORDERS.get(memory_format)
        if order is None:
            return self._data.flags.c_contiguous
        return self._data.ndim == len(order) and self._data.transpose(order).flags.c_contiguous

    @property
    def layout(self):
        """Always ``morch.strided``."""
        from morch import _layout

        return _layout.strided

    def data_ptr(self) -> int:
        """The address of the first element."""
        return self._data.ctypes.data

    @property
    def dtype(self) -> dtypes.dtype:
        """The dtype (``morch.float32`` ...)."""
        return dtypes.from_numpy(self._data.dtype)

    def is_floating_point(self) -> bool:
        """True for float16, float32 and float64 tensors."""
        return self._data.dtype.kind == "f"

    @property
    def device(self) -> device:
        """Always the CPU device."""
        return _CPU

    is_cuda = False

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions in reverse order."""
        return _F.permute(self, None)

    @property
    def mT(self) -> Tensor:
        """The tensor with its last two dimensions swapped (a batch of transposed matrices)."""
        if self._data.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of each matrix of a batch: ``mT``, as morch tensors are real."""
        if self._data.ndim < 2:
            raise RuntimeError(
                f"tensor.mH is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix: its transpose, as morch tensors are real (a 0-d tensor
        gives itself, which PyTorch deprecates)."""
        nd = self._data.ndim
        if nd == 0:
            return self
        if nd != 2:
            hint = " For batches of matrices, consider using tensor.mH" if nd > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor.{hint}")
        return self.transpose(0, 1)

    def adjoint(self) -> Tensor:
        """The conjugate transpose of each matrix of a batch (``mH``; a transpose for real tensors)."""
        return self.mH

    @property
    def retains_grad(self) -> bool:
        """True if ``retain_grad()`` was called on this non-leaf tensor."""
        return self.grad_fn is not None and any(getattr(h, "_retains", False) for h in self.grad_fn._hooks or ())

    # ---------------------------------------------------------------- conversions
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as a numpy array sharing memory with this tensor."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def tolist(self):
        """The data as (nested) Python lists of numbers; a 0-d tensor gives a number."""
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    def __getattr__(self, name: str):
        # reached only when normal lookup fails. A property that raised AttributeError lands here
        # too: run it again so that its own error shows. Otherwise Tensor methods that op plugins
        # add appear here (the first unknown name loads the installed plugins; see morch.plugins).
        if hasattr(type(self), name):
            return object.__getattribute__(self, name)
        if not name.startswith("_"):
            import morch.plugins as _plugins

            fn = _plugins.op_function(name, namespace="Tensor")
            if fn is not None:
                return fn.__get__(self, type(self))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return _repr(self)

    def __reduce_ex__(self, protocol):
        if self.grad_fn is not None:
            raise RuntimeError("only leaf tensors (not the result of an op) can be pickled; detach() first")
        return (_rebuild, (self._data, self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol"
            )
        new = type(self).__new__(type(self))
        _init(new, _copy.deepcopy(self._data, memo), None, self._requires_grad)
        if self.grad is not None:
            new.grad = _copy.deepcopy(self.grad, memo)
        memo[id(self)] = new
        return new

    def to(self, *args, **kwargs) -> Tensor:
        """Cast to a dtype (``t.to(morch.float64)``, ``t.to(other)``); devices other than the CPU are refused."""
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        memory_format = kwargs.pop("memory_format", None)
        kwargs.pop("non_blocking", None)
        if "device" in kwargs:
            device(kwargs.pop("device"))
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                device(a)
            elif a is not None:
                dtype = a
        out = self if dtype is None else self.type(dtype)
        if memory_format is not None:
            out = out.contiguous(memory_format)
        return out.clone() if copy and out is self else out

    def cpu(self) -> Tensor:
        """This tensor (morch tensors always live on the CPU)."""
        return self

    def cuda(self, *args, **kwargs):
        """Refused: morch runs on the CPU only."""
        raise RuntimeError("morch runs on the CPU only; CUDA is not available")

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """Without arguments, the type name (``'morch.FloatTensor'``); with a dtype, a legacy type
        (``morch.DoubleTensor``) or its name (``'torch.DoubleTensor'``), a cast copy (this tensor if it
        already has that dtype)."""
        if dtype is None:
            return "morch." + _TYPE_NAMES.get(self._data.dtype.name, "Tensor")
        from morch import functional

        return functional._to_dtype(self, legacy_type_dtype(dtype) or dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """A copy cast to ``other``'s dtype (this tensor itself if it already has it).

        Args:
            other: the tensor whose dtype to take.
        """
        return self.type(other.dtype)

    def float(self) -> Tensor:
        """Cast to float32 (no copy if already float32)."""
        return self.type(dtypes.float32)

    def double(self) -> Tensor:
        """Cast to float64 (no copy if already float64)."""
        return self.type(dtypes.float64)

    def half(self) -> Tensor:
        """Cast to float16 (no copy if already float16)."""
        return self.type(dtypes.float16)

    def long(self) -> Tensor:
        """Cast to int64, truncating floats towards zero."""
        return self.type(dtypes.int64)

    def int(self) -> Tensor:
        """Cast to int32, truncating floats towards zero."""
        return self.type(dtypes.int32)

    def bool(self) -> Tensor:
        """Cast to bool (nonzero is True)."""
        return self.type(dtypes.bool)

    def short(self) -> Tensor:
        """Cast to int16."""
        return self.type(dtypes.int16)

    def char(self) -> Tensor:
        """Cast to int8."""
        return self.type(dtypes.int8)

    def byte(self) -> Tensor:
        """Cast to uint8."""
        return self.type(dtypes.uint8)

    def bfloat16(self) -> Tensor:
        """Refused: morch has no bfloat16 dtype (numpy has none)."""
        raise TypeError("bfloat16: morch has no bfloat16 dtype; use float32 (or float16 to save memory)")

    @property
    def itemsize(self) -> int:
        """The size of one element in bytes."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """The bytes the elements take (numel * itemsize)."""
        return self._data.nbytes

    def storage_offset(self) -> int:
        """How many elements of the memory block this tensor views lie before its first element (0
        for a tensor owning its memory). morch counts from the start of the numpy array owning the
        memory, so a tensor made by ``from_numpy`` of a numpy slice has the slice's offset (0 in PyTorch)."""
        return (self._data.ctypes.data - _memory_owner(self._data).ctypes.data) // self._data.itemsize

    def untyped_storage(self) -> UntypedStorage:
        """The memory this tensor and its views share, as a minimal ``UntypedStorage``: morch's has
        only ``data_ptr()``, ``nbytes()``, ``size()``, ``element_size()`` and ``len()``, enough to
        tell whether two tensors share memory."""
        return UntypedStorage(_memory_owner(self._data))

    def is_pinned(self, device=None) -> bool:
        """Always False: morch has no accelerator, so no page-locked memory.

        Args:
            device: ignored.
        """
        return False

    def pin_memory(self, device=None) -> Tensor:
        """Refused as in a CPU-only PyTorch: pinned memory needs an accelerator, which morch lacks.

        Args:
            device: ignored.
        """
        raise RuntimeError("pin_memory: Cannot access accelerator device when none is available.")

    def share_memory_(self) -> Tensor:
        """This tensor, unchanged. PyTorch moves the memory to shared memory for other processes;
        morch's numpy memory stays private to this process (a forked child gets a copy)."""
        return self

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor's value.

        Raises RuntimeError for a tensor of no elements or of more than one, as PyTorch."""
        n = self._data.size
        if n != 1:
            what = "no values" if n == 0 else "more than one value"
            raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()))

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self); may be omitted for a one-element tensor.
            retain_graph: keep the graph for another backward (defaults to ``create_graph``).
            create_graph: record the backward pass so higher derivatives can be taken.
            inputs: accumulate only into these leaves.
        """
        from morch.autograd import engine

        engine.backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing memory with this one, cut from the graph; writing to it counts as writing to this one."""
        return _view(_wrap(self._data), self)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (ops that already used it still backward through its history)."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return this tensor.

        Args:
            requires_grad: the new flag (only floating point leaves can require grad).
        """
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.retains_grad:
            return
        import weakref

        ref = weakref.ref(self)

        def hook(g):
            t = ref()
            if t is not None:  # a copy: g itself flows on to other nodes and may be the caller's tensor
                t.grad = g.clone() if t.grad is None else t.grad + g

        hook._retains = True
        self.register_hook(hook)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient for this tensor is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        owner = self.grad_fn if self.grad_fn is not None else self
        if owner._hooks is None:
            owner._hooks = []
        owner._hooks.append(hook)
        hooks = owner._hooks

        class _Handle:
            def remove(self):
                if hook in hooks:
                    hooks.remove(hook)

        return _Handle()

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after ``backward`` has accumulated this leaf's ``.grad`` (for
        example to step an optimizer per parameter as soon as its gradient is ready).

        Args:
            hook: the callable; its return value is ignored.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._hooks is None:
            self._hooks = []
        entry = PostAccumulateGradHook(hook)
        self._hooks.append(entry)
        hooks = self._hooks

        class _Handle:
            def remove(self):
                if entry in hooks:
                    hooks.remove(entry)

        return _Handle()

    # ---------------------------------------------------------------- in-place
    def _src(self) -> Tensor:
        """Self as the operand of an in-place op's out-of-place computation.

        A tracked update hands self the result's history, so the recorded graph must refer to a
        stand-in holding self's current array and history, never to self (that would make a cycle).
        """
        if not grad_mode._enabled:
            return self
        t = _wrap(self._data, self.grad_fn)
        t._requires_grad = self._requires_grad
        return t

    def _update(self, result: Tensor) -> Tensor:
        """Give self the value of ``result`` (computed out of place from ``self._src()``): the one path
        of every in-place op.

        When autograd tracks the update, self takes over result's array and history: saved values of
        earlier ops stay intact, so gradients stay right, but unlike PyTorch the memory is not shared
        any more with views of self, or with the tensor self is a view of (``x[0] += w`` still updates
        x, through ``__setitem__``). Otherwise result is written into self's own memory, so views see
        it, as in PyTorch, and the write counts as a new version of self and of the tensor it is a view of.
        """
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"in-place op: output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(result._data.shape)}"
            )
        if grad_mode._enabled and (self._requires_grad or result._requires_grad):
            if self._requires_grad and self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            self._data = _cast_for_inplace(result._data, self._data.dtype)
            self.grad_fn, self._requires_grad, self._base = result.grad_fn, result._requires_grad, None
            self._version += 1
        else:
            np.copyto(_writable(self), _cast_for_inplace(result._data, self._data.dtype), casting="unsafe")
            _written(self)
        return self

    def __setitem__(self, index, value) -> None:
        from morch import functional

        if grad_mode._enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
            self._update(functional.index_put(self._src(), index, value))
            return
        v = value._data if isinstance(value, Tensor) else value
        try:
            _writable(self)[functional._unwrap_index(index)] = v
        except (ValueError, IndexError, TypeError) as e:
            raise type(e)(f"setitem: cannot assign value to tensor of shape {tuple(self.shape)}: {e}") from None
        _written(self)

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        """Fill with one value in place.

        Args:
            value: a number or a 0-d tensor.
        """
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got one with {value.ndim} dimensions")
        return self.copy_(value)

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        """Copy ``src`` (broadcast, and cast to this tensor's dtype) into this tensor.

        Args:
            src: a tensor, number or array-like broadcastable to this tensor's shape.
            non_blocking: ignored (there is no device transfer on the CPU).
        """
        from morch import functional

        src = functional._as_tensor_like(src, self)
        if grad_mode._enabled and (self._requires_grad or src._requires_grad):
            # where() gives a fresh array (never src's own memory) and keeps self in the graph with zero gradient
            return self._update(functional.where(True, functional._to_dtype(src, self.dtype), self._src()))
        try:
            np.copyto(_writable(self), src._data, casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_: source of shape {list(src._data.shape)} cannot be broadcast to shape {list(self._data.shape)}"
            ) from None
        _written(self)
        return self

    def add_(self, other, alpha=1) -> Tensor:
        """In-place ``self + alpha * other``.

        Args:
            other: a tensor, number or numpy array, broadcast to this tensor's shape.
            alpha: the multiplier of other.
        """
        from morch import functional

        return self._update(functional.add(self._src(), other, alpha=alpha))

    def sub_(self, other, alpha=1) -> Tensor:
        """In-place ``self - alpha * other``.

        Args:
            other: a tensor, number or numpy array, broadcast to this tensor's shape.
            alpha: the multiplier of other.
        """
        from morch import functional

        return self._update(functional.sub(self._src(), other, alpha=alpha))

    def mul_(self, other) -> Tensor:
        """In-place ``self * other``.

        Args:
            other: a tensor, number or numpy array, broadcast to this tensor's shape.
        """
        return self._update(self._src() * other)

    def div_(self, other) -> Tensor:
        """In-place true division ``self / other`` (integer tensors refuse it: the result is float).

        Args:
            other: a tensor, number or numpy array, broadcast to this tensor's shape.
        """
        return self._update(self._src() / other)

    def pow_(self, exponent) -> Tensor:
        """In-place ``self ** exponent``.

        Args:
            exponent: a tensor or a number.
        """
        return self._update(self._src() ** exponent)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        """In-place ``clamp``.

        Args:
            min: the lower bound (a number, a tensor or None).
            max: the upper bound (a number, a tensor or None).
        """
        return self._update(self._src().clamp(min, max))

    clip_ = clamp_

    def neg_(self) -> Tensor:
        """In-place negation."""
        return self._update(-self._src())

    def exp_(self) -> Tensor:
        """In-place exp."""
        return self._update(self._src().exp())

    def sqrt_(self) -> Tensor:
        """In-place sqrt."""
        return self._update(self._src().sqrt())

    def relu_(self) -> Tensor:
        """In-place relu."""
        return self._update(self._src().relu())

    def sigmoid_(self) -> Tensor:
        """In-place sigmoid."""
        return self._update(self._src().sigmoid())

    def tanh_(self) -> Tensor:
        """In-place tanh."""
        return self._update(self._src().tanh())

    def addcmul_(self, tensor1, tensor2, value=1) -> Tensor:
        """In-place ``self + value * tensor1 * tensor2``.

        Args:
            tensor1: the first factor.
            tensor2: the second factor.
            value: the multiplier.
        """
        return self._update(self._src() + tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1, tensor2, value=1) -> Tensor:
        """In-place ``self + value * tensor1 / tensor2``.

        Args:
            tensor1: the numerator.
            tensor2: the denominator.
            value: the multiplier.
        """
        return self._update(self._src() + tensor1 / tensor2 * value)

    def lerp_(self, end, weight) -> Tensor:
        """In-place linear interpolation ``self + weight * (end - self)``.

        Args:
            end: the tensor to move towards.
            weight: how far to move (a number or a tensor).
        """
        s = self._src()
        return self._update(s + (end - s) * weight)

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce: str | None = None) -> Tensor:
        """In-place ``scatter``.

        Args:
            dim: the dimension to index.
            index: an integer tensor with this tensor's number of dimensions.
            src: the values to write, or a number.
            value: a number to write instead of src.
            reduce: None, 'add' or 'multiply' (deprecated with a tensor src, as in PyTorch: use scatter_reduce_).
        """
        return self._update(self._src().scatter(dim, index, src, value=value, reduce=reduce))

    def scatter_reduce_(self, dim: int, index, src, reduce: str, *, include_self: bool = True) -> Tensor:
        """In-place ``scatter_reduce``.

        Args:
            dim: the dimension to index.
            index: an integer tensor with this tensor's number of dimensions.
            src: the values to reduce (this tensor's dtype).
            reduce: 'sum', 'prod', 'mean', 'amax' or 'amin'.
            include_self: also reduce this tensor's own values at the positions written.
        """
        return self._update(self._src().scatter_reduce(dim, index, src, reduce, include_self=include_self))

    def scatter_add_(self, dim: int, index, src) -> Tensor:
        """In-place ``scatter_add``.

        Args:
            dim: the dimension to index.
            index: an integer tensor with this tensor's number of dimensions.
            src: the values to add.
        """
        return self._update(self._src().scatter_add(dim, index, src))

    def masked_fill_(self, mask, value) -> Tensor:
        """In-place ``masked_fill``.

        Args:
            mask: a bool tensor, broadcast to this tensor's shape.
            value: a number or a 0-d tensor.
        """
        return self._update(self._src().masked_fill(mask, value))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        """Fill in place with numbers drawn uniformly from [a, b).

        Args:
            a: the lower bound.
            b: the upper bound.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        return self._fill_random(random._gen(generator).uniform(a, b, self._data.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        """Fill in place with normal random numbers.

        Args:
            mean: the mean.
            std: the standard deviation.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        return self._fill_random(random._gen(generator).normal(mean, std, self._data.shape))

    def bernoulli_(self, p: float = 0.5, generator=None) -> Tensor:
        """Fill in place with 1 (probability p) or 0.

        Args:
            p: the probability of a 1.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        if isinstance(p, Tensor):
            p = p._data
        return self._fill_random(random._gen(generator).random(self._data.shape) < p)

    def random_(self, *args: int | None, generator=None, **kwargs) -> Tensor:
        """Fill in place with integers drawn uniformly from [from, to - 1], as PyTorch's
        ``random_(from=0, to=None)``: ``random_(to)`` draws from [0, to - 1]; without ``to`` the bound
        is the dtype's (``2**24`` for float32, ``2**53`` for float64, ``2**11`` for float16, the
        largest value for integer dtypes, 1 for bool).

        Args:
            args: ``(to,)`` or ``(from, to)``; ``from`` and ``to`` are accepted as keywords too.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        if len(args) > 2 or set(kwargs) - {"from", "to"}:
            raise TypeError(f"random_() takes from=0, to=None and generator=None, got {args} and {sorted(kwargs)}")
        if len(args) == 1 and "from" not in kwargs and "to" not in kwargs:
            low, high = 0, args[0]
        else:
            named = dict(zip(("from", "to"), args))
            if set(named) & set(kwargs):
                raise TypeError(f"random_() got multiple values for {sorted(set(named) & set(kwargs))}")
            named.update(kwargs)
            low, high = named.get("from", 0), named.get("to")
        nd = self._data.dtype
        name = dtypes.from_numpy(nd).name
        if nd.kind == "f":
            digits = np.finfo(nd).nmant + 1
            top = 2**digits
            bottom = -top
        elif nd.kind == "b":
            top, bottom = 1, 0
        else:
            top, bottom = int(np.iinfo(nd).max), int(np.iinfo(nd).min)
        if high is None:
            high = top + 1
        elif low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if nd.kind == "f":
            if high - 1 > top or low < bottom:
                warnings.warn(
                    f"random_: [from, to - 1] = [{low}, {high - 1}] goes beyond [-(2^{digits}), 2^{digits}], "
                    f"where {name} cannot hold every integer",
                    stacklevel=2,
                )
        elif low < bottom:
            raise RuntimeError(f"random_: from is out of bounds for {name} (from={low})")
        elif high - 1 > top:
            raise RuntimeError(f"random_: to - 1 is out of bounds for {name} (to={high})")
        values = random._gen(generator).integers(low, high, self._data.shape, dtype=np.int64)
        return self._fill_random(values)

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with exponential random numbers of rate ``lambd``.

        Args:
            lambd: the rate (> 0).
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        if lambd <= 0:
            raise ValueError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        return self._fill_random(random._gen(generator).exponential(1 / lambd, self._data.shape))

    def geometric_(self, p: float, *, generator=None) -> Tensor:
        """Fill in place with the number of Bernoulli(p) trials up to the first success (1, 2, ...).

        Args:
            p: the success probability, in (0, 1).
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        if not 0 < p < 1:
            raise ValueError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        return self._fill_random(random._gen(generator).geometric(p, self._data.shape))

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with Cauchy random numbers.

        Args:
            median: the location.
            sigma: the scale.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        return self._fill_random(median + sigma * random._gen(generator).standard_cauchy(self._data.shape))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
        """Fill in place with exp of normal random numbers of this mean and std.

        Args:
            mean: the mean of the underlying normal.
            std: its standard deviation.
            generator: the source of randomness (the default generator if None).
        """
        from morch import random

        return self._fill_random(random._gen(generator).lognormal(mean, std, self._data.shape))

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal (all dimensions equal, or a 2-d matrix; a tall
        matrix starts the diagonal again after N+1 rows when ``wrap``).

        Args:
            fill_value: the value.
            wrap: continue the diagonal below a tall matrix's first square.
        """
        a = self._data
        if a.ndim < 2:
            raise ValueError("fill_diagonal_: dimensions must larger than 1")
        if a.ndim > 2 and len(set(a.shape)) != 1:
            raise ValueError("fill_diagonal_: all dimensions of input must be of equal length")
        mask = np.zeros(a.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return self._update(self._src().masked_fill(_wrap(mask), fill_value))

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
        dimension; a view, as in PyTorch (read-only in morch when the windows overlap, since numpy
        cannot write one element through two places safely). The gradient adds the windows back.

        Args:
            dimension: the dimension to slide along.
            size: the window length (>= 0).
            step: the distance between window starts (> 0).
        """
        from morch.ops.tensor_extra import Unfold

        out = Unfold.apply(self, dimension=dimension, size=size, step=step)
        if out._data.base is not None and np.may_share_memory(out._data, self._data):
            out._base = self._base or weakref.ref(self)
        return out

    def sum_to_size(self, *size: int) -> Tensor:
        """The sum of this tensor over the dimensions broadcasting would add or stretch to reach it
        from ``size`` (the reverse of ``expand``).

        Args:
            size: the target shape, which must be expandable to this tensor's shape.
        """
        shape = _size_arg(size)
        have = self._data.shape
        lead = len(have) - len(shape)
        if lead < 0 or any(s != 1 and s != have[lead + i] for i, s in enumerate(shape)):
            raise RuntimeError(f"sum_to_size: size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
        from morch.autograd.engine import sum_to

        return sum_to(self, shape)

    def resize_(self, *sizes: int, memory_format=None) -> Tensor:
        """Give this tensor a new shape in place, keeping its first elements in row-major order.

        A contiguous tensor that does not grow keeps its memory (views still see writes); otherwise
        morch moves it to new memory, which views no longer share (PyTorch reinterprets a
        non-contiguous tensor's memory in storage order instead). New elements are zeros (PyTorch
        leaves them uninitialised).

        Args:
            sizes: the new shape.
            memory_format: None, or a format for the result's layout (``contiguous()``'s argument).
        """
        if self._requires_grad:
            raise RuntimeError("resize_: cannot resize variables that require grad")
        shape = _size_arg(sizes)
        a = self._data
        if shape != a.shape:
            n = int(np.prod(shape, dtype=np.int64))
            if a.flags.c_contiguous and n <= a.size:
                self._data = a.reshape(-1)[:n].reshape(shape)
            else:
                new = np.zeros(shape, dtype=a.dtype)
                k = min(n, a.size)
                new.reshape(-1)[:k] = a.reshape(-1)[:k]
                self._data, self._base = new, None
            self._version += 1
        if memory_format is not None:
            self._data = self.contiguous(memory_format)._data
        return self

    def resize_as_(self, the_template: Tensor, memory_format=None) -> Tensor:
        """``resize_`` to the shape of ``the_template``.

        Args:
            the_template: the tensor whose shape to take.
            memory_format: as in ``resize_``.
        """
        return self.resize_(the_template._data.shape, memory_format=memory_format)

    def apply_(self, callable) -> Tensor:  # noqa: A002 - PyTorch's argument name
        """Replace every element ``v`` by ``callable(v)`` in place: one Python call per element, so
        slow, as in PyTorch (CPU-only there too). Not recorded by autograd.

        Args:
            callable: a function of one Python number returning a number.
        """
        if self._requires_grad:
            raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
        arr = _writable(self)
        values = [callable(v) for v in arr.reshape(-1).tolist()]
        np.copyto(arr, np.asarray(values).reshape(arr.shape), casting="unsafe")
        _written(self)
        return self

    def map_(self, tensor: Tensor, callable) -> Tensor:  # noqa: A002 - PyTorch's argument name
        """Replace every element ``a`` by ``callable(a, b)`` in place, ``b`` being the element of
        ``tensor`` (broadcast to this shape) at the same place; one Python call per element, not
        recorded by autograd.

        Args:
            tensor: a tensor of this tensor's dtype, broadcastable to its shape.
            callable: a function of two Python numbers returning a number.
        """
        if not isinstance(tensor, Tensor):
            raise TypeError(f"map_: expected a Tensor for 'other', got {type(tensor).__name__}")
        if self._requires_grad or tensor._requires_grad:
            raise RuntimeError("Can't call map_() on Variable that requires grad. Use var.detach().map_() instead.")
        if tensor._data.dtype != self._data.dtype:
            raise TypeError(f"map_: expected {self.type()} for 'other' (got {tensor.type()})")
        other = tensor.expand(self._data.shape)._data
        arr = _writable(self)
        values = [callable(a, b) for a, b in zip(arr.reshape(-1).tolist(), other.reshape(-1).tolist())]
        np.copyto(arr, np.asarray(values).reshape(arr.shape), casting="unsafe")
        _written(self)
        return self

    def _fill_random(self, values: np.ndarray) -> Tensor:
        return self.copy_(_wrap(values))

    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> Tensor:
        """A new tensor of ``data``, with this tensor's dtype unless given.

        Args:
            data: the values.
            dtype: the dtype instead of this tensor's.
            requires_grad: record operations on the result for autograd.
        """
        from morch import creation

        return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        """Zeros of the given size, with this tensor's dtype unless given.

        Args:
            size: the shape.
            dtype: the dtype instead of this tensor's.
            requires_grad: record operations on the result for autograd.
        """
        from morch import creation

        return creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        """Ones of the given size, with this tensor's dtype unless given.

        Args:
            size: the shape.
            dtype: the dtype instead of this tensor's.
            requires_grad: record operations on the result for autograd.
        """
        from morch import creation

        return creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
        """``fill_value`` everywhere, with this tensor's dtype unless given.

        Args:
            size: the shape.
            fill_value: the value.
            dtype: the dtype instead of this tensor's.
            requires_grad: record operations on the result for autograd.
        """
        from morch import creation

        return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        """An uninitialised tensor of the given size, with this tensor's dtype unless given.

        Args:
            size: the shape.
            dtype: the dtype instead of this tensor's.
            requires_grad: record operations on the result for autograd.
        """
        from morch import creation

        return creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
    "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
}  # fmt: skip
_DTYPE_OF_TYPE = {name: nd for nd, name in _TYPE_NAMES.items()}  # 'FloatTensor' -> 'float32'


def legacy_type_dtype(t) -> str | None:
    """The dtype name of a legacy tensor type given by name (``'torch.FloatTensor'``, ``'FloatTensor'``)
    or as an object of that name (the class ``morch.FloatTensor``); None for anything else."""
    name = t if isinstance(t, str) else getattr(t, "__name__", None)
    return _DTYPE_OF_TYPE.get(str(name).rsplit(".", 1)[-1]) if name is not None else None


_new = object.__new__


def _init(t: Tensor, arr: np.ndarray, grad_fn, requires_grad: bool) -> None:
    t._data = arr
    t.grad = None
    t._requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._version = 0
    t._hooks = None
    t._base = None


def _wrap(arr: np.ndarray, grad_fn=None) -> Tensor:
    """Make a Tensor around ``arr`` without copying (internal fast path; ``arr`` must be an ndarray)."""
    t = _new(Tensor)
    t._data = arr
    t.grad = None
    t._requires_grad = grad_fn is not None
    t.grad_fn = grad_fn
    t._version = 0
    t._hooks = None
    t._base = None
    return t


def _view(out: Tensor, t: Tensor) -> Tensor:
    """Mark ``out`` as a view of ``t`` if it shares t's memory (views of views lead to the owner)."""
    a, src = out._data, t._data
    shares = a is src or (a is not None and a.base is not None and (a.base is src or a.base is src.base))
    if a is not None and shares:
        out._base = t._base or weakref.ref(t)
    return out


def _written(t: Tensor) -> None:
    """Count an untracked in-place write to ``t``: its version, and that of the tensor it is a view of."""
    t._version += 1
    ref = t._base
    if ref is not None:
        owner = ref()
        if owner is not None:
            owner._version += 1


def _rebuild(arr, requires_grad, cls=Tensor):
    t = _new(cls)
    _init(t, arr, None, requires_grad)
    return t


def _size_arg(args) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` for a size."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        size = tuple(operator.index(s) for s in args)
    except TypeError:
        raise TypeError(f"size must be a sequence of ints, got {args!r}") from None
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    return size


def _memory_owner(arr: np.ndarray) -> np.ndarray:
    """The numpy array owning the memory ``arr`` views (numpy keeps the owner as ``base``; a strided
    view made by ``as_strided`` has a wrapper object in between)."""
    while True:
        b = arr.base
        if b is not None and not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
        if not isinstance(b, np.ndarray):
            return arr
        arr = b


class UntypedStorage:
    """A minimal stand-in for ``torch.UntypedStorage``: the bytes a tensor and its views share.

    Only the introspection PyTorch scripts commonly use: ``data_ptr()``, ``nbytes()``, ``size()``
    (in bytes), ``element_size()`` (1) and ``len()``; no indexing, copying or resizing.
    """

    __slots__ = ("_array",)

    def __init__(self, array: np.ndarray):
        self._array = array

    def data_ptr(self) -> int:
        """The address of the first byte."""
        return self._array.ctypes.data

    def nbytes(self) -> int:
        """The number of bytes."""
        return self._array.nbytes

    def size(self) -> int:
        """The number of bytes (an untyped storage's elements are bytes)."""
        return self._array.nbytes

    def element_size(self) -> int:
        """Always 1: the elements are bytes."""
        return 1

    @property
    def device(self) -> device:
        """Always the CPU."""
        return _CPU

    def __len__(self) -> int:
        return self._array.nbytes

    def __repr__(self) -> str:
        return f"morch.UntypedStorage(device=cpu) of size {self._array.nbytes}"


class PostAccumulateGradHook:
    """A leaf's hook to call after its gradient is accumulated; kept in the leaf's hook list,
    which the engine reads once per backward (as a gradient hook it does nothing)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, grad):
        return None


def _dim(d: int, ndim: int, op: str = "") -> int:
    """Normalise a possibly negative dimension index, with PyTorch's error."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def _cast_for_inplace(arr: np.ndarray, target: np.dtype) -> np.ndarray:
    if arr.dtype == target:
        return arr
    if dtypes.category(arr.dtype) > dtypes.category(target):
        raise RuntimeError(
            f"result type {dtypes.from_numpy(arr.dtype)} can't be cast to the desired output type "
            f"{dtypes.from_numpy(target)}"
        )
    return arr.astype(target)


def _writable(t: Tensor) -> np.ndarray:
    """The array an untracked in-place op is about to overwrite, checked and made safe to write."""
    arr = t._data
    if not arr.flags.writeable:
        raise RuntimeError(
            "in-place op on a tensor whose memory is shared read-only (the result of expand/broadcast); "
            "clone() it first"
        )
    fn = t.grad_fn
    if fn is not None and fn.__dict__.get("out") is arr:
        # the op that made t kept its output for backward: let it keep the old values
        fn.out = arr.copy()
    return arr


# ---------------------------------------------------------------- repr
# PyTorch's print options: 4 digits, lines of 80 characters, tensors of over 1000 elements summarised
_PRECISION, _LINE_WIDTH, _THRESHOLD, _EDGE, _SCI_MODE = 4, 80, 1000, 3, None
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, float("inf"), 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None,
                     sci_mode: bool | None = None) -> None:  # fmt: skip
    """How tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the point (default 4).
        threshold: more elements than this are summarised (default 1000).
        edgeitems: elements shown at each end of a summarised dimension (default 3).
        linewidth: characters per line (default 80).
        profile: 'default', 'short' or 'full' (sets the four above; the explicit ones win).
        sci_mode: True or False to force or forbid scientific notation, None to choose as PyTorch does.
    """
    global _PRECISION, _LINE_WIDTH, _THRESHOLD, _EDGE, _SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        _PRECISION, _THRESHOLD, _EDGE, _LINE_WIDTH = _PROFILES[profile]
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGE = edgeitems
    if linewidth is not None:
        _LINE_WIDTH = linewidth
    _SCI_MODE = sci_mode


def _summary(a: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last few along every long dimension)."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * _EDGE:
        a = np.concatenate([a[:_EDGE], a[-_EDGE:]])
    return np.concatenate([_summary(x) for x in a]) if a.ndim > 1 else a


class _Formatter:
    """Writes every element of one tensor at a common width, in the notation PyTorch picks for it:
    integers as is; floats as ``3.`` when all are whole, else fixed ``0.1235``, or scientific
    ``1.2346e-05`` when the magnitudes are very large, very small or far apart."""

    def __init__(self, values: np.ndarray):
        self.is_float = values.dtype.kind == "f"
        self.whole = True
        if not self.is_float:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        # nan, inf and zeros do not decide the notation or the width
        vals = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        self.style, self.width = "{:.0f}.", 1
        if vals.size == 0:
            return
        big, small = np.abs(vals).max(), np.abs(vals).min()
        self.whole = bool(np.all(vals == np.ceil(vals)))
        auto = big / small > 1000.0 or big > 1.0e8 or (not self.whole and small < 1.0e-4)
        if _SCI_MODE if _SCI_MODE is not None else auto:
            self.style, self.whole = f"{{:.{_PRECISION}e}}", False
        elif not self.whole:
            self.style = f"{{:.{_PRECISION}f}}"
        self.width = max(len(self.style.format(v)) for v in vals.tolist())

    def format(self, v) -> str:
        if not self.is_float:
            text = str(v)
        elif self.whole and not np.isfinite(v):
            text = str(v)  # nan / inf, without the trailing dot of whole numbers
        else:
            text = self.style.format(v)
        return text.rjust(self.width)


def _body(a: np.ndarray, fmt: _Formatter, indent: int, summarise: bool) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    cut = summarise and a.shape[0] > 2 * _EDGE
    if a.ndim == 1:
        items = [fmt.format(v) for v in (np.concatenate([a[:_EDGE], a[-_EDGE:]]) if cut else a).tolist()]
        if cut:
            items.insert(_EDGE, " ...")
        per_line = max(1, (_LINE_WIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(_EDGE)) + [None] + list(range(a.shape[0] - _EDGE, a.shape[0])) if cut else range(a.shape[0])
    parts = ["..." if i is None else _body(a[i], fmt, indent + 1, summarise) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _repr(t: Tensor, prefix: str = "tensor(") -> str:
    """PyTorch's layout of a tensor's repr (dtypes print as ``morch.float64``)."""
    a = t._data
    if a is None:
        return f"{type(t).__name__}(symbolic)"
    indent = len(prefix)
    suffixes = []
    shown = (dtypes.default_float(), np.dtype(np.int64), np.dtype(np.bool_))
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        shown = (dtypes.default_float(),)  # an empty tensor has no elements that show its dtype
    else:
        summarise = a.size > _THRESHOLD
        body = _body(a, _Formatter(_summary(a) if summarise else a.reshape(-1)), indent, summarise)
    if a.dtype not in shown:
        suffixes.append(f"dtype={dtypes.from_numpy(a.dtype)!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    line = len(out) - out.rfind("\n") + 1  # PyTorch's count, which is two more than the last line's length
    for suffix in suffixes:  # each on the same line while it fits in the line width
        if line + len(suffix) + 2 > _LINE_WIDTH:
            out += ",\n" + " " * indent + suffix
            line = indent + len(suffix)
        else:
            out += ", " + suffix
            line += len(suffix) + 2
    return out + ")"


# ---------------------------------------------------------------- methods bound to morch.functional
from morch import functional as _F  # noqa: E402  (functional imports this module)


def _comparison(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, np.ndarray, np.generic, numbers.Number)):
            return NotImplemented  # Python then compares identities: t == None is False, as in PyTorch
        return fn(self, other)

    method.__name__ = fn.__name__
    return method


def _in_place_variant(name: str):
    def method(self, *args, **kwargs):
        return self._update(getattr(self._src(), name)(*args, **kwargs))

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = (
        f"In-place ``{name}``: ``t.{name}_(...)`` writes ``t.{name}(...)`` into t (same arguments), keeping "
        f"t's dtype; a result of a higher dtype category (a float result for an integer t) is refused."
    )
    return method


def _bind_methods() -> None:
    # methods whose signature is the functional one with the tensor first
    same = (
        "add sub mul div true_divide floor_divide remainder fmod neg negative pow exp exp2 log log2 log10 log1p expm1 "
        "sqrt rsqrt square abs sign sin cos tan tanh sigmoid relu erf reciprocal floor ceil round trunc frac "
        "asin acos atan arcsin arccos arctan sinh cosh atan2 arctan2 prod tril triu movedim moveaxis "
        "index_add diagonal diag trace "
        "maximum minimum clamp clip sum mean max min amax amin argmax argmin var std logsumexp norm cumsum cumprod "
        "all any softmax log_softmax flatten unflatten squeeze unsqueeze transpose swapaxes t contiguous clone "
        "expand_as broadcast_to view_as reshape_as index_select gather masked_fill split chunk unbind narrow "
        "eq ne lt le gt ge isnan isinf isfinite logical_not logical_and logical_or logical_xor equal allclose "
        "matmul mm bmm dot mv outer sort argsort topk median nanmedian masked_select nonzero diff roll scatter "
        "scatter_add scatter_reduce count_nonzero select "
        "addmm addmv baddbmm addbmm addcmul addcdiv lerp logaddexp logaddexp2 hypot xlogy logit clamp_min clamp_max "
        "nan_to_num inner repeat_interleave take_along_dim tensor_split diag_embed unique unique_consecutive "
        "bincount isin histc kron sgn lgamma digamma erfinv erfc mvlgamma "
        "nansum nanmean aminmax cummax cummin logcumsumexp kthvalue msort quantile nanquantile rot90 fliplr flipud "
        "hsplit vsplit dsplit diagflat dist signbit copysign deg2rad rad2deg fmax fmin float_power heaviside "
        "index_fill index_copy masked_scatter mode sinc i0 renorm cov corrcoef"
    ).split()
    for name in same:
        setattr(Tensor, name, getattr(_F, name))

    in_place = (
        "addmm addmv baddbmm addbmm addcmul addcdiv lerp clamp_min clamp_max nan_to_num logit hypot xlogy "
        "abs log logical_not sgn sign lgamma digamma erfinv erfc copysign deg2rad rad2deg heaviside "
        "index_fill index_copy masked_scatter"
    )
    for name in in_place.split():
        if not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _in_place_variant(name))

    def _new_shape_in_place(name):
        def method(self, *args, **kwargs):
            if self._requires_grad:
                raise RuntimeError(
                    f"{name}_: morch cannot change the shape of a tensor that requires grad in place "
                    f"(its graph keeps the old shape); use the out-of-place {name}(...) instead"
                )
            self._data = getattr(_F, name)(self, *args, **kwargs)._data  # a view: same memory, new shape
            return self

        method.__name__ = name + "_"
        method.__doc__ = f"In-place ``{name}``: this tensor takes the new shape (its memory is unchanged)."
        return method

    for name in ("squeeze", "unsqueeze", "t", "transpose", "swapaxes"):
        setattr(Tensor, name + "_", _new_shape_in_place(name))

    def _varargs(fn):
        def method(self, *shape, **kw):
            if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
                shape = tuple(shape[0])
            return fn(self, shape, **kw)

        method.__name__ = fn.__name__
        method.__doc__ = fn.__doc__
        return method

    for name in ("reshape", "view", "permute", "expand", "repeat", "tile", "flip"):
        setattr(Tensor, name, _varargs(getattr(_F, name)))

    def where(self, condition, other):
        """``morch.where(condition, self, other)``: self where condition is true, else other."""
        return _F.where(condition, self, other)

    Tensor.where = where
    Tensor.__getitem__ = _F.index
    Tensor.__add__ = _F.add
    Tensor.__radd__ = lambda self, other: _F.add(other, self)
    Tensor.__sub__ = _F.sub
    Tensor.__rsub__ = lambda self, other: _F.sub(other, self)
    Tensor.__mul__ = _F.mul
    Tensor.__rmul__ = lambda self, other: _F.mul(other, self)
    Tensor.__truediv__ = _F.div
    Tensor.__rtruediv__ = lambda self, other: _F.div(other, self)
    Tensor.__floordiv__ = _F.floor_divide
    Tensor.__rfloordiv__ = lambda self, other: _F.floor_divide(other, self)
    Tensor.__mod__ = _F.remainder
    Tensor.__rmod__ = lambda self, other: _F.remainder(other, self)
    Tensor.__pow__ = _F.pow
    Tensor.__rpow__ = lambda self, other: _F.pow(other, self)
    Tensor.__matmul__ = _F.matmul
    Tensor.__rmatmul__ = lambda self, other: _F.matmul(other, self)
    Tensor.__neg__ = _F.neg
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = _F.abs
    Tensor.__eq__ = _comparison(_F.eq)
    Tensor.__ne__ = _comparison(_F.ne)
    Tensor.__lt__ = _F.lt
    Tensor.__le__ = _F.le
    Tensor.__gt__ = _F.gt
    Tensor.__ge__ = _F.ge
    Tensor.__invert__ = _F.bitwise_not
    Tensor.__and__ = Tensor.__rand__ = _F.bitwise_and
    Tensor.__or__ = Tensor.__ror__ = _F.bitwise_or
    Tensor.__xor__ = Tensor.__rxor__ = _F.bitwise_xor
    # augmented assignment is in place, as in PyTorch
    Tensor.__iadd__ = lambda self, other: self.add_(other)
    Tensor.__isub__ = lambda self, other: self.sub_(other)
    Tensor.__imul__ = lambda self, other: self.mul_(other)
    Tensor.__itruediv__ = lambda self, other: self.div_(other)


_bind_methods()


def _float_power_(self, exponent) -> Tensor:
    """In-place ``float_power``: the result is float64, so this tensor must be float64, as in PyTorch.

    Args:
        exponent: a tensor or a number.
    """
    if self._data.dtype != np.float64:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {str(self.dtype).split('.')[1]} but the operation's "
            "result requires dtype float64"
        )
    return self._update(_F.float_power(self._src(), exponent))


def _polygamma(self, n: int) -> Tensor:
    """The n-th derivative of digamma at each element (``morch.polygamma(n, self)``).

    Args:
        n: the order of the derivative (>= 0).
    """
    return _F.polygamma(n, self)


def _polygamma_(self, n: int) -> Tensor:
    """In-place ``polygamma``.

    Args:
        n: the order of the derivative (>= 0).
    """
    return self._update(_F.polygamma(n, self._src()))


def bind_missing(methods: dict) -> None:
    """Set each ``name: attribute`` on Tensor unless Tensor already has that name (the later families
    of PyTorch names bind their methods this way, never replacing one)."""
    for name, attr in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, attr)


def _bind_in_place_variants() -> None:
    # PyTorch's in-place twin of each op below, bound where morch has the op but not yet the twin
    # (names whose op morch lacks are skipped, and appear once the op is added to _bind_methods)
    names = (
        "acos arccos asin arcsin atan arctan atan2 arctan2 acosh arccosh asinh arcsinh atanh arctanh cos cosh sin "
        "sinh tan ceil floor round trunc frac fix erf exp2 expm1 log10 log1p log2 reciprocal rsqrt square "
        "negative absolute sinc i0 mvlgamma cumsum cumprod tril triu index_add index_reduce index_put put renorm "
        "eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or logical_xor "
        "floor_divide true_divide divide multiply subtract remainder fmod ldexp gcd lcm nextafter addr "
        "bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift"
    )
    for name in names.split():
        if hasattr(Tensor, name) and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _in_place_variant(name))
    if not hasattr(Tensor, "float_power_"):
        Tensor.float_power_ = _float_power_
    Tensor.polygamma = _polygamma  # functional.polygamma takes n first: not a method as it stands
    Tensor.polygamma_ = _polygamma_


_bind_in_place_variants()
