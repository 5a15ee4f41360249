"""The example plugins, pip-installed (not editable) into a fresh virtual environment and used, in new
interpreters, only through their entry points.

One environment serves the whole module. It is made without pip and sees this interpreter's
site-packages (numpy, pluggy, pip, setuptools, torch if present) and the morch under test through a
.pth file, so nothing is downloaded when setuptools can build offline; otherwise pip builds the
plugins in an isolated environment, as on a fresh machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

import morch

REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
EXAMPLES = ("morch-activations", "morch-losses")

pytestmark = pytest.mark.slow


def _setuptools_builds_offline() -> bool:
    """True if this interpreter's setuptools can build a wheel by itself (>= 70.1, or with wheel installed)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    version = tuple(int(p) for p in setuptools.__version__.split(".")[:2] if p.isdigit())
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.python = str(root / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
        self.vars = {k: v for k, v in os.environ.items() if not k.startswith(("MORCH_", "PYTHON"))}
        self.vars["PYTHONNOUSERSITE"] = "1"

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.python, *args], env=self.vars, cwd=cwd or self.root, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    tmp = tmp_path_factory.mktemp("plugin-install")
    root = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(root)
    e = Env(root)
    purelib = e.run("-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    # the morch under test first, then this interpreter's packages (pip, setuptools, numpy, pluggy, torch ...)
    outer = [str(Path(morch.__file__).resolve().parents[1])] + site.getsitepackages()
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        outer.append(site.getusersitepackages())
    outer.append(sysconfig.get_path("purelib"))
    Path(purelib, "_outer_environment.pth").write_text("\n".join(dict.fromkeys(outer)) + "\n")
    # build from copies: pip's in-tree build writes build/ and *.egg-info next to the sources
    sources = []
    for name in EXAMPLES:
        dst = tmp / "src" / name
        shutil.copytree(
            REPO_PLUGINS / name, dst, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*cache")
        )
        sources.append(str(dst))
    offline = ["--no-build-isolation", "--no-index"] if _setuptools_builds_offline() else []
    pip = e.run(
        "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--no-deps", *offline, *sources,
        timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    e.purelib, e.sources = Path(purelib), [Path(s) for s in sources]
    return e


def test_installed_as_real_distributions(env):
    installed = sorted(p.name for p in env.purelib.glob("morch_*.dist-info"))
    assert installed == ["morch_activations-0.1.0.dist-info", "morch_losses-0.1.0.dist-info"]
    assert not list(env.purelib.glob("__editable__*")) and not list(env.purelib.glob("*.egg-link"))
    where = env.run("-c", "import morch_activations, morch; print(morch_activations.__file__); print(morch.__file__)")
    plugin_file, morch_file = where.stdout.split()
    assert Path(plugin_file).is_relative_to(env.purelib)  # the installed copy, not plugins/ in the tree
    assert Path(morch_file) == Path(morch.__file__).resolve()


SCRIPT = r"""
import sys, json
import numpy as np
import morch
result = {"plugins_imported_by_import_morch": sorted(m for m in sys.modules if m.startswith(("morch_", "pluggy")))}
from morch.autograd import gradcheck, gradgradcheck

# forward values, through the entry points (nothing imported by hand)
x = morch.tensor([-2.0, 0.0, 3.0])
result["softplus"] = morch.softplus(x, beta=2.0).tolist()
result["mish_method"] = x.mish().tolist()
try:
    import morch.nn.functional as F
    result["functional"] = [F.softplus is morch.softplus, F.mish is morch.mish, hasattr(F, "swish")]
except ImportError:  # morch.nn.functional not written yet
    result["functional"] = None
result["focal"] = morch.sigmoid_focal_loss(x, morch.tensor([0.0, 1.0, 1.0]), reduction="sum").item()

# gradcheck / gradgradcheck
a = morch.tensor(np.linspace(-2, 2, 6), dtype=morch.float64, requires_grad=True)
t = morch.tensor(np.linspace(1, -1, 6), dtype=morch.float64, requires_grad=True)
result["gradcheck"] = [
    gradcheck(lambda u: morch.softplus(u, beta=1.5), a), gradgradcheck(morch.mish, a),
    gradcheck(lambda u, v: morch.pseudo_huber_loss(u, v, delta=0.5), (a, t)),
    gradgradcheck(lambda u, v: morch.pseudo_huber_loss(u, v, delta=0.5), (a, t)),
    gradcheck(lambda u, v: morch.sigmoid_focal_loss(u, v.sigmoid(), reduction="mean"), (a, t)),
]

# a plain training loop: tensors, morch.optim.SGD, plugin ops in the model and the loss
morch.manual_seed(0)
W1, b1 = (morch.randn(2, 16) * 0.5).requires_grad_(), morch.zeros(16, requires_grad=True)
W2, b2 = (morch.randn(16, 1) * 0.25).requires_grad_(), morch.zeros(1, requires_grad=True)
opt = morch.optim.SGD([W1, b1, W2, b2], lr=0.1)
X = morch.rand(64, 2) * 2 - 1
Y = X[:, :1] ** 2 + X[:, 1:] * 0.5
losses = []
for step in range(150):
    opt.zero_grad()
    loss = morch.pseudo_huber_loss(morch.softplus(X @ W1 + b1).swish() @ W2 + b2, Y, delta=0.5)
    loss.backward()
    opt.step()
    losses.append(loss.item())
result["training"] = [losses[0], losses[-1]]

# a static graph
from morch.static import Placeholder, Session
p = Placeholder(shape=(None, 3))
w = morch.tensor([0.5, -1.0, 2.0])
g = morch.softplus(p * w, beta=2.0) + p.mish()
with Session() as s:
    out = s.run(g, {p: np.array([[1.0, 2.0, 3.0]], dtype=np.float32)})
eager = morch.softplus(morch.tensor([[1.0, 2.0, 3.0]]) * w, beta=2.0) + morch.tensor([[1.0, 2.0, 3.0]]).mish()
result["static"] = [out.tolist(), eager.tolist()]
print(json.dumps(result))
"""


def test_used_through_the_entry_points(env):
    run = env.run("-c", SCRIPT)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no plugin warnings
    r = json.loads(run.stdout)
    assert r["plugins_imported_by_import_morch"] == []  # import morch imports neither plugins nor pluggy
    assert r["softplus"] == pytest.approx([0.00907496, 0.34657359, 3.00123784], abs=1e-6)
    assert r["mish_method"] == pytest.approx([-0.252501, 0.0, 2.986535], abs=1e-6)
    if importlib.util.find_spec("morch.nn.functional") is not None:
        assert r["functional"] == [True, True, False]
    assert r["focal"] == pytest.approx(0.04470169, rel=1e-5)
    assert r["gradcheck"] == [True] * 5
    first, last = r["training"]
    assert last < first / 4, r["training"]
    assert r["static"][0][0] == pytest.approx(r["static"][1][0], rel=1e-6)


NN_SCRIPT = r"""
import json
import morch
import morch.nn as nn
import morch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 16), nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(F.mish(self.fc1(x)).swish(beta=1.0))

morch.manual_seed(0)
net = Net()
opt = morch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
X = morch.rand(64, 2) * 2 - 1
Y = X[:, :1] ** 2 + X[:, 1:] * 0.5
losses = []
for step in range(100):
    opt.zero_grad()
    loss = F.pseudo_huber_loss(net(X), Y, delta=0.5)
    loss.backward()
    opt.step()
    losses.append(loss.item())
grads = [p.grad is not None for p in net.parameters()]
print(json.dumps({"losses": [losses[0], losses[-1]], "grads": grads}))
"""


def test_in_an_nn_module_training_loop(env):
    if not all(hasattr(morch.nn, n) for n in ("Module", "Linear")):
        pytest.skip("morch.nn.Module / Linear are not there yet")
    run = env.run("-c", NN_SCRIPT)
    assert run.returncode == 0, run.stderr
    r = json.loads(run.stdout)
    assert r["grads"] == [True] * 4
    first, last = r["losses"]
    assert last < first / 4, r["losses"]


def test_listed_by_the_command_line(env):
    run = env.run("-m", "morch", "plugins")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "  activations  [loaded]  morch-activations 0.1.0  (morch_activations.plugin)\n" in run.stdout
    assert (
        "    ops: mish (also nn.functional and Tensor method), softplus (also nn.functional), "
        "swish (also Tensor method)\n"
    ) in run.stdout
    assert "  losses  [loaded]  morch-losses 0.1.0  (morch_losses.plugin)\n" in run.stdout
    assert "    ops: pseudo_huber_loss (also nn.functional), sigmoid_focal_loss (also nn.functional)\n" in run.stdout
    listed = json.loads(env.run("-m", "morch", "plugins", "--json").stdout)
    assert [(p["name"], p["distribution"], p["version"], p["status"], p["errors"]) for p in listed] == [
        ("activations", "morch-activations", "0.1.0", "loaded", []),
        ("losses", "morch-losses", "0.1.0", "loaded", []),
    ]


def test_skip_and_disable_in_a_real_environment(env):
    env.vars["MORCH_SKIP_PLUGINS"] = "morch-losses"
    try:
        run = env.run("-c", "import morch; print(hasattr(morch, 'softplus'), hasattr(morch, 'pseudo_huber_loss'))")
        assert run.stdout == "True False\n", run.stderr
        del env.vars["MORCH_SKIP_PLUGINS"]
        env.vars["MORCH_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        run = env.run("-c", "import morch; print(hasattr(morch, 'softplus'))")
        assert run.stdout == "False\n", run.stderr
    finally:
        env.vars.pop("MORCH_SKIP_PLUGINS", None)
        env.vars.pop("MORCH_DISABLE_PLUGIN_AUTOLOAD", None)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_plugins_own_tests_pass_installed(env, example):
    # one pytest run per plugin, as in each plugin's own CI (two rootless conftest.py files in one run collide)
    (source,) = [s for s in env.sources if s.name == example]
    run = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests"), cwd=source, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    assert "the plugin is not installed" not in run.stdout  # the entry-point test ran
