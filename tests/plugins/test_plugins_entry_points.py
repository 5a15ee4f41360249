"""Plugins found through real entry points of (fake) installed distributions: lazy loading, failures,
the environment variables, list_plugins and the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings

import pytest
from plugin_testing import PLUGIN_SOURCE

import morch
from morch.plugins import PluginError, PluginWarning, cli, list_plugins

BROKEN_IMPORT = "import morch\nimport a_module_that_does_not_exist\n"
BROKEN_HOOK = """
from morch.plugins import hookimpl

@hookimpl
def register_ops(register):
    raise ValueError("this plugin needs a newer numpy")
"""


def infos() -> dict:
    return {p.name: p for p in list_plugins()}


def test_plugins_load_on_the_first_unknown_name(site):
    site.add("morch-good", {"good": "ep_good"}, {"ep_good": PLUGIN_SOURCE.format(cls="Double", op="doubled")})
    assert "ep_good" not in sys.modules
    from morch import optim  # noqa: F401 - a submodule lookup does not read entry points

    assert "ep_good" not in sys.modules
    assert morch.doubled([1.5]).item() == 3.0
    assert "ep_good" in sys.modules
    info = infos()["good"]
    assert (info.distribution, info.version, info.target, info.status, info.ops, info.errors) == (
        "morch-good", "1.2.3", "ep_good", "loaded", ["doubled"], []
    )  # fmt: skip


def test_listing_reads_the_entry_points(site):
    site.add("morch-good", {"good": "ep_good2:PluginObject"}, {"ep_good2": PLUGIN_SOURCE.format(cls="D", op="dbl")
             + "\nclass PluginObject:\n    register_ops = staticmethod(register_ops)\n"})  # fmt: skip
    assert infos()["good"].ops == ["dbl"] and infos()["good"].target == "ep_good2:PluginObject"


def test_a_plugin_that_fails_to_import(site):
    site.add("morch-good", {"good": "ep_good3"}, {"ep_good3": PLUGIN_SOURCE.format(cls="Double", op="double3")})
    site.add("morch-broken", {"broken": "ep_broken"}, {"ep_broken": BROKEN_IMPORT}, version="0.9")
    with pytest.warns(PluginWarning) as rec:
        assert morch.double3([1.0]).item() == 2.0  # the good plugin works
    messages = [str(w.message) for w in rec if "broken" in str(w.message)]
    assert messages == [
        "morch plugin 'broken' (morch-broken 0.9): failed to import ep_broken: ModuleNotFoundError: No module named "
        "'a_module_that_does_not_exist'. morch and the other plugins keep working (set MORCH_PLUGINS_STRICT=1 to make "
        "this an error, MORCH_SKIP_PLUGINS=<name> to skip the plugin)"
    ]
    assert rec[0].filename == __file__
    info = infos()["broken"]
    assert info.status == "failed" and info.ops == [] and "No module named" in info.error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert morch.double3([2.0]).item() == 4.0  # warned once, not at every lookup
        assert not hasattr(morch, "no_such_op")


def test_a_plugin_whose_hook_raises(site):
    site.add("morch-good", {"good": "ep_good4"}, {"ep_good4": PLUGIN_SOURCE.format(cls="Double", op="double4")})
    site.add("morch-bad-hook", {"badhook": "ep_badhook"}, {"ep_badhook": BROKEN_HOOK})
    with pytest.warns(PluginWarning, match=r"morch plugin 'badhook' \(morch-bad-hook 1.2.3\): register_ops raised "
                      r"ValueError: this plugin needs a newer numpy; none of its ops are registered"):  # fmt: skip
        assert morch.double4([1.0]).item() == 2.0
    assert infos()["badhook"].status == "failed"


def test_two_plugins_providing_the_same_op(site):
    site.add("morch-aaa", {"aaa": "ep_aaa"}, {"ep_aaa": PLUGIN_SOURCE.format(cls="DoubleA", op="twice")})
    site.add("morch-bbb", {"bbb": "ep_bbb"}, {"ep_bbb": PLUGIN_SOURCE.format(cls="DoubleB", op="twice")})
    with pytest.warns(PluginWarning, match=r"morch plugin 'bbb' \(morch-bbb 1.2.3\): op 'twice' \(ep_bbb.DoubleB\) not "
                      r"registered: the name is already taken by plugin 'aaa' \(ep_aaa.DoubleA\)"):  # fmt: skip
        assert morch.twice.op_class.__name__ == "DoubleA"  # plugins load in name order: the first one keeps it
    assert infos()["bbb"].status == "loaded" and infos()["bbb"].ops == []


def test_strict_mode_raises_once_and_keeps_the_good_plugins(site, monkeypatch):
    monkeypatch.setenv("MORCH_PLUGINS_STRICT", "1")
    site.add("morch-good", {"good": "ep_good5"}, {"ep_good5": PLUGIN_SOURCE.format(cls="Double", op="double5")})
    site.add("morch-broken", {"broken": "ep_broken5"}, {"ep_broken5": BROKEN_IMPORT})
    with pytest.raises(PluginError, match=r"morch plugin 'broken' \(morch-broken 1.2.3\): failed to import ep_broken5: "
                       r"ModuleNotFoundError"):  # fmt: skip
        morch.double5  # noqa: B018
    assert morch.double5([1.0]).item() == 2.0


def test_skip_by_plugin_or_distribution_name(site, monkeypatch):
    site.add("morch-one", {"one": "ep_one"}, {"ep_one": PLUGIN_SOURCE.format(cls="One", op="op_one")})
    site.add("morch-two", {"two": "ep_two"}, {"ep_two": PLUGIN_SOURCE.format(cls="Two", op="op_two")})
    site.add("morch-three", {"three": "ep_three"}, {"ep_three": PLUGIN_SOURCE.format(cls="Three", op="op_three")})
    monkeypatch.setenv("MORCH_SKIP_PLUGINS", " one, morch-three ")
    assert morch.op_two([1.0]).item() == 2.0
    assert not hasattr(morch, "op_one") and not hasattr(morch, "op_three")
    assert "ep_one" not in sys.modules and "ep_three" not in sys.modules
    assert infos()["one"].status == infos()["three"].status == "skipped"


def test_disabled_autoload_and_explicit_load(site, monkeypatch):
    monkeypatch.setenv("MORCH_DISABLE_PLUGIN_AUTOLOAD", "1")
    site.add("morch-good", {"good": "ep_good6"}, {"ep_good6": PLUGIN_SOURCE.format(cls="Double", op="double6")})
    assert not hasattr(morch, "double6") and list_plugins() == []
    assert "ep_good6" not in sys.modules
    assert [p.name for p in morch.plugins.load() if p.name == "good"] == ["good"]  # explicit loading still works
    assert morch.double6([1.0]).item() == 2.0


def test_a_plugin_that_looks_up_morch_names_while_importing(site):
    source = PLUGIN_SOURCE.format(cls="Double", op="double7") + "\nimport morch\nassert not hasattr(morch, 'double7')\n"
    site.add("morch-curious", {"curious": "ep_curious"}, {"ep_curious": source})
    assert morch.double7([1.0]).item() == 2.0


def test_the_command_line(site):
    site.add("morch-good", {"good": "ep_good8"}, {"ep_good8": PLUGIN_SOURCE.format(cls="Double", op="double8")})
    site.add("morch-broken", {"broken": "ep_broken8"}, {"ep_broken8": BROKEN_IMPORT}, version="0.9")
    out = io.StringIO()
    with pytest.warns(PluginWarning):
        status = cli.run(out=out)
    text = out.getvalue()
    assert status == 1
    assert text.startswith(f"morch {morch.__version__}: ")
    assert "  good  [loaded]  morch-good 1.2.3  (ep_good8)\n    ops: double8\n" in text
    assert (
        "  broken  [failed]  morch-broken 0.9  (ep_broken8)\n    error: failed to import ep_broken8: "
        "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'\n"
    ) in text
    out = io.StringIO()
    assert cli.run(as_json=True, out=out) == 1
    data = {p["name"]: p for p in json.loads(out.getvalue())}
    assert data["good"] == {
        "name": "good", "distribution": "morch-good", "version": "1.2.3", "target": "ep_good8", "status": "loaded",
        "ops": [{"name": "double8", "namespaces": ["morch"]}], "errors": [],
    }  # fmt: skip


def test_import_morch_does_not_import_plugins(site):
    site.add("morch-good", {"good": "ep_good9"}, {"ep_good9": PLUGIN_SOURCE.format(cls="Double", op="double9")})
    code = (
        "import sys, morch\n"
        "assert 'ep_good9' not in sys.modules and 'morch.plugins' not in sys.modules and 'pluggy' not in sys.modules\n"
        "from morch import static\n"  # a submodule: no entry points read
        "assert 'ep_good9' not in sys.modules\n"
        "print(morch.double9([2.0]).item())\n"
        "assert 'ep_good9' in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MORCH_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site.root), os.path.dirname(os.path.dirname(morch.__file__))])
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "4.0\n"


def test_another_thread_waits_for_plugins_being_loaded(site):
    import threading
    import time

    from morch.plugins import manager

    site.add("morch-slow", {"slow": "ep_slow"}, {"ep_slow": "import time\ntime.sleep(0.3)\n"
             + PLUGIN_SOURCE.format(cls="Slow", op="slow_op")})  # fmt: skip
    loader = threading.Thread(target=lambda: morch.slow_op)
    loader.start()
    deadline = time.monotonic() + 10
    while manager._loader is None and loader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert morch.slow_op([1.0]).item() == 2.0  # not an AttributeError while the other thread is still loading
    loader.join()
