"""morch.save / morch.load (being written)."""


def save(obj, f) -> None:
    raise NotImplementedError("morch.save is not written yet")


def load(f):
    raise NotImplementedError("morch.load is not written yet")
