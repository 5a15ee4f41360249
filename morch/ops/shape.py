"""Ops that move data without arithmetic: reshape, permute, expand, flip, repeat, roll, cat."""

from __future__ import annotations

import numpy as np

from morch.autograd.engine import sum_to
from morch.autograd.function import Function, op_error
from morch.ops.util import norm_dim, norm_dims


class _Restride(Function):
    """Ops that only change the shape: backward reshapes the gradient back."""

    unread_inputs = (0,)

    def backward(self, g):
        return g.reshape(self.in_shape)


class Reshape(_Restride):
    """Reshape (a view when numpy can make one, else a copy, as ``torch.reshape``; ``view`` too)."""

    def forward(self, a, shape):
        self.in_shape = a.shape
        known = [s for s in shape if s != -1]
        n = int(np.prod(known)) if known else 1
        fits = a.size == n if -1 not in shape else n != 0 and a.size % n == 0
        if shape.count(-1) > 1 or any(s < -1 for s in shape) or not fits:
            raise op_error(ValueError, f"shape '{list(shape)}' is invalid for input of size {a.size}")
        return a.reshape(shape)


class Flatten(_Restride):
    def forward(self, a, start_dim=0, end_dim=-1):
        self.in_shape = a.shape
        if a.ndim == 0:
            return a.reshape(1)
        s, e = norm_dim(start_dim, a.ndim, "flatten"), norm_dim(end_dim, a.ndim, "flatten")
        if s > e:
            raise op_error(ValueError, "flatten() has invalid args: start_dim cannot come after end_dim")
        return a.reshape(a.shape[:s] + (int(np.prod(a.shape[s : e + 1])),) + a.shape[e + 1 :])


class Squeeze(_Restride):
    def forward(self, a, dim=None):
        self.in_shape = a.shape
        dims = norm_dims(dim, a.ndim, "squeeze")
        if dims is None:
            dims = range(a.ndim)
        return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


class Unsqueeze(_Restride):
    def forward(self, a, dim):
        self.in_shape = a.shape
        return np.expand_dims(a, norm_dim(dim, a.ndim + 1, "unsqueeze"))


class Transpose(Function):
    unread_inputs = (0,)

    def forward(self, a, dim0, dim1):
        if a.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            self.dims = (0, 0)
            return a
        self.dims = (norm_dim(dim0, a.ndim, "transpose"), norm_dim(dim1, a.ndim, "transpose"))
        return np.swapaxes(a, *self.dims)

    def backward(self, g):
        return g.transpose(*self.dims)


class Permute(Function):
    unread_inputs = (0,)

    def forward(self, a, dims):
        if dims is None:
            dims = tuple(range(a.ndim - 1, -1, -1))
        if len(dims) != a.ndim:
            raise op_error(
                ValueError, f"permute(): number of dims don't match: input has {a.ndim} dims, got {len(dims)}"
            )
        self.dims = dims = tuple(norm_dim(d, a.ndim, "permute") for d in dims)
        if sorted(dims) != list(range(a.ndim)):
            raise op_error(ValueError, f"permute(): dims {dims} are not a permutation of the input's dims")
        return np.transpose(a, dims)

    def backward(self, g):
        return g.permute(*np.argsort(self.dims).tolist())


class Expand(Function):
    """Broadcast to a larger shape (a read-only view); backward sums back."""

    unread_inputs = (0,)

    def forward(self, a, shape):
        self.in_shape = a.shape
        lead = len(shape) - a.ndim
        if lead < 0:
            raise op_error(
                ValueError,
                f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the number "
                f"of dimensions in the tensor ({a.ndim})",
            )
        shape = tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        for i, s in enumerate(a.shape):
            if s != 1 and s != shape[i + lead]:
                raise op_error(
                    ValueError,
                    f"The expanded size of the tensor ({shape[i + lead]}) must match the existing size ({s}) "
                    f"at non-singleton dimension {i + lead}.  Target sizes: {list(shape)}.  "
                    f"Tensor sizes: {list(a.shape)}",
                )
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return sum_to(g, self.in_shape)


class Flip(Function):
    unread_inputs = (0,)

    def forward(self, a, dims):
        self.dims = dims = tuple(norm_dim(d, a.ndim, "flip") for d in dims)
        return np.flip(a, dims).copy()  # a copy, as PyTorch's flip: writing to the result leaves a alone

    def backward(self, g):
        return g.flip(self.dims)


class Roll(Function):
    unread_inputs = (0,)

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(a, shifts, dims)

    def backward(self, g):
        return g.roll(tuple(-s for s in self.shifts), self.dims)


class Repeat(Function):
    """``torch.Tensor.repeat`` (numpy's tile)."""

    unread_inputs = (0,)

    def forward(self, a, repeats):
        self.in_shape = (1,) * (len(repeats) - a.ndim) + a.shape
        self.repeats = repeats
        return np.tile(a, repeats)

    def backward(self, g):
        # split each dim into (repeat, size) and sum over the repeat axes
        inter = [n for r, s in zip(self.repeats, self.in_shape) for n in (r, s)]
        g = g.reshape(inter).sum(dim=tuple(range(0, len(inter), 2)))
        return g.reshape(self.inputs[0].shape)


class Tril(Function):
    """The lower triangle (on and below ``diagonal``) of the last two dimensions; the rest is zeroed."""

    unread_inputs = (0,)
    np_fn = staticmethod(np.tril)

    def forward(self, a, diagonal=0):
        if a.ndim < 2:
            raise op_error(ValueError, f"{type(self).op_name}: input must have at least 2 dimensions, got {a.shape}")
        self.diagonal = diagonal
        return type(self).np_fn(a, diagonal)

    def backward(self, g):
        return type(self).apply(g, diagonal=self.diagonal)


class Triu(Tril):
    """The upper triangle (on and above ``diagonal``) of the last two dimensions; the rest is zeroed."""

    np_fn = staticmethod(np.triu)


class Cat(Function):
    unread_inputs = range(2**31)  # every input: backward uses only their sizes

    def forward(self, *arrays, dim=0):
        if not arrays:
            raise op_error(ValueError, "cat(): expected a non-empty list of Tensors")
        nd = arrays[0].ndim
        self.dim = dim = norm_dim(dim, nd, "cat")
        for i, a in enumerate(arrays):
            if a.ndim != nd or a.shape[:dim] + a.shape[dim + 1 :] != arrays[0].shape[:dim] + arrays[0].shape[dim + 1 :]:
                raise op_error(
                    ValueError,
                    f"cat(): sizes of tensors must match except in dimension {dim}; tensor 0 has shape "
                    f"{list(arrays[0].shape)} and tensor {i} has shape {list(a.shape)}",
                )
        self.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim)

    def backward(self, g):
        grads, start = [], 0
        for size, need in zip(self.sizes, self.needs_input_grad):
            grads.append(g.narrow(self.dim, start, size) if need else None)
            start += size
        return tuple(grads)


OPS = [Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Permute, Expand, Flip, Roll, Repeat, Tril, Triu, Cat]
