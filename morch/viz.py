"""Pictures of graphs: Graphviz DOT text for the graph behind any tensor (eager, static or tape).

``to_dot(t)`` needs nothing; ``render(t, "graph.svg")`` also needs Graphviz's ``dot`` program.
Op nodes are boxes (op name and output shape); leaves are ellipses (name, shape, dtype), filled
green once they hold a gradient. An eager graph is freed by ``backward()``; draw it before, or
call ``backward(retain_graph=True)`` to draw it afterwards with its gradients.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from morch.tensor import Tensor

_HOW_TO_GET_DOT = (
    "Graphviz's 'dot' program is needed to draw pictures and was not found on PATH. Install it "
    "(Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; macOS: brew install graphviz; "
    "conda: conda install graphviz), or use morch.viz.to_dot(t) and paste the text into any DOT viewer."
)


def _shape(t: Tensor) -> str:
    if t._data is not None:
        return str(tuple(t._data.shape))
    shape = getattr(t, "sym_shape", None)
    return "?" if shape is None else str(tuple("?" if s is None else s for s in shape))


def _dtype(t: Tensor) -> str:
    return repr(t.dtype).replace("morch.", "")


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


class _Dot:
    def __init__(self, title: str | None):
        self.lines = [
            "digraph morch {",
            '  graph [rankdir=TB, fontname="Helvetica"];',
            '  node [fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9];',
        ]
        if title:
            self.lines.append(f'  labelloc="t"; label="{_esc(title)}";')
        self.ids: dict = {}

    def node_id(self, obj) -> tuple[str, bool]:
        key = id(obj)
        if key in self.ids:
            return self.ids[key], False
        self.ids[key] = f"n{len(self.ids)}"
        return self.ids[key], True

    def leaf(self, t: Tensor, names: dict) -> str:
        nid, new = self.node_id(t)
        if new:
            name = names.get(id(t)) or getattr(t, "name", None)
            if name is None and t._data is not None and t._data.ndim == 0:
                name = repr(t._data.item())
            has_grad = t.grad is not None
            parts = [name or ("parameter" if t._requires_grad else "constant"), f"{_shape(t)} {_dtype(t)}"]
            if has_grad:
                parts.append(f"grad {_shape(t.grad)}")
            style = ', style=filled, fillcolor="#b7e4c7"' if has_grad else ""
            if type(t).__name__ == "Placeholder":
                style += ", peripheries=2"
            label = "\\n".join(_esc(p) for p in parts)
            self.lines.append(f'  {nid} [shape=ellipse, label="{label}"{style}];')
        return nid

    def op(self, key, label: str, shape: str, extra: str = "") -> tuple[str, bool]:
        nid, new = self.node_id(key)
        if new:
            self.lines.append(
                f'  {nid} [shape=box, style="rounded,filled", fillcolor="#dde7f7", '
                f'label="{_esc(label)}\\n{_esc(shape)}"{extra}];'
            )
        return nid, new

    def edge(self, a: str, b: str, label: str = "") -> None:
        self.lines.append(f"  {a} -> {b}" + (f' [label="{_esc(label)}"]' if label else "") + ";")

    def text(self) -> str:
        return "\n".join(self.lines + ["}"]) + "\n"


def _op_label(fn) -> str:
    cls = type(fn)
    return getattr(cls, "op_name", cls.__name__)


def to_dot(tensors, names: dict | None = None, title: str | None = None) -> str:
    """DOT text for the graph that produced ``tensors`` (one tensor or a list).

    Args:
        tensors: eager tensors, static-graph tensors, or tape Variables.
        names: optional labels for leaves, e.g. ``{id(w): "w"}`` or ``dict(model.named_parameters())``
            (a name-to-tensor dict is accepted too).
        title: a caption for the picture.

    Returns:
        The graph in Graphviz's DOT language.
    """
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    label_of: dict = {}
    for k, v in (names or {}).items():
        if isinstance(v, Tensor):
            label_of[id(v)] = str(k)
        else:
            label_of[k] = str(v)
    dot = _Dot(title)
    stack = []
    for r in roots:
        out_id, _ = dot.node_id(("output", id(r)))
        name = getattr(r, "name", None) or "output"
        dot.lines.append(f'  {out_id} [shape=note, label="{_esc(name)}\\n{_esc(_shape(r))}"];')
        stack.append((r, out_id))
    while stack:
        t, consumer = stack.pop()
        producer = _producer(t)
        if producer is None:
            dot.edge(dot.leaf(t, label_of), consumer)
            continue
        kind, key, inputs, label = producer
        nid, new = dot.op(key, label, _shape(t))
        dot.edge(nid, consumer)
        if new:
            if inputs is None:
                raise RuntimeError(
                    f"the graph behind this tensor was freed by backward() ({label}); draw it before backward, "
                    "or call backward(retain_graph=True)"
                )
            for x in inputs:
                stack.append((x, nid))
    return dot.text()


def _producer(t: Tensor):
    """(kind, identity, inputs, label) of whatever computed ``t``, or None for a leaf."""
    call = getattr(t, "call", None)
    if call is not None:  # a static-graph node
        fn, args, kwargs = call
        from morch import static

        if isinstance(fn, static._Gradients):
            return ("grad", fn, list(fn.ys) + list(fn.xs), "gradients")
        if fn is static._pick:
            return ("pick", t, [args[1]], f"gradient[{args[0]}]")
        inputs = list(static._tensors_in((*args, *kwargs.values())))
        return ("call", t, inputs, static._callable_name(fn))
    fn = t.grad_fn
    if fn is None:
        return None
    return ("op", fn, list(fn.inputs) if fn.inputs is not None else None, _op_label(fn))


def dot_available() -> bool:
    """True if Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def render(tensors, path: str, names: dict | None = None, title: str | None = None) -> str:
    """Draw the graph to ``path``; the format comes from its suffix (.svg, .png, .pdf, or .dot for text).

    Args:
        tensors: as in ``to_dot``.
        path: the output file.
        names: labels for leaves, as in ``to_dot``.
        title: a caption.

    Returns:
        ``path``.
    """
    text = to_dot(tensors, names, title)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(_HOW_TO_GET_DOT)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix="." + fmt, dir=directory)
    os.close(fd)
    try:
        proc = subprocess.run([exe, f"-T{fmt}", "-o", tmp], input=text.encode(), capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"dot failed to draw {path!r}: {proc.stderr.decode(errors='replace').strip()}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


__all__ = ["to_dot", "render", "dot_available"]
