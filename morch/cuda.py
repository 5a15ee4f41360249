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
