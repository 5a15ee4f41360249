"""Core op classes by family, all registered in the one op registry."""

from morch.ops import (
    elementwise,
    extra,
    index,
    index_more,
    linalg,
    math_more,
    matmul,
    nn,
    reduce,
    resize,
    shape,
    special,
    tensor_extra,
)
from morch.ops.registry import register

_FAMILIES = (elementwise, reduce, shape, index, matmul, nn, resize, linalg, special, tensor_extra, extra, math_more,
             index_more)  # fmt: skip
for _family in _FAMILIES:
    for _cls in _family.OPS:
        register(_cls)
