"""``skip_init``: build a module without drawing its initial parameter values."""

from __future__ import annotations

_SKIPPED = ("reset_parameters", "_reset_parameters")


def _no_reset(self) -> None:
    """Skipped by ``skip_init``."""


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` without running its ``reset_parameters`` (or ``_reset_parameters``):
    the parameters and buffers it allocates keep whatever their memory held (as ``morch.empty``).

    The constructor must create its parameters and then initialise them through that method, as
    morch's and PyTorch's layers do; submodules built inside the constructor are initialised by
    their own constructors as usual.

    Args:
        module_cls: a subclass of ``morch.nn.Module``.
        args: positional arguments of the constructor.
        kwargs: keyword arguments of the constructor (``device='cpu'`` is accepted).

    Returns:
        The module, an instance of ``module_cls`` itself.
    """
    from morch.nn.module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    # a subclass whose reset methods do nothing runs the constructor; the instance then becomes module_cls's
    skipping = type(module_cls.__name__, (module_cls,), {name: _no_reset for name in _SKIPPED})
    module = skipping(*args, **kwargs)
    module.__class__ = module_cls
    return module
