"""``morch.amp``: autocast and GradScaler for training scripts written for mixed precision.

morch has no reduced-precision kernels worth using (numpy's float16 products are many times
slower than float32, and there is no bfloat16), so ``autocast`` leaves dtypes alone: the script
runs in full precision, which is what autocast approximates. ``GradScaler`` is complete: it
scales the loss, unscales the gradients, skips steps whose gradients overflowed and adapts the
scale, as PyTorch's does. Asked for CUDA, both disable themselves with PyTorch's warning.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np

from morch.tensor import Tensor

_enabled: list = [False]  # autocast regions currently open (innermost last)
_warned: set = set()


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether the innermost ``autocast`` region is enabled (morch still computes in full precision)."""
    return bool(_enabled[-1])


class autocast(contextlib.ContextDecorator):
    """Context manager and decorator marking a mixed-precision region, as ``torch.autocast``.

    In morch the region runs in the tensors' own dtypes (a one-time warning says so when it is
    enabled on the CPU); ``is_autocast_enabled()`` reports it as PyTorch does.

    Args:
        device_type: 'cpu' or 'cuda' ('cuda' disables the region, as PyTorch does without a GPU).
        dtype: the requested lower-precision dtype (accepted and not used).
        enabled: whether the region is enabled.
        cache_enabled: accepted and not used.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        kind = device_type.split(":")[0]
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"autocast: unsupported device_type {device_type!r} (morch has 'cpu'; 'cuda' is disabled)"
            )
        if kind == "cuda" and enabled:
            warnings.warn(
                "User provided device_type of 'cuda', but CUDA is not available. Disabling", UserWarning, stacklevel=2
            )
            enabled = False
        if enabled and "cpu" not in _warned:
            _warned.add("cpu")
            warnings.warn(
                "autocast: morch has no reduced-precision kernels; the region runs in the tensors' own dtypes",
                UserWarning,
                stacklevel=2,
            )
        self.device, self.fast_dtype, self._enabled = kind, dtype, bool(enabled)

    def __enter__(self) -> autocast:
        _enabled.append(self._enabled)
        return self

    def __exit__(self, *exc) -> None:
        _enabled.pop()


class GradScaler:
    """Loss scaling against float16 gradient underflow, as ``torch.amp.GradScaler``.

    ``scale(loss)`` multiplies by the scale; ``step(optimizer)`` unscales the gradients (unless
    ``unscale_`` already did), skips the step if any is inf or NaN, and else steps; ``update()``
    halves the scale after a skipped step (``backoff_factor``) and doubles it after
    ``growth_interval`` clean steps (``growth_factor``). With ``enabled=False`` every method is a
    pass-through.

    Args:
        device: 'cpu' or 'cuda' ('cuda' disables the scaler with PyTorch's warning).
        init_scale: the initial scale.
        growth_factor: the factor applied after ``growth_interval`` steps without overflow.
        backoff_factor: the factor applied after a step with overflow.
        growth_interval: clean steps between two growths.
        enabled: whether scaling is done at all.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:  # fmt: skip
        if device.split(":")[0] == "cuda" and enabled:
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
            enabled = False
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._enabled = enabled
        self._scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer: dict = {}  # id(optimizer) -> {"unscaled": bool, "found_inf": bool}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """``outputs`` (a tensor, or nested lists/tuples of them) multiplied by the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and note any inf/NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        inv, found = 1.0 / self._scale, False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                g *= g.dtype.type(inv)
                p.grad._version += 1
                if not found and not np.isfinite(g).all():
                    found = True
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        """Unscale if needed, then ``optimizer.step(*args, **kwargs)`` unless a gradient overflowed."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: float | None = None) -> None:
        """Adapt the scale to what the steps since the last update found (or set ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif self._per_optimizer:
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer.clear()

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]
