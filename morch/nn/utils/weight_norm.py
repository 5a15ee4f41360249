"""The older hook-based ``nn.utils.weight_norm`` / ``spectral_norm``: the module keeps parameters
``<name>_g`` and ``<name>_v`` (or ``<name>_orig`` and buffers ``<name>_u``, ``<name>_v``) and a
forward pre-hook recomputes ``<name>`` before each call. PyTorch deprecates them in favour of
``nn.utils.parametrizations``; they are here for the scripts and checkpoints that use them."""

from __future__ import annotations

from morch.autograd import grad_mode
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.nn.utils.parametrizations import _SpectralNorm, norm_except_dim

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def _hooks(module: Module, kind: str) -> dict:
    return module.__dict__.setdefault("_reparametrizations", {}).setdefault(kind, {})


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g * <name>_v / ||<name>_v||`` (parameters ``<name>_g``
    and ``<name>_v``), recomputed before each forward.

    Args:
        module: the module.
        name: the parameter's name.
        dim: the dimension that keeps its own norm (None: one norm for the whole tensor).
    """
    hooks = _hooks(module, "weight_norm")
    if name in hooks:
        raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    d = -1 if dim is None else (dim if dim >= 0 else dim + getattr(module, name).ndim)
    weight = module._parameters.pop(name)
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, d).detach().clone()))
    module.register_parameter(name + "_v", Parameter(weight.detach().clone()))

    def compute(mod, _args=None):
        v = getattr(mod, name + "_v")
        object.__setattr__(mod, name, v * (getattr(mod, name + "_g") / norm_except_dim(v, d)))

    compute(module)
    hooks[name] = (module.register_forward_pre_hook(compute), compute)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a plain parameter holding its current value.

    Args:
        module: the module.
        name: the parameter's name.
    """
    hooks = _hooks(module, "weight_norm")
    if name not in hooks:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    handle, compute = hooks.pop(name)
    handle.remove()
    with grad_mode.no_grad():
        compute(module)
    value = module.__dict__.pop(name)
    del module._parameters[name + "_g"], module._parameters[name + "_v"]
    module.register_parameter(name, Parameter(value.detach().clone()))
    return module


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:  # fmt: skip
    """Replace ``module.<name>`` by ``<name>_orig`` divided by its largest singular value, estimated
    by power iteration in training mode (buffers ``<name>_u``, ``<name>_v``), before each forward.

    Args:
        module: the module.
        name: the parameter's name.
        n_power_iterations: power-iteration rounds per training forward.
        eps: added stability in the normalisations.
        dim: the output dimension (default 0, or 1 for transposed convolutions).
    """
    hooks = _hooks(module, "spectral_norm")
    if name in hooks:
        raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    weight = module._parameters.pop(name)
    sn = _SpectralNorm(weight, n_power_iterations, dim, eps)
    sn.v_first = True
    module.register_parameter(name + "_orig", weight)
    if weight.ndim > 1:
        module.register_buffer(name + "_u", sn._u)
        module.register_buffer(name + "_v", sn._v)

    def compute(mod, _args=None):
        if weight.ndim > 1:  # the buffers may have been replaced by load_state_dict
            sn._buffers["_u"], sn._buffers["_v"] = getattr(mod, name + "_u"), getattr(mod, name + "_v")
        sn.training = mod.training
        object.__setattr__(mod, name, sn(getattr(mod, name + "_orig")))

    with grad_mode.no_grad():
        sn.training = False
        object.__setattr__(module, name, sn(weight))
    hooks[name] = (module.register_forward_pre_hook(compute), compute)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a plain parameter holding its last value.

    Args:
        module: the module.
        name: the parameter's name.
    """
    hooks = _hooks(module, "spectral_norm")
    if name not in hooks:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    hooks.pop(name)[0].remove()
    value = module.__dict__.pop(name)
    module._parameters.pop(name + "_orig")
    module._buffers.pop(name + "_u", None)
    module._buffers.pop(name + "_v", None)
    module.register_parameter(name, Parameter(value.detach().clone()))
    return module
