"""Plugin discovery and loading: a pluggy PluginManager fed from the ``morch`` entry-point group.

Entry points are read lazily (the first unknown ``morch.<name>``, or when plugins are listed), so
``import morch`` stays fast and never imports an installed plugin. Each plugin is loaded on its
own: one that fails to import, whose hook raises, or whose op names are taken, is reported (a
warning, or an error in strict mode) and the others keep working.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pluggy

from morch.ops import registry
from morch.plugins import exports, hookspecs

GROUP = "morch"
ENV_DISABLE = "MORCH_DISABLE_PLUGIN_AUTOLOAD"
ENV_STRICT = "MORCH_PLUGINS_STRICT"
ENV_SKIP = "MORCH_SKIP_PLUGINS"


class PluginError(RuntimeError):
    """A plugin could not be loaded or registered (raised in strict mode, or by a misused API)."""


class PluginWarning(UserWarning):
    """A plugin could not be loaded or registered; morch and the other plugins keep working."""


@dataclass
class PluginInfo:
    """What ``list_plugins`` reports about one plugin.

    Attributes:
        name: the plugin's name (its entry-point name, or the name given to ``register_plugin``).
        distribution: the installed distribution that provides it (None when registered directly).
        version: that distribution's version.
        target: what the entry point points to (``"package.module"``), or a description of the object.
        status: ``"loaded"``, ``"failed"`` (nothing registered) or ``"skipped"`` (``MORCH_SKIP_PLUGINS``).
        ops: the op names the plugin provides.
        errors: what went wrong, one message per problem (an op can be refused while the others load).
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    target: str | None = None
    status: str = "loaded"
    ops: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """All errors in one string, or None."""
        return "; ".join(self.errors) or None

    def label(self) -> str:
        """``'activations' (morch-activations 0.1.0)`` for messages."""
        dist = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"{self.name!r}{dist}"


def _flag(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on")


def autoload_enabled() -> bool:
    """False when ``MORCH_DISABLE_PLUGIN_AUTOLOAD`` is set (to 1, true, yes or on)."""
    return not _flag(ENV_DISABLE)


def strict_mode() -> bool:
    """True when ``MORCH_PLUGINS_STRICT`` is set: plugin problems raise PluginError instead of warning."""
    return _flag(ENV_STRICT)


def _skipped() -> set[str]:
    return {s.strip() for s in os.environ.get(ENV_SKIP, "").split(",") if s.strip()}


# ------------------------------------------------------------------ state
_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_records: dict[str, PluginInfo] = {}
_entry_points_read = False
_loader: int | None = None  # the thread reading the entry points right now


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy PluginManager (project ``morch``) that holds the registered plugins."""
    global _pm
    with _lock:
        if _pm is None:
            pm = pluggy.PluginManager("morch")
            pm.add_hookspecs(hookspecs)
            _pm = pm
        return _pm


def _hook_names() -> list[str]:
    return sorted(n for n in vars(hookspecs) if hasattr(getattr(hookspecs, n), "morch_spec"))


# ------------------------------------------------------------------ one plugin
class _Problems:
    """Problems found while loading, reported together: warnings, or one PluginError in strict mode."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, info: PluginInfo, message: str) -> None:
        info.errors.append(message)
        self.messages.append(f"morch plugin {info.label()}: {message}")

    def report(self, strict: bool, stacklevel: int) -> None:
        if not self.messages:
            return
        if strict:
            raise PluginError("\n".join(self.messages))
        for m in self.messages:
            warnings.warn(
                f"{m}. morch and the other plugins keep working (set {ENV_STRICT}=1 to make this an error, "
                f"{ENV_SKIP}=<name> to skip the plugin)",
                PluginWarning,
                stacklevel=stacklevel + 1,
            )


def _make_register(info: PluginInfo, added: list[str], problems: _Problems) -> Callable:
    """The ``register`` callback handed to one plugin's ``register_ops`` hook."""
    plugin = info.name

    def register(op: type, name: str | None = None, *, functional: bool = False, method: bool = False) -> type:
        # a broken op class or signature is a bug in the plugin: raise, the whole plugin fails
        exports.check_op_class(op)
        key = name or op.__dict__.get("op_name") or registry.default_name(op)
        # a taken name depends on what else is installed: refuse this op only, keep the plugin's others
        old = registry.get(key)
        if old is not None and (old is not op or getattr(old, "provider", None) != plugin):
            owner = getattr(old, "provider", "?")
            who = "morch" if owner == "morch" else f"plugin {owner!r}"
            problems.add(
                info,
                f"op {key!r} ({op.__module__}.{op.__qualname__}) not registered: the name is already taken by "
                f"{who} ({old.__module__}.{old.__qualname__})",
            )
            return op
        clash = exports.core_clash(key)
        if clash is not None:
            problems.add(
                info,
                f"op {key!r} ({op.__module__}.{op.__qualname__}) not registered: it would shadow {clash} of morch",
            )
            return op
        try:
            registry.register(op, name=key, provider=plugin)
        except registry.RegistryError as e:
            raise PluginError(f"register({op.__qualname__}): {e}") from None
        function = exports.make_function(op, key, plugin)
        exports.add(exports.Export(key, op, plugin, function, bool(functional), bool(method)))
        if key not in added:
            added.append(key)
        return op

    return register


def _drop_ops(names: list[str]) -> None:
    for key in names:
        exports.remove(key)
        registry.unregister(key)


def _activate(plugin: object, info: PluginInfo, problems: _Problems) -> None:
    """Register ``plugin`` with pluggy and run its ``register_ops``; on failure leave no trace of it."""
    pm = plugin_manager()
    try:
        pm.register(plugin, name=info.name)
    except pluggy.PluginValidationError as e:
        info.status = "failed"
        problems.add(info, f"invalid hook implementation: {e}")
        return
    except Exception as e:  # e.g. the same object registered under another name
        info.status = "failed"
        problems.add(info, f"could not be registered with the plugin manager: {type(e).__name__}: {e}")
        return
    callers = pm.get_hookcallers(plugin) or []
    unknown = sorted(hc.name for hc in callers if not hc.has_spec())
    if unknown or not callers:
        pm.unregister(plugin)
        info.status = "failed"
        hooks = ", ".join(_hook_names())
        if unknown:
            problems.add(info, f"implements unknown hook(s) {', '.join(unknown)}; morch's hooks are: {hooks}")
        else:
            problems.add(
                info, f"defines no morch hook (functions decorated with @morch.plugins.hookimpl named {hooks})"
            )
        return
    others = [p for p in pm.get_plugins() if p is not plugin]
    added: list[str] = []
    try:
        pm.subset_hook_caller("register_ops", remove_plugins=others)(register=_make_register(info, added, problems))
    except Exception as e:
        _drop_ops(added)
        pm.unregister(plugin)
        info.status = "failed"
        problems.add(info, f"register_ops raised {type(e).__name__}: {e}; none of its ops are registered")
        return
    info.ops = sorted(added)


def _describe(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    if name is not None:
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__} instance"


# ------------------------------------------------------------------ entry points
def _entry_points() -> list:
    from importlib.metadata import entry_points

    return sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


def _read_entry_points() -> _Problems:
    global _entry_points_read, _loader
    _entry_points_read = True  # first: a plugin that looks up morch.<name> while importing must not re-enter
    _loader = threading.get_ident()
    try:
        return _load_each()
    finally:
        _loader = None


def _load_each() -> _Problems:
    problems = _Problems()
    skip = _skipped()
    for ep in _entry_points():
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        info = PluginInfo(ep.name, dist_name, dist.version if dist is not None else None, ep.value)
        old = _records.get(ep.name)
        if old is not None:
            if old.distribution != dist_name or old.target != ep.value:
                dup = replace(info, status="failed", errors=[])
                problems.add(dup, f"not loaded: the plugin name {ep.name!r} is already used by {old.label()}")
                old.errors.extend(e for e in dup.errors if e not in old.errors)
            continue
        _records[ep.name] = info
        if ep.name in skip or (dist_name is not None and dist_name in skip):
            info.status = "skipped"
            continue
        try:
            plugin = ep.load()
        except Exception as e:
            info.status = "failed"
            problems.add(info, f"failed to import {ep.value}: {type(e).__name__}: {e}")
            continue
        _activate(plugin, info, problems)
    return problems


def ensure_loaded(stacklevel: int = 1) -> None:
    """Read the entry points, once, unless autoloading is disabled.

    Problems are warnings; in strict mode this call raises one PluginError listing them all
    (the plugins without problems stay loaded, and later calls do not raise again).

    Args:
        stacklevel: where warnings point: 1 is the caller of ensure_loaded, 2 its caller, ...
    """
    if _entry_points_read or not autoload_enabled():
        return
    with _lock:
        if _entry_points_read:
            return
        problems = _read_entry_points()
    problems.report(strict_mode(), stacklevel + 1)


def load() -> list[PluginInfo]:
    """Read the ``morch`` entry points now and load the plugins not loaded yet.

    Works even when ``MORCH_DISABLE_PLUGIN_AUTOLOAD`` is set (it disables only the automatic
    loading); useful after installing a plugin into a running session.

    Returns:
        The plugins, as ``list_plugins`` gives them.
    """
    import importlib

    importlib.invalidate_caches()
    with _lock:
        problems = _read_entry_points()
    problems.report(strict_mode(), 2)
    return list_plugins()


def list_plugins() -> list[PluginInfo]:
    """Every plugin morch knows about, loaded or not, with its distribution, version, ops and errors.

    Reads the entry points first (unless autoloading is disabled). Never raises for a broken
    plugin, also in strict mode: this is the place to look at what went wrong.

    Returns:
        One PluginInfo per plugin (copies: changing them changes nothing).
    """
    try:
        ensure_loaded(2)
    except PluginError:
        pass
    with _lock:
        return [replace(i, ops=list(i.ops), errors=list(i.errors)) for i in _records.values()]


# ------------------------------------------------------------------ direct registration
def register_plugin(plugin: object, name: str | None = None, *, strict: bool | None = None) -> PluginInfo:
    """Register a plugin object (a module, class or instance with hook implementations) directly.

    This is what loading an entry point does, without installing anything: unit tests and
    notebooks use it. Problems are reported as for installed plugins: a PluginWarning, or a
    PluginError when strict.

    Args:
        plugin: the object whose ``@hookimpl`` functions are called.
        name: the plugin's name, used as the provider of its ops; defaults to the object's ``__name__``.
        strict: raise instead of warning; defaults to ``MORCH_PLUGINS_STRICT``.

    Returns:
        The plugin's PluginInfo.
    """
    name = name or _describe(plugin)
    info = PluginInfo(name, target=_describe(plugin), version=getattr(plugin, "__version__", None))
    problems = _Problems()
    with _lock:
        old = _records.get(name)
        if old is not None:
            info.status = "failed"
            problems.add(info, f"not registered: the plugin name {name!r} is already used by {old.label()}")
        else:
            _records[name] = info
            _activate(plugin, info, problems)
            if info.status == "failed":
                del _records[name]
    problems.report(strict_mode() if strict is None else strict, 2)
    return replace(info, ops=list(info.ops), errors=list(info.errors))


def unregister_plugin(name: str) -> None:
    """Remove a plugin and every op it registered.

    Args:
        name: the plugin's name.
    """
    with _lock:
        info = _records.pop(name, None)
        if info is None:
            raise KeyError(f"no morch plugin named {name!r}")
        _drop_ops(info.ops)
        pm = plugin_manager()
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)


def op_function(name: str, namespace: str = "morch") -> Callable | None:
    """The function of the plugin op ``name`` in ``namespace``, or None if there is none.

    ``morch``, ``morch.nn.functional`` and ``Tensor`` call this from their ``__getattr__``, so
    only names they do not define arrive here. The first such name reads the entry points.

    Args:
        name: the attribute asked for.
        namespace: ``"morch"`` (every plugin op), ``"nn.functional"`` (ops registered with
            ``functional=True``) or ``"Tensor"`` (ops registered with ``method=True``).
    """
    if namespace not in exports.NAMESPACES:
        raise ValueError(f"op_function: unknown namespace {namespace!r}; expected one of {exports.NAMESPACES}")
    export = exports.get(name)
    if export is None:
        if not autoload_enabled():
            return None
        if not _entry_points_read:
            if namespace == "morch" and exports.is_submodule(name):
                return None  # "from morch import <submodule>" asks here first; no need to load plugins
            ensure_loaded(3)  # warnings point at the code that asked morch (through one __getattr__) for the name
        elif _loader is not None and _loader != threading.get_ident():
            with _lock:  # another thread is loading plugins: wait for it
                pass
        export = exports.get(name)
        if export is None:
            return None
    if namespace == "nn.functional" and not export.functional:
        return None
    if namespace == "Tensor" and not export.method:
        return None
    return export.function


# ------------------------------------------------------------------ isolation (tests)
@contextlib.contextmanager
def isolated(autoload: bool = False) -> Iterator[pluggy.PluginManager]:
    """Run a block with no plugins and a fresh plugin manager, then put everything back.

    Whatever the block registers (plugins, ops, Tensor methods) is removed on exit, and the
    plugins and ops from before are restored. For tests of plugins and of plugin machinery.

    Args:
        autoload: let the block read entry points when it first needs them (if
            ``MORCH_DISABLE_PLUGIN_AUTOLOAD`` allows); by default it sees no installed plugin.

    Yields:
        The fresh pluggy PluginManager.
    """
    global _pm, _records, _entry_points_read
    with _lock:
        saved = (_pm, _records, _entry_points_read, registry.snapshot(), exports.all_exports())
        for key in exports.all_exports():
            exports.remove(key)
            registry.unregister(key)
        _pm, _records, _entry_points_read = None, {}, not autoload
    try:
        yield plugin_manager()
    finally:
        with _lock:
            _pm, _records, _entry_points_read = saved[:3]
            registry.restore(saved[3])
            exports.restore(saved[4])
