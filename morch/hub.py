"""``morch.hub``, as ``torch.hub`` but offline: models from a directory with a ``hubconf.py``, and
checkpoints from ``file://`` URLs or the local cache.

morch has no network code. ``source='local'`` loads from a directory; ``source='github'`` loads only a
repository already in the cache (``get_dir()/<owner>_<repo>_<ref>``, the layout torch.hub uses) and
otherwise says how to get it (clone it and use ``source='local'``). Likewise ``load_state_dict_from_url``
reads a checkpoint already in ``get_dir()/checkpoints`` or copies it from a ``file://`` URL; an http(s)
URL that is not cached raises, and nothing tries to connect. Checkpoints are read with ``morch.load``,
so they must be morch files (``morch.save``), not PyTorch pickles.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from morch.serialization import SerializationError, _atomic_write
from morch.serialization import load as _morch_load

__all__ = ["load", "list", "help", "get_dir", "set_dir", "load_state_dict_from_url", "download_url_to_file"]

ENV_MORCH_HOME = "MORCH_HOME"
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
MODULE_HUBCONF = "hubconf.py"
VAR_DEPENDENCY = "dependencies"
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")  # the sha256 prefix in a checkpoint's name: name-<hash>.ext
_TRUSTED_LIST = "trusted_list"
_CHUNK = 1 << 20

_hub_dir: str | None = None


# ---------------------------------------------------------------- cache directory
def get_dir() -> str:
    """The hub cache directory: the one given to ``set_dir``, else ``$MORCH_HOME/hub``, else
    ``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/morch/hub`` (``~/.cache/morch/hub`` by default)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.getenv(ENV_MORCH_HOME) or os.getenv(ENV_TORCH_HOME)
    if not home:
        home = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "morch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache directory from now on (overrides the environment variables).

    Args:
        d: the directory (``~`` is expanded); it is created when something is written to it.
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


# ---------------------------------------------------------------- hubconf
@contextlib.contextmanager
def _on_sys_path(path: str) -> Iterator[None]:
    sys.path.insert(0, path)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(path)


def _import_hubconf(repo_dir: str, op: str) -> ModuleType:
    """Import ``repo_dir/hubconf.py`` (with ``repo_dir`` on sys.path, so it can import its own modules)."""
    path = os.path.join(repo_dir, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"morch.hub.{op}: no {MODULE_HUBCONF} in {repo_dir!r}")
    spec = importlib.util.spec_from_file_location(MODULE_HUBCONF[:-3], path)
    module = importlib.util.module_from_spec(spec)
    with _on_sys_path(repo_dir):
        spec.loader.exec_module(module)
    return module


def _check_dependencies(module: ModuleType) -> None:
    deps = getattr(module, VAR_DEPENDENCY, None) or []
    missing = [pkg for pkg in deps if importlib.util.find_spec(pkg) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _entry(module: ModuleType, model: str) -> Any:
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(module)
    fn = getattr(module, model, None)
    if fn is None or not callable(fn):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


# ---------------------------------------------------------------- github: the cache only
def _parse_repo(github: str) -> tuple[str, str, str | None]:
    repo, _, ref = github.partition(":")
    owner, slash, name = repo.partition("/")
    if not (owner and slash and name) or "/" in name:
        raise ValueError(f"morch.hub: repo must look like 'owner/name[:ref]', got {github!r}")
    return owner, name, ref or None


def _check_trust(owner: str, name: str, trust_repo: bool | str | None) -> None:
    """torch.hub's trust rule for a cached repo: ``True`` records it as trusted, ``False`` asks, and
    'check'/None accept it (a repo already in the cache counts as trusted, as in torch.hub)."""
    if trust_repo not in (True, False, "check", None):
        raise ValueError(f"morch.hub: trust_repo must be True, False, 'check' or None, got {trust_repo!r}")
    if trust_repo is False:
        answer = input(f"The repository {owner}/{name} will be loaded from the cache. Trust it? (y/N) ")
        if answer.strip().lower() not in ("y", "yes"):
            raise RuntimeError("Untrusted repository.")
    if trust_repo in (True, False):
        path = os.path.join(get_dir(), _TRUSTED_LIST)
        entry = f"{owner}_{name}"
        known = []
        if os.path.isfile(path):
            with open(path) as f:
                known = f.read().split()
        if entry not in known:
            os.makedirs(get_dir(), exist_ok=True)
            with open(path, "a") as f:
                f.write(entry + "\n")


def _cached_repo(github: str, force_reload: bool, trust_repo, verbose: bool, op: str) -> str:
    """The cached directory of ``owner/name[:ref]`` (ref 'main', then 'master' when not given)."""
    if not isinstance(github, str):
        raise TypeError(f"morch.hub.{op}: repo must be a string 'owner/name[:ref]', got {type(github).__name__}")
    owner, name, ref = _parse_repo(github)
    refs = [ref] if ref else ["main", "master"]
    dirs = [os.path.join(get_dir(), f"{owner}_{name}_{r.replace('/', '_')}") for r in refs]
    found = next((d for d in dirs if os.path.isdir(d)), None)
    if found is None or force_reload:
        why = "force_reload=True needs a fresh download" if found else f"it is not in the cache ({dirs[0]!r})"
        raise RuntimeError(
            f"morch.hub.{op}: cannot get {github!r} from GitHub: {why}, and morch.hub cannot download (it has "
            f"no network code). Clone the repository (git clone https://github.com/{owner}/{name}) and call "
            f"morch.hub.{op}('<cloned dir>', ..., source='local'), or copy the clone to {dirs[0]!r}"
        )
    _check_trust(owner, name, trust_repo)
    if verbose:
        sys.stderr.write(f"Using cache found in {found}\n")
    return found


def _repo_dir(repo_or_dir: str, source: str, force_reload: bool, trust_repo, verbose: bool, op: str) -> str:
    source = source.lower() if isinstance(source, str) else source
    if source == "local":
        return os.path.expanduser(os.fspath(repo_or_dir))
    if source == "github":
        return _cached_repo(repo_or_dir, force_reload, trust_repo, verbose, op)
    raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')


# ---------------------------------------------------------------- public: models
def load(
    repo_or_dir: str,
    model: str,
    *args,
    source: str = "github",
    trust_repo: bool | str | None = "check",
    force_reload: bool = False,
    verbose: bool = True,
    skip_validation: bool = False,
    **kwargs,
) -> Any:
    """Call the entry point ``model`` of a ``hubconf.py`` with ``*args, **kwargs`` and return the result.

    Args:
        repo_or_dir: with source='local', a directory holding ``hubconf.py``; with source='github',
            'owner/name[:ref]' of a repository already in the cache (``get_dir()``).
        model: the name of a callable in ``hubconf.py``.
        source: 'github' (cache only; morch cannot download) or 'local'.
        trust_repo: True, False, 'check' or None (github source only; see torch.hub).
        force_reload: with source='github', would need a download, so it raises.
        verbose: print which cached directory is used.
        skip_validation: accepted for compatibility (validation would need the network).
    """
    repo_dir = _repo_dir(repo_or_dir, source, force_reload, trust_repo, verbose, "load")
    module = _import_hubconf(repo_dir, "load")
    with _on_sys_path(repo_dir):
        return _entry(module, model)(*args, **kwargs)


def list(  # noqa: A001 - torch.hub's name
    github: str,
    force_reload: bool = False,
    skip_validation: bool = False,
    trust_repo: bool | str | None = "check",
    verbose: bool = True,
    source: str = "github",
) -> builtins.list[str]:
    """The entry points of a ``hubconf.py``: its public callables (names not starting with '_').

    Args:
        github: 'owner/name[:ref]' of a cached repository, or a directory when source='local'.
        source: 'github' (cache only) or 'local' (a morch extension; torch.hub.list has no source).
        force_reload, skip_validation, trust_repo, verbose: as for ``load``.
    """
    module = _import_hubconf(_repo_dir(github, source, force_reload, trust_repo, verbose, "list"), "list")
    return [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]


def help(  # noqa: A001 - torch.hub's name
    github: str,
    model: str,
    force_reload: bool = False,
    skip_validation: bool = False,
    trust_repo: bool | str | None = "check",
    source: str = "github",
) -> str | None:
    """The docstring of the entry point ``model``.

    Args:
        github: 'owner/name[:ref]' of a cached repository, or a directory when source='local'.
        model: the name of a callable in ``hubconf.py``.
        source: 'github' (cache only) or 'local' (a morch extension; torch.hub.help has no source).
        force_reload, skip_validation, trust_repo: as for ``load``.
    """
    repo_dir = _repo_dir(github, source, force_reload, trust_repo, True, "help")
    return _entry(_import_hubconf(repo_dir, "help"), model).__doc__


# ---------------------------------------------------------------- public: files
def _copy_checked(src: str, hash_prefix: str | None, url: str):
    """A writer for ``_atomic_write``: copies ``src`` and checks its sha256 before the rename."""

    def write(out) -> None:
        digest = hashlib.sha256()
        with open(src, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if hash_prefix is not None and not got.startswith(hash_prefix):
            raise RuntimeError(
                f'morch.hub.download_url_to_file: {url}: invalid hash value (expected "{hash_prefix}", got "{got}")'
            )

    return write


def download_url_to_file(url: str, dst: str | os.PathLike, hash_prefix: str | None = None, progress: bool = True):
    """Copy the object at ``url`` to ``dst``: a temporary file in ``dst``'s directory, renamed into place
    only when complete (and its sha256 starts with ``hash_prefix``), so no partial file is left.

    Args:
        url: a ``file://`` URL. http(s) URLs raise: morch.hub has no network code.
        dst: the destination path; its directory must exist.
        hash_prefix: if given, the sha256 hex digest of the file must start with it.
        progress: accepted for compatibility (nothing is shown).
    """
    dst = os.path.expanduser(os.fspath(dst))
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise RuntimeError(
            f"morch.hub.download_url_to_file: cannot download {url!r}: morch.hub has no network code; download "
            f"it yourself and put it at {dst!r}, or pass a file:// URL"
        )
    if parsed.netloc not in ("", "localhost"):
        raise ValueError(f"morch.hub.download_url_to_file: {url!r}: only local file:// URLs are supported")
    src = url2pathname(parsed.path)
    if not os.path.isfile(src):
        raise FileNotFoundError(f"morch.hub.download_url_to_file: {url!r}: no such file {src!r}")
    directory = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"morch.hub.download_url_to_file: directory {directory!r} does not exist")
    if os.path.isdir(dst):
        raise IsADirectoryError(f"morch.hub.download_url_to_file: {dst!r} is a directory")
    _atomic_write(dst, _copy_checked(src, hash_prefix, url))


def load_state_dict_from_url(
    url: str,
    model_dir: str | None = None,
    map_location=None,
    progress: bool = True,
    check_hash: bool = False,
    file_name: str | None = None,
    weights_only: bool = False,
) -> Any:
    """Load a checkpoint (a morch file) cached under ``model_dir``, copying it from ``url`` first if
    it is not there yet. A cached file is used as is (no hash check, no access to ``url``).

    Args:
        url: a ``file://`` URL, or any URL whose file is already cached (http(s) is never fetched).
        model_dir: the cache directory; ``get_dir()/checkpoints`` by default (created if missing).
        map_location: passed to ``morch.load``.
        progress: print a line when a file is copied into the cache.
        check_hash: check that the sha256 of a newly copied file starts with the hex digits after the
            last '-' of the file name (``name-<hash>.ext``).
        file_name: the cached file's name; the last part of the URL's path by default.
        weights_only: passed to ``morch.load`` (which reads data only anyway).
    """
    model_dir = os.path.expanduser(os.fspath(model_dir)) if model_dir else os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    name = file_name or os.path.basename(urlparse(url).path)
    if not name:
        raise ValueError(f"morch.hub.load_state_dict_from_url: cannot tell a file name from {url!r}; pass file_name")
    cached = os.path.join(model_dir, name)
    if not os.path.exists(cached):
        match = HASH_REGEX.search(name) if check_hash else None
        if progress:
            sys.stderr.write(f'Copying: "{url}" to {cached}\n')
        download_url_to_file(url, cached, match.group(1) if match else None, progress=progress)
    try:
        return _morch_load(cached, map_location=map_location, weights_only=weights_only)
    except SerializationError as e:
        raise SerializationError(
            f"morch.hub.load_state_dict_from_url: {e} (morch.hub reads only files written by morch.save; "
            "PyTorch checkpoints and pickles cannot be read)"
        ) from None
