"""Seed 004 (a TF1-style static graph), run on morch.static, checked against PyTorch.

The example cells of the seed notebook, unchanged except for the imports. The notebook did not
print its inputs; ``value = arange(9).reshape(3, 3)`` and ``mul_value = linspace(0, 1, 9)``
reproduce every number it printed (the gradients only depend on b's row sums, so any b with
row sums 0.375, 1.5, 2.625 does). Without PyTorch installed, the PyTorch half is skipped.
"""

import numpy as np

import morch
from morch import Tensor
from morch.static import Placeholder, SessionRun

try:
    import torch
except ImportError:
    torch = None

value = np.arange(9.0).reshape(3, 3)
mul_value = np.linspace(0, 1, 9).reshape(3, 3)

if torch is not None:
    print("==========================================基于PyTorch的自动微分-动态图版本：==========================================")
    a = torch.tensor(value, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(mul_value, dtype=torch.float32, requires_grad=True)
    t = torch.sum(1 / (1 + torch.exp(-a)) @ b)
    t.backward()

    print("计算结果是：", t)
    print("a的导数是：", a.grad.numpy())
    print("b的导数是：", b.grad.numpy())

    print("\n\n")


print("==========================================自己写的自动微分-静态图版本：==========================================")
# 当你执行完表达式时，就等同于构建了一个计算图。通过计算图反推即可得到梯度
a = Placeholder()   #  shape     None, H, W,  C
b = Tensor(mul_value)   #  可训练的参数，比如初始化为 高斯初始化，凯明初始化，常量初始化
t = morch.sum(1 / (1 + morch.exp(-a)) @ b)

# 构建计算图

out = SessionRun(t, {a: value})
out.backward()

print("计算结果是：", out)
print("dt/da：", a.grad)
print("dt/db：", b.grad)
