"""Op plugins (work in progress): discovery through pluggy and the ``morch`` entry-point group."""


def op_function(name: str):
    """The callable for a plugin op called ``name``, or None."""
    return None
