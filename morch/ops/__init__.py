"""Core op classes by family, all registered in the one op registry."""

from morch.ops import elementwise, extra, index, linalg, matmul, nn, reduce, resize, shape, special, tensor_extra
from morch.ops.registry import register

for _family in (elementwise, reduce, shape, index, matmul, nn, resize, linalg, special, tensor_extra, extra):
    for _cls in _family.OPS:
        register(_cls)
