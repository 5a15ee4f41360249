"""Core op classes by family, all registered in the one op registry."""

from morch.ops import elementwise, index, linalg, matmul, nn, reduce, resize, shape
from morch.ops.registry import register

for _family in (elementwise, reduce, shape, index, matmul, nn, resize, linalg):
    for _cls in _family.OPS:
        register(_cls)
