"""``morch.nn.utils``: gradient clipping and converting parameters to and from one vector."""

from morch.nn.utils import rnn as rnn  # the submodule, as torch.nn.utils.rnn
from morch.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from morch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector", "vector_to_parameters"]
