"""Op plugins: packages that add ops to morch through pluggy and the ``morch`` entry-point group.

A plugin module marks a ``register_ops`` function with ``hookimpl`` and registers its op
classes (subclasses of ``morch.autograd.Function``) through the callback it receives::

    from morch.plugins import hookimpl

    @hookimpl
    def register_ops(register):
        register(Softplus, functional=True)   # morch.softplus and morch.nn.functional.softplus

and names that module in its ``pyproject.toml``::

    [project.entry-points.morch]
    activations = "morch_activations.plugin"

``import morch`` does not import installed plugins: the entry points are read the first time an
unknown name is looked up (``morch.softplus``) or plugins are listed (``python -m morch plugins``).
Environment variables: ``MORCH_DISABLE_PLUGIN_AUTOLOAD=1`` (read no entry points),
``MORCH_PLUGINS_STRICT=1`` (a broken plugin is an error, not a warning),
``MORCH_SKIP_PLUGINS=name1,name2`` (skip these plugins or distributions). See docs/plugins.md.
"""

import pluggy

from morch.plugins.hookspecs import RegisterOp
from morch.plugins.manager import (
    ENV_DISABLE,
    ENV_SKIP,
    ENV_STRICT,
    GROUP,
    PluginError,
    PluginInfo,
    PluginWarning,
    isolated,
    list_plugins,
    load,
    op_function,
    plugin_manager,
    register_plugin,
    unregister_plugin,
)

hookimpl = pluggy.HookimplMarker("morch")
"""Marks a function of a plugin as the implementation of a morch hook (``@hookimpl``)."""

__all__ = [
    "ENV_DISABLE",
    "ENV_SKIP",
    "ENV_STRICT",
    "GROUP",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "RegisterOp",
    "hookimpl",
    "isolated",
    "list_plugins",
    "load",
    "op_function",
    "plugin_manager",
    "register_plugin",
    "unregister_plugin",
]
