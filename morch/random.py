"""Random number generation: one default generator, reseeded by ``manual_seed``."""

from __future__ import annotations

import numpy as np


class Generator:
    """A source of random numbers (wraps a numpy ``Generator``); pass it as ``generator=``."""

    def __init__(self, device: str = "cpu"):
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"morch runs on the CPU only; device {device!r} is not available")
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; the same seed gives the same numbers on every run.

        Args:
            seed: an integer (negative ones are taken modulo 2**64, as PyTorch does).
        """
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected an integer seed, got {type(seed).__name__}")
        self._seed = int(seed) % 2**64
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))._seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state, for ``set_state``."""
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Restore a state from ``get_state``.

        Args:
            state: the state.
        """
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``): the same seed gives the same numbers on every run.

    Args:
        seed: an integer.
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from OS entropy."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The default generator's state, for ``set_rng_state``."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    """Restore the default generator's state.

    Args:
        state: a state from ``get_rng_state``.
    """
    default_generator.set_state(state)


def _gen(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng
