"""Conv1d, Conv2d, conv1d/conv2d and unfold/fold."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck
from morch.ops import nn as N

from .common import copy_from_torch, randn, same_outputs_and_grads


def conv2d_reference(x, w, b, stride, padding, dilation):
    """Direct definition of the cross-correlation, with loops (slow, small inputs only)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for y in range(oh):
        for xx in range(ow):
            patch = xp[:, :, y * sh : y * sh + dh * (kh - 1) + 1 : dh, xx * sw : xx * sw + dw * (kw - 1) + 1 : dw]
            out[:, :, y, xx] = np.einsum("nchw,ochw->no", patch, w)
    return out + b[None, :, None, None]


@pytest.mark.parametrize(
    "stride,padding,dilation", [((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 1)), ((1, 2), (2, 1), (2, 1))]
)
def test_conv2d_forward_matches_the_definition(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = F.conv2d(morch.tensor(x), morch.tensor(w), morch.tensor(b), stride, padding, dilation)
    assert_close(out, conv2d_reference(x, w, b, stride, padding, dilation), atol=1e-10)


def test_conv2d_gradients_against_finite_differences():
    x, w, b = rand64(2, 3, 5, 6, seed=1), rand64(4, 3, 3, 2, seed=2), rand64(4, seed=3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, dilation=(2, 1), padding=(2, 0)), (x, w))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding="same"), (x, w, b))
    wg = rand64(4, 1, 2, 2, seed=4)
    assert gradcheck(lambda x, w, b: F.conv2d(x[:, :2], w, b, groups=2), (x, wg, b))


def test_conv2d_second_derivatives():
    x, w, b = rand64(1, 2, 4, 5, seed=1), rand64(3, 2, 2, 3, seed=2), rand64(3, seed=3)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, groups=2), (rand64(1, 4, 3, 3), rand64(2, 2, 2, 2)))


def test_conv1d_gradients():
    x, w, b = rand64(2, 3, 9, seed=1), rand64(4, 3, 3, seed=2), rand64(4, seed=3)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (x[:1], w))


CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=2),
    dict(padding="valid", dilation=(1, 2)),
    dict(groups=2),
    dict(groups=4, padding=1),
    dict(bias=False, stride=3, padding=2),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="replicate"),
    dict(padding=2, padding_mode="circular", stride=2),
    dict(padding="same", padding_mode="reflect", kernel_size=(2, 3)),
]


@requires_torch
@pytest.mark.parametrize("kw", CONV2D_CASES, ids=[str(k) for k in CONV2D_CASES])
def test_conv2d_layer_matches_pytorch(kw):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    tc = torch.nn.Conv2d(4, 8, k, **kw)
    mc = nn.Conv2d(4, 8, k, **kw)
    copy_from_torch(mc, tc)
    same_outputs_and_grads(mc, tc, [randn(2, 4, 9, 10, requires_grad=True)], atol=1e-4)


@requires_torch
@pytest.mark.parametrize(
    "kw", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=2, bias=False),
           dict(padding=2, padding_mode="circular")], ids=str,
)  # fmt: skip
def test_conv1d_layer_matches_pytorch(kw):
    tc = torch.nn.Conv1d(4, 6, 3, **kw)
    mc = nn.Conv1d(4, 6, 3, **kw)
    copy_from_torch(mc, tc)
    same_outputs_and_grads(mc, tc, [randn(3, 4, 11, requires_grad=True)], atol=1e-4)


@requires_torch
def test_unbatched_input_and_chained_convolutions_match_pytorch():
    def build(nn):
        return nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Conv2d(6, 5, 3, padding=1), nn.MaxPool2d(2),
                             nn.Conv2d(5, 4, 1))  # fmt: skip

    tnet, mnet = build(torch.nn), build(nn)
    copy_from_torch(mnet, tnet)
    same_outputs_and_grads(mnet, tnet, [randn(2, 3, 12, 12, requires_grad=True)], atol=1e-4)
    mnet.zero_grad()
    tnet.zero_grad()
    same_outputs_and_grads(mnet, tnet, [randn(3, 12, 12, requires_grad=True)], atol=1e-4)  # one unbatched image


def test_conv_init_bounds_follow_pytorch():
    conv = nn.Conv2d(16, 32, (3, 5))
    fan_in = 16 * 3 * 5
    bound = 1 / math.sqrt(fan_in)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert w.shape == (32, 16, 3, 5)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    assert nn.Conv2d(4, 4, 3, groups=2).weight.shape == (4, 2, 3, 3)
    assert nn.Conv1d(2, 3, 4).weight.shape == (3, 2, 4)


def test_conv2d_names_the_layer_and_shapes_on_bad_input():
    conv = nn.Conv2d(1, 32, 3, 1)
    with pytest.raises(ValueError) as e:
        conv(morch.zeros(64, 28, 28))  # a batch of MNIST images without their channel dimension
    msg = str(e.value)
    assert msg.startswith("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1)): expected input of shape (N, 1, H, W)")
    assert "got shape (64, 28, 28)" in msg and "unsqueeze(1)" in msg
    with pytest.raises(RuntimeError, match=r"got shape \(2, 3, 28, 28\)"):  # catchable as PyTorch's RuntimeError
        conv(morch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"got shape \(1, 2, 1, 28, 28\)"):
        conv(morch.zeros(1, 2, 1, 28, 28))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv(morch.zeros(1, 1, 2, 2))
    with pytest.raises(TypeError, match="does not match the weight dtype"):
        conv(morch.zeros(1, 1, 5, 5, dtype=morch.float64))
    with pytest.raises(TypeError, match="expected a morch Tensor"):
        conv(np.zeros((1, 1, 5, 5)))


def test_conv_constructor_validation():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="strided convolutions"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="strided convolutions"):
        F.conv2d(morch.zeros(1, 1, 4, 4), morch.zeros(1, 1, 3, 3), stride=2, padding="same")


def test_conv_output_is_channels_first_in_memory_and_training_on_it_works():
    conv = nn.Conv2d(3, 8, 3)
    y = conv(randn(2, 3, 6, 6))
    assert y.shape == (2, 8, 4, 4)
    assert y._data.transpose(1, 0, 2, 3).flags.c_contiguous  # what makes the next layer's copy fast
    y2 = nn.Conv2d(8, 2, 3)(F.relu(y))
    y2.sum().backward()
    assert conv.weight.grad.shape == (8, 3, 3, 3) and conv.bias.grad.shape == (8,)


@requires_torch
@pytest.mark.parametrize(
    "kw",
    [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2, padding=1), dict(kernel_size=3, dilation=2)],
    ids=str,
)
def test_unfold_and_fold_match_pytorch(kw):
    x = rand64(2, 3, 7, 8)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    u, ut = F.unfold(x, **kw), torch.nn.functional.unfold(xt, **kw)
    assert_close(u, ut)
    g = np.random.default_rng(1).standard_normal(tuple(ut.shape))
    u.backward(morch.tensor(g))
    ut.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)
    cols = rand64(*ut.shape)
    colt = torch.tensor(cols.detach().numpy())
    assert_close(F.fold(cols, (7, 8), **kw), torch.nn.functional.fold(colt, (7, 8), **kw))
    assert gradcheck(lambda c: F.fold(c, (7, 8), **kw), (rand64(1, *ut.shape[1:]),))
    assert F.unfold(x[0], **kw).shape == tuple(ut.shape[1:])  # unbatched


def test_fold_checks_its_input():
    with pytest.raises(ValueError, match="fold: expected input of shape"):
        F.fold(morch.zeros(1, 5, 4), (3, 3), 2)


# ---------------------------------------------------------------- the batch walked in chunks of images
def chunks_of(step: int):
    """A stand-in for N._image_chunks: chunks of ``step`` images, whatever their size."""
    return lambda n, _: [slice(i, min(n, i + step)) for i in range(0, n, step)]


@pytest.fixture(params=[1, 2], ids=["1 image per chunk", "2 images per chunk"])
def small_chunks(request, monkeypatch):
    """Convolutions walk the batch in chunks sized to stay in cache, so small tests are one chunk:
    force chunks of 1 or 2 images (with 3 images, 2 leaves a smaller last chunk)."""
    monkeypatch.setattr(N, "_image_chunks", chunks_of(request.param))


def test_image_chunks_cover_the_batch_in_order():
    per_image = N._CHUNK_BYTES // 3  # three images fit a chunk
    assert N._image_chunks(7, per_image) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert N._image_chunks(2, N._CHUNK_BYTES * 5) == [slice(0, 1), slice(1, 2)]  # at least one image
    assert N._image_chunks(0, per_image) == []


@pytest.mark.parametrize("stride,padding,dilation", [((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 1)),
                                                     ((1, 2), (2, 1), (2, 1))])  # fmt: skip
def test_chunked_conv2d_matches_the_definition(small_chunks, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = F.conv2d(morch.tensor(x), morch.tensor(w), morch.tensor(b), stride, padding, dilation)
    assert_close(out, conv2d_reference(x, w, b, stride, padding, dilation), atol=1e-10)


def test_chunked_conv2d_gradients_and_second_derivatives(small_chunks):
    x, w, b = rand64(3, 2, 5, 6, seed=1), rand64(3, 2, 3, 2, seed=2), rand64(3, seed=3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b), (x, w, b))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, dilation=(2, 1), padding=(2, 0)), (x, w))
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, dilation=(1, 2)), (x, w))


@requires_torch
@pytest.mark.parametrize("kw", CONV2D_CASES, ids=[str(k) for k in CONV2D_CASES])
def test_chunked_conv2d_layer_matches_pytorch(small_chunks, kw):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    tc = torch.nn.Conv2d(4, 8, k, **kw)
    mc = nn.Conv2d(4, 8, k, **kw)
    copy_from_torch(mc, tc)
    same_outputs_and_grads(mc, tc, [randn(3, 4, 9, 10, requires_grad=True)], atol=1e-4)


def test_one_chunk_and_many_chunks_give_the_same_convolution(monkeypatch):
    x, w, b = randn(5, 3, 10, 9, requires_grad=True), randn(6, 3, 3, 3, requires_grad=True, seed=1), randn(6, seed=2)
    b.requires_grad_(True)
    results = []
    for step in (5, 2):  # the whole batch (the forward's matrix is kept for the backward), then 2 images at a time
        monkeypatch.setattr(N, "_image_chunks", chunks_of(step))
        for t in (x, w, b):
            t.grad = None
        out = F.conv2d(x, w, b, padding=1)
        (out * out).sum().backward()
        results.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for one, many in zip(*results):
        assert_close(many, one, atol=1e-4)


def test_an_input_that_needs_no_gradient_gets_none_computed(monkeypatch):
    def refuse(*args):
        raise AssertionError("the input gradient was computed")

    monkeypatch.setattr(N, "_col2im_add", refuse)
    monkeypatch.setattr(N, "_col2im_flat", refuse)
    conv = nn.Conv2d(1, 4, 3)
    x = randn(2, 1, 6, 6)  # as the first layer's input: data, no gradient wanted
    conv(x).sum().backward()
    assert conv.weight.grad.shape == (4, 1, 3, 3) and x.grad is None
    (gw,) = morch.autograd.grad(conv(x).square().sum(), [conv.weight], create_graph=True)
    gw.sum().backward()  # differentiable path: still no input gradient
