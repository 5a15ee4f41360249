"""Datasets and data loading (``morch.utils.data``)."""
