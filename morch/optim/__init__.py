"""Optimizers and learning-rate schedulers (``morch.optim``)."""
