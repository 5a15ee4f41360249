"""The entry point morch loads (``[project.entry-points.morch]`` in pyproject.toml)."""

from morch.plugins import hookimpl

from morch_activations.ops import Mish, Softplus, Swish


@hookimpl
def register_ops(register):
    register(Softplus, functional=True)  # morch.softplus, morch.nn.functional.softplus
    register(Mish, functional=True, method=True)  # ... and x.mish()
    register(Swish, method=True)  # morch.swish, x.swish(beta=...)
