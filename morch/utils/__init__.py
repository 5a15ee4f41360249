"""Utilities (``morch.utils.data``)."""
