"""morch.hub offline: hubconf entry points from a directory or the cache, checkpoints from file:// URLs."""

import hashlib
import os

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import hub
from morch.serialization import SerializationError

HUBCONF = '''
dependencies = ["numpy"]
import helper_mod


def scaled(x, factor=2):
    """Multiply x by factor."""
    return helper_mod.mul(x, factor)


def _private():
    return 0


NOT_CALLABLE = 3
'''


@pytest.fixture(autouse=True)
def hub_dir(tmp_path, monkeypatch):
    """Every test gets its own cache directory."""
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("MORCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "hub"


def _repo(path, hubconf=HUBCONF):
    path.mkdir(parents=True)
    (path / "hubconf.py").write_text(hubconf)
    (path / "helper_mod.py").write_text("def mul(x, f):\n    return x * f\n")
    return path


# ---------------------------------------------------------------- directories
def test_get_dir_env_and_set_dir(tmp_path, monkeypatch, hub_dir):
    assert hub.get_dir() == str(hub_dir)
    monkeypatch.delenv("MORCH_HOME")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "t"))
    assert hub.get_dir() == str(tmp_path / "t" / "hub")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert hub.get_dir() == str(tmp_path / "x" / "morch" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


# ---------------------------------------------------------------- local source
def test_load_local_args_kwargs(tmp_path):
    d = _repo(tmp_path / "repo")
    assert hub.load(str(d), "scaled", 3, source="local") == 6
    assert hub.load(str(d), "scaled", 3, source="local", factor=5) == 15
    assert morch.hub.load(d, "scaled", x=4, factor=1, source="LOCAL") == 4


def test_list_and_help_local(tmp_path):
    d = _repo(tmp_path / "repo")
    assert hub.list(str(d), source="local") == ["scaled"]
    assert hub.help(str(d), "scaled", source="local") == "Multiply x by factor."


def test_missing_dependencies(tmp_path):
    d = _repo(tmp_path / "repo", HUBCONF.replace('["numpy"]', '["numpy", "no_such_pkg_a", "no_such_pkg_b"]'))
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_pkg_a, no_such_pkg_b"):
        hub.load(str(d), "scaled", 1, source="local")


def test_bad_entry_points(tmp_path):
    d = _repo(tmp_path / "repo")
    with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
        hub.load(str(d), "nope", source="local")
    with pytest.raises(RuntimeError, match="Cannot find callable NOT_CALLABLE"):
        hub.load(str(d), "NOT_CALLABLE", source="local")
    with pytest.raises(ValueError, match="model should be a string"):
        hub.load(str(d), 3, source="local")
    with pytest.raises(FileNotFoundError, match=r"morch.hub.load: no hubconf.py in"):
        hub.load(str(tmp_path), "scaled", source="local")
    with pytest.raises(ValueError, match='Unknown source: "gitlab"'):
        hub.load(str(d), "scaled", source="gitlab")


# ---------------------------------------------------------------- github source: cache only
def test_github_not_cached_raises_clearly(hub_dir):
    with pytest.raises(RuntimeError, match=r"cannot download.*source='local'") as e:
        hub.load("owner/repo", "scaled", 1)
    assert "git clone https://github.com/owner/repo" in str(e.value)
    with pytest.raises(RuntimeError, match="cannot download"):
        hub.list("owner/repo:v1")
    with pytest.raises(ValueError, match="owner/name"):
        hub.load("justname", "scaled")
    assert not hub_dir.exists()  # nothing written


def test_github_cached_main_master_and_ref(hub_dir, capsys):
    _repo(hub_dir / "owner_repo_master")
    assert hub.load("owner/repo", "scaled", 2) == 4  # no ref: main, then master
    assert "Using cache found in" in capsys.readouterr().err
    _repo(hub_dir / "owner_repo_feature_x", HUBCONF.replace("Multiply", "Times"))
    assert hub.help("owner/repo:feature/x", "scaled") == "Times x by factor."
    assert hub.list("owner/repo", verbose=False) == ["scaled"]
    with pytest.raises(RuntimeError, match="force_reload=True needs a fresh download"):
        hub.load("owner/repo", "scaled", 2, force_reload=True)


def test_trust_repo(hub_dir, monkeypatch):
    _repo(hub_dir / "owner_repo_main")
    assert hub.load("owner/repo", "scaled", 1, trust_repo=True, verbose=False) == 2
    assert (hub_dir / "trusted_list").read_text().split() == ["owner_repo"]
    hub.load("owner/repo", "scaled", 1, trust_repo=True, verbose=False)
    assert (hub_dir / "trusted_list").read_text().split() == ["owner_repo"]  # recorded once
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    with pytest.raises(RuntimeError, match="Untrusted repository"):
        hub.load("owner/repo", "scaled", 1, trust_repo=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert hub.load("owner/repo", "scaled", 1, trust_repo=False, verbose=False) == 2
    with pytest.raises(ValueError, match="trust_repo must be"):
        hub.load("owner/repo", "scaled", 1, trust_repo="yes")


# ---------------------------------------------------------------- files
def _checkpoint(path):
    sd = {"w": morch.arange(6.0).reshape(2, 3), "b": morch.zeros(3)}
    morch.save(sd, path)
    return sd, hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello" * 1000)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    dst = tmp_path / "out" / "copy.bin"
    dst.parent.mkdir()
    hub.download_url_to_file(src.as_uri(), str(dst), hash_prefix=digest[:10])
    assert dst.read_bytes() == src.read_bytes()
    assert os.listdir(dst.parent) == ["copy.bin"]


def test_download_bad_hash_leaves_nothing(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "0000"'):
        hub.download_url_to_file(src.as_uri(), str(out / "x.bin"), hash_prefix="0000")
    assert os.listdir(out) == []


def test_download_errors(tmp_path):
    with pytest.raises(RuntimeError, match="cannot download 'https://example.com/a.pt'.*no network code"):
        hub.download_url_to_file("https://example.com/a.pt", str(tmp_path / "a.pt"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        hub.download_url_to_file((tmp_path / "missing").as_uri(), str(tmp_path / "a.pt"))
    (tmp_path / "s").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="directory .* does not exist"):
        hub.download_url_to_file((tmp_path / "s").as_uri(), str(tmp_path / "no" / "a.pt"))
    assert not (tmp_path / "a.pt").exists()


def test_load_state_dict_from_url_caches(tmp_path, hub_dir):
    sd, digest = _checkpoint(tmp_path / "src.mt")
    name = f"model-{digest[:8]}.mt"
    (tmp_path / name).write_bytes((tmp_path / "src.mt").read_bytes())
    url = (tmp_path / name).as_uri()
    got = hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    np.testing.assert_array_equal(got["w"].numpy(), sd["w"].numpy())
    cached = hub_dir / "checkpoints" / name
    assert cached.is_file()
    (tmp_path / name).unlink()  # the cached copy is used from now on, the URL is not read
    assert hub.load_state_dict_from_url(url, progress=False)["b"].shape == (3,)
    # an http URL works when its file is cached (no connection attempted)
    got = hub.load_state_dict_from_url(f"https://example.com/weights/{name}", progress=False)
    np.testing.assert_array_equal(got["w"].numpy(), sd["w"].numpy())


def test_load_state_dict_model_dir_file_name_bad_hash(tmp_path):
    _, digest = _checkpoint(tmp_path / "src.mt")
    url = (tmp_path / "src.mt").as_uri()
    got = hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "md"), file_name="named.mt", progress=False)
    assert set(got) == {"w", "b"} and (tmp_path / "md" / "named.mt").is_file()
    bad = "0" * 8 if not digest.startswith("0" * 8) else "1" * 8
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "md"), file_name=f"m-{bad}.mt", check_hash=True)
    assert os.listdir(tmp_path / "md") == ["named.mt"]
    # without check_hash the name's hash is not checked
    assert hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "md"), file_name=f"m-{bad}.mt", progress=False)


def test_load_state_dict_errors(tmp_path):
    with pytest.raises(RuntimeError, match="no network code"):
        hub.load_state_dict_from_url("https://example.com/w.pth", model_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []
    (tmp_path / "p.pth").write_bytes(b"\x80\x04junk pickle")
    with pytest.raises(SerializationError, match="PyTorch checkpoints and pickles cannot be read"):
        hub.load_state_dict_from_url("https://example.com/p.pth", model_dir=str(tmp_path), progress=False)


@requires_torch
def test_same_api_names_as_torch_hub():
    for name in ["load", "list", "help", "get_dir", "set_dir", "load_state_dict_from_url", "download_url_to_file"]:
        assert hasattr(torch.hub, name) and hasattr(morch.hub, name)
    assert morch.hub.HASH_REGEX.pattern == torch.hub.HASH_REGEX.pattern


@requires_torch
def test_local_load_matches_torch_hub(tmp_path):
    d = _repo(tmp_path / "repo")
    for args, kwargs in [((3,), {"factor": 4}), ((), {"x": 2})]:
        assert hub.load(str(d), "scaled", *args, source="local", **kwargs) == torch.hub.load(
            str(d), "scaled", *args, source="local", **kwargs
        )
    bad = _repo(tmp_path / "bad", HUBCONF.replace('["numpy"]', '["no_such_pkg_a"]'))
    with pytest.raises(RuntimeError) as theirs:
        torch.hub.load(str(bad), "scaled", 1, source="local")
    with pytest.raises(RuntimeError) as ours:
        hub.load(str(bad), "scaled", 1, source="local")
    assert str(ours.value) == str(theirs.value)
