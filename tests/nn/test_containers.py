"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import requires_torch, torch


def layers():
    return [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]


def test_sequential_runs_in_order():
    a, r, b = layers()
    seq = nn.Sequential(a, r, b)
    x = morch.randn(4, 2)
    assert np.allclose(seq(x).detach().numpy(), b(r(a(x))).detach().numpy())
    assert nn.Sequential()(x) is x


def test_sequential_indexing_slicing_len_iteration():
    a, r, b = layers()
    seq = nn.Sequential(a, r, b)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is b
    assert list(seq) == [a, r, b]
    part = seq[1:]
    assert type(part) is nn.Sequential and list(part) == [r, b]
    assert list(part._modules) == ["1", "2"]  # slicing keeps the names, as PyTorch
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)


def test_sequential_append_insert_extend_pop_delete_renumber():
    a, r, b = layers()
    seq = nn.Sequential(a)
    assert seq.append(r) is seq
    seq.extend([b])
    assert list(seq._modules) == ["0", "1", "2"]
    t = nn.Tanh()
    seq.insert(1, t)
    assert list(seq) == [a, t, r, b] and list(seq._modules) == ["0", "1", "2", "3"]
    assert seq.pop(1) is t
    del seq[0]
    assert list(seq) == [r, b] and list(seq._modules) == ["0", "1"]
    both = seq + nn.Sequential(nn.Sigmoid())
    assert len(both) == 3 and len(seq) == 2
    seq += nn.Sequential(nn.Sigmoid())
    assert len(seq) == 3
    assert len(nn.Sequential(nn.ReLU()) * 3) == 3


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(seq._modules) == ["fc", "act"] and seq.fc is seq[0]
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias"]


def test_module_list_registers_and_behaves_like_a_list():
    ml = nn.ModuleList(layers())
    assert len(ml) == 3 and len(list(ml.parameters())) == 4
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Linear", "Tanh", "Sigmoid"]
    assert isinstance(ml[-1], nn.Sigmoid) and type(ml[1:3]) is nn.ModuleList
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)]
    assert isinstance(ml.pop(), nn.Sigmoid)
    ml[0] = nn.ReLU()
    assert isinstance(ml[0], nn.ReLU)
    ml += [nn.ELU()]
    assert len(ml) == 5
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(3)
    with pytest.raises(NotImplementedError):
        ml(morch.zeros(1))


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    md.update([("d", nn.Sigmoid())])
    assert list(md.keys()) == ["a", "b", "c", "d"]
    assert isinstance(md.pop("c"), nn.Tanh) and "c" not in md
    assert [type(v).__name__ for v in md.values()] == ["Linear", "ReLU", "Sigmoid"]
    assert dict(md.items())["a"] is md["a"]
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(ValueError, match="pair"):
        md.update([("x",)])
    md.clear()
    assert len(md) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(morch.zeros(2)), morch.ones(3)])
    assert len(pl) == 2 and all(isinstance(p, nn.Parameter) for p in pl)
    pl.append(morch.zeros(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"w": morch.ones(2)})
    pd["b"] = nn.Parameter(morch.zeros(1))
    assert list(pd) == ["w", "b"] and isinstance(pd["w"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["w", "b"]
    del pd["w"]
    assert list(pd.keys()) == ["b"]


@requires_torch
def test_container_reprs_match_pytorch():
    def build(nn, t):
        return nn.Sequential(
            nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]),
            nn.ModuleList(),
            nn.ModuleDict({"x": nn.Sigmoid()}),
            nn.ParameterList([nn.Parameter(t.zeros(2, 3))]),
            nn.ParameterDict({"w": nn.Parameter(t.zeros(4))}),
        )

    assert repr(build(nn, morch)).replace("morch.", "torch.") == repr(build(torch.nn, torch))
