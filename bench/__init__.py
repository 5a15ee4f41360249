"""Benchmarks of morch against PyTorch CPU and hand-written numpy (``python -m bench``)."""
