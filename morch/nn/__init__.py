"""Neural-network layers, losses and initialisation (``morch.nn``)."""
