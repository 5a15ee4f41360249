"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from morch.optim.adam import Adam


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights directly
    (``p *= 1 - lr * weight_decay`` before the Adam update) instead of entering the gradient.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled weight decay coefficient.
        amsgrad: use the maximum of past squared-gradient averages (AMSGrad).
        maximize: maximize the objective instead of minimizing it.
        foreach: accepted for compatibility; morch has a single implementation.
        capturable: accepted for compatibility (CPU only: no effect).
        differentiable: only False is supported.
        fused: accepted for compatibility; morch has a single implementation.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
