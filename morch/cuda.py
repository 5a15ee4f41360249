"""morch runs on the CPU only; these answer the questions device-agnostic scripts ask."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator)."""


manual_seed_all = manual_seed


class amp:
    """``torch.cuda.amp``'s deprecated spellings: without a GPU both disable themselves with PyTorch's warning."""

    @staticmethod
    def autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True):
        from morch.amp import autocast

        return autocast("cuda", dtype, enabled, cache_enabled)

    @staticmethod
    def GradScaler(init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                   growth_interval: int = 2000, enabled: bool = True):  # fmt: skip
        from morch.amp import GradScaler

        return GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def _no_cuda(name: str):
    raise RuntimeError(f"morch.cuda.{name}: morch runs on the CPU only (cuda.is_available() is False)")


def empty_cache() -> None:
    """Nothing to release (as PyTorch without an initialised GPU)."""


def memory_allocated(device=None) -> int:
    """0: morch has no GPU memory."""
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated


def reset_peak_memory_stats(device=None) -> None:
    """Nothing to reset."""


def synchronize(device=None) -> None:
    """Refused: there is no GPU."""
    _no_cuda("synchronize")


def current_device() -> int:
    """Refused: there is no GPU."""
    _no_cuda("current_device")


def get_device_name(device=None) -> str:
    """Refused: there is no GPU."""
    _no_cuda("get_device_name")


def set_device(device) -> None:
    """Refused: there is no GPU."""
    _no_cuda("set_device")
