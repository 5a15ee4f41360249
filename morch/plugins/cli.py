"""``python -m morch plugins``: list the installed plugins, their ops and any load errors."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from morch.ops import registry
from morch.plugins import exports, manager


def _op_entry(op: dict) -> str:
    where = [{"nn.functional": "nn.functional", "Tensor": "Tensor method"}[n] for n in op["namespaces"][1:]]
    return f"{op['name']} (also {' and '.join(where)})" if where else op["name"]


def plugins_as_dicts() -> list[dict]:
    """``list_plugins()`` as JSON-ready dicts, each op with the namespaces it appears in."""
    out = []
    for info in manager.list_plugins():
        ops = []
        for name in info.ops:
            export = exports.get(name)
            ns = ["morch"]
            if export is not None and export.functional:
                ns.append("nn.functional")
            if export is not None and export.method:
                ns.append("Tensor")
            ops.append({"name": name, "namespaces": ns})
        out.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "target": info.target,
                "status": info.status,
                "ops": ops,
                "errors": list(info.errors),
            }
        )
    return out


def run(as_json: bool = False, out: TextIO | None = None) -> int:
    """Print the plugins; return the exit status (1 if any plugin has an error).

    Args:
        as_json: print a JSON list instead of text.
        out: where to print (default: standard output).
    """
    import morch

    out = out or sys.stdout
    infos = plugins_as_dicts()
    status = 1 if any(i["errors"] for i in infos) else 0
    if as_json:
        json.dump(infos, out, indent=2)
        out.write("\n")
        return status
    out.write(f"morch {morch.__version__}: {len(registry.names('morch'))} core ops\n")
    if not manager.autoload_enabled():
        out.write(f"plugin autoloading is disabled ({manager.ENV_DISABLE} is set): installed plugins are not read\n")
    if not infos:
        where = "registered" if not manager.autoload_enabled() else f"installed (entry-point group {manager.GROUP!r})"
        out.write(f"no plugins {where}\n")
        return status
    out.write(f"plugins (entry-point group {manager.GROUP!r}):\n")
    for i in infos:
        dist = f"{i['distribution']} {i['version']}" if i["distribution"] else "registered directly"
        out.write(f"\n  {i['name']}  [{i['status']}]  {dist}  ({i['target']})\n")
        if i["ops"]:
            out.write("    ops: " + ", ".join(_op_entry(op) for op in i["ops"]) + "\n")
        elif i["status"] == "loaded":
            out.write("    ops: none\n")
        for e in i["errors"]:
            out.write(f"    error: {e}\n")
    return status
