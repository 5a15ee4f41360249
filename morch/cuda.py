"""morch runs on the CPU only; these answer the questions device-agnostic scripts ask."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator)."""


manual_seed_all = manual_seed
