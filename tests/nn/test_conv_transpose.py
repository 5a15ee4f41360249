"""ConvTranspose1d, ConvTranspose2d and conv_transpose1d/conv_transpose2d."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import copy_from_torch, randn, same_outputs_and_grads


def conv_transpose2d_reference(x, w, b, stride, padding, output_padding, groups, dilation):
    """The definition, with loops: every input pixel scatters its kernel-weighted values into the output."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    full = np.zeros((n, og * groups, oh + 2 * ph + sh + dh * kh, ow + 2 * pw + sw + dw * kw))
    cg = cin // groups
    for c in range(cin):
        outs = slice(c // cg * og, (c // cg + 1) * og)
        for i in range(h):
            for j in range(wd):
                for ty in range(kh):
                    for tx in range(kw):
                        y, xx = i * sh + ty * dh, j * sw + tx * dw
                        full[:, outs, y, xx] += x[:, c, i, j][:, None] * w[c, :, ty, tx]
    return full[:, :, ph : ph + oh, pw : pw + ow] + b[None, :, None, None]


REF_CASES = [
    dict(),
    dict(stride=(2, 1), padding=(1, 0)),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), output_padding=(2, 1), dilation=(1, 2)),
    dict(stride=1, dilation=2, output_padding=1),  # output_padding >= stride, allowed below the dilation
    dict(groups=2, stride=2, padding=(0, 1)),
]


def _args(kw):
    pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    return (pair(kw.get("stride", 1)), pair(kw.get("padding", 0)), pair(kw.get("output_padding", 0)),
            kw.get("groups", 1), pair(kw.get("dilation", 1)))  # fmt: skip


@pytest.mark.parametrize("kw", REF_CASES, ids=str)
def test_conv_transpose2d_forward_matches_the_definition(kw):
    rng = np.random.default_rng(0)
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 4, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(3 * groups)
    out = F.conv_transpose2d(morch.tensor(x), morch.tensor(w), morch.tensor(b), **kw)
    assert_close(out, conv_transpose2d_reference(x, w, b, *_args(kw)), atol=1e-10)


def test_conv_transpose1d_is_conv_transpose2d_of_height_one():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 6)), rng.standard_normal((4, 2, 3)), rng.standard_normal(4)
    kw = dict(stride=3, padding=1, output_padding=2, groups=2, dilation=2)
    out = F.conv_transpose1d(morch.tensor(x), morch.tensor(w), morch.tensor(b), **kw)
    ref = conv_transpose2d_reference(x[:, :, None], w[:, :, None], b, (1, 3), (0, 1), (0, 2), 2, (1, 2))[:, :, 0]
    assert out.shape == (2, 4, (6 - 1) * 3 - 2 + 2 * 2 + 2 + 1)
    assert_close(out, ref, atol=1e-10)
    assert_close(F.conv_transpose1d(morch.tensor(x[0]), morch.tensor(w), morch.tensor(b), **kw), ref[0], atol=1e-10)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(u, w), y> == <u, conv_transpose2d(y, w)> for the same stride, padding and dilation
    rng = np.random.default_rng(2)
    u, w = morch.tensor(rng.standard_normal((2, 3, 9, 8))), morch.tensor(rng.standard_normal((4, 3, 3, 2)))
    geo = dict(stride=(2, 3), padding=(1, 1), dilation=(1, 2))
    cu = F.conv2d(u, w, **geo)
    y = morch.tensor(rng.standard_normal(tuple(cu.shape)))
    ty = F.conv_transpose2d(y, w, output_padding=(0, 1), **geo)  # output_padding brings back the 9 x 8 size
    assert ty.shape == u.shape
    assert math.isclose(float((cu * y).sum()), float((u * ty).sum()), rel_tol=1e-12)


def test_conv_transpose_gradients_against_finite_differences():
    x, w, b = rand64(2, 4, 3, 4, seed=1), rand64(4, 2, 3, 2, seed=2), rand64(4, seed=3)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     (x, w, b))  # fmt: skip
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, dilation=2, output_padding=1), (x, w[:, :1]))
    x1, w1, b1 = rand64(2, 3, 5, seed=4), rand64(3, 2, 3, seed=5), rand64(2, seed=6)
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, dilation=2), (x1, w1, b1))
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, output_padding=2), (x1[0], w1, b1))


def test_conv_transpose_second_derivatives():
    x, w, b = rand64(1, 2, 3, 3, seed=1), rand64(2, 2, 2, 3, seed=2), rand64(4, seed=3)
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=(1, 0), groups=2),
                         (x, w, b))  # fmt: skip
    assert gradgradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1), (rand64(1, 2, 4), rand64(2, 3, 3)))


CT2D_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 2), output_padding=(0, 2)),
    dict(dilation=2, padding=1, output_padding=1),
    dict(groups=2, stride=2, bias=False),
    dict(groups=4, kernel_size=(2, 3), dilation=(2, 1)),
]


@requires_torch
@pytest.mark.parametrize("kw", CT2D_CASES, ids=str)
def test_conv_transpose2d_layer_matches_pytorch(kw):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    tc = torch.nn.ConvTranspose2d(4, 8, k, **kw)
    mc = nn.ConvTranspose2d(4, 8, k, **kw)
    copy_from_torch(mc, tc)
    assert repr(mc) == repr(tc)
    same_outputs_and_grads(mc, tc, [randn(2, 4, 5, 6, requires_grad=True)], atol=1e-4)


@requires_torch
@pytest.mark.parametrize(
    "kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(dilation=3, output_padding=2),
           dict(groups=2, bias=False, stride=3)], ids=str,
)  # fmt: skip
def test_conv_transpose1d_layer_matches_pytorch(kw):
    tc = torch.nn.ConvTranspose1d(4, 6, 3, **kw)
    mc = nn.ConvTranspose1d(4, 6, 3, **kw)
    copy_from_torch(mc, tc)
    assert repr(mc) == repr(tc)
    same_outputs_and_grads(mc, tc, [randn(3, 4, 7, requires_grad=True)], atol=1e-4)
    mc.zero_grad()
    tc.zero_grad()
    same_outputs_and_grads(mc, tc, [randn(4, 7, requires_grad=True)], atol=1e-4)  # one unbatched sample


@requires_torch
def test_functional_conv_transpose_matches_pytorch_in_float64():
    x, w, b = rand64(2, 6, 4, 5, seed=1), rand64(6, 2, 3, 3, seed=2), rand64(6, seed=3)
    kw = dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=3, dilation=(1, 2))
    out = F.conv_transpose2d(x, w, b, **kw)
    tx, tw, tb = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, w, b))
    tout = torch.nn.functional.conv_transpose2d(tx, tw, tb, **kw)
    assert_close(out, tout, atol=1e-12)
    g = np.random.default_rng(4).standard_normal(tuple(out.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    for m, t in ((x, tx), (w, tw), (b, tb)):
        assert_close(m.grad, t.grad, atol=1e-12)


@requires_torch
def test_output_size_matches_pytorch():
    tc = torch.nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1)
    mc = nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1)
    copy_from_torch(mc, tc)
    x = randn(2, 3, 4, 5)
    for size in [(8, 15), (7, 13), [2, 2, 8, 14]]:
        out = mc(x, output_size=size)
        assert_close(out, tc(torch.tensor(x.numpy()), output_size=size), atol=1e-5)
    assert mc(x[0], output_size=(2, 7, 14)).shape == (2, 7, 14)


def test_output_size_undoes_a_strided_convolution():
    down, up = nn.Conv2d(3, 5, 3, stride=2, padding=1), nn.ConvTranspose2d(5, 3, 3, stride=2, padding=1)
    for hw in [(9, 9), (10, 7)]:
        x = randn(1, 3, *hw)
        assert up(down(x), output_size=x.shape).shape == x.shape


def test_conv_transpose_init_and_parameters_follow_pytorch():
    conv = nn.ConvTranspose2d(6, 16, (3, 5), groups=2)
    bound = 1 / math.sqrt(16 // 2 * 3 * 5)  # PyTorch's fan_in is weight.size(1) * kernel
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert w.shape == (6, 8, 3, 5) and b.shape == (16,)
    assert bound * 0.95 < np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert conv.transposed and not nn.Conv2d(2, 2, 1).transposed
    assert nn.ConvTranspose1d(2, 3, 4, bias=False, dtype=morch.float64).weight.dtype == morch.float64
    assert nn.ConvTranspose1d(2, 3, 4, bias=False).bias is None
    assert nn.ConvTranspose2d(2, 3, 1).output_padding == (0, 0)
    assert set(dict(conv.named_parameters())) == {"weight", "bias"}


def test_conv_transpose_repr():
    assert repr(nn.ConvTranspose1d(4, 6, 3)) == "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,))"
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2)
    assert repr(m) == (
        "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "output_padding=(1, 1), groups=2, bias=False)"
    )


def test_conv_transpose_errors_name_the_op_and_shapes():
    x, w = morch.zeros(2, 4, 5, 5), morch.zeros(4, 3, 3, 3)
    with pytest.raises(
        RuntimeError, match=r"conv_transpose2d: expected input of shape \(N, 4, H, W\).*got shape \(2, 5"
    ):
        F.conv_transpose2d(morch.zeros(2, 5, 5, 5), w)
    with pytest.raises(ValueError, match=r"expected input .* got shape \(5, 5\)"):
        F.conv_transpose2d(morch.zeros(5, 5), w)
    with pytest.raises(RuntimeError, match=r"output_padding must be smaller than either stride or dilation.*\(2, 2\)"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        F.conv_transpose1d(morch.zeros(1, 4, 5), w[:, :, 0], dilation=2, output_padding=2)
    with pytest.raises(ValueError, match=r"in_channels \(4, weight dim 0\) must be divisible by groups \(3\)"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        F.conv_transpose2d(x, w, morch.zeros(4))
    with pytest.raises(ValueError, match="negative padding"):
        F.conv_transpose2d(x, w, output_padding=-1)
    with pytest.raises(ValueError, match="stride and dilation must be positive"):
        F.conv_transpose2d(x, w, stride=0)
    with pytest.raises(ValueError, match="gives an empty output"):
        F.conv_transpose2d(x, w, padding=4)
    with pytest.raises(TypeError, match="padding must be an int"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(TypeError, match="does not match the weight dtype"):
        F.conv_transpose2d(x.double(), w)
    with pytest.raises(ValueError, match=r"weight must be 4-D \(in_channels, out_channels/groups"):
        F.conv_transpose2d(x, w[0])


def test_conv_transpose_layer_errors():
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(TypeError, match="ConvTranspose1d: padding must be an int"):
        nn.ConvTranspose1d(2, 2, 3, padding="same")
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.ConvTranspose2d(4, 3, 3, groups=2)
    m = nn.ConvTranspose2d(3, 2, 3, stride=2)
    x = morch.zeros(1, 3, 4, 4)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 2, .*\): requested an output size of \(12, 9\), but "
                                         r"valid sizes range from \(9, 9\) to \(10, 10\)"):  # fmt: skip
        m(x, output_size=(12, 9))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        m(x, output_size=(9,))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 2, .*\): expected input of shape \(N, 3, H, W\)"):
        m(morch.zeros(1, 2, 4, 4))
    with pytest.raises(TypeError, match="expected a morch Tensor"):
        m(np.zeros((1, 3, 4, 4)))
