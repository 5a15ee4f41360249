"""``morch.nn.utils``: gradient clipping, parameters to and from one vector, packed sequences,
parametrizations, the older hook-based weight and spectral normalisation, ``skip_init``,
convolution weights in a memory format and ``stateless.functional_call``."""

from morch.nn.utils import fusion as fusion
from morch.nn.utils import init as init
from morch.nn.utils import memory_format as memory_format
from morch.nn.utils import parametrizations as parametrizations
from morch.nn.utils import parametrize as parametrize
from morch.nn.utils import prune as prune
from morch.nn.utils import rnn as rnn  # the submodule, as torch.nn.utils.rnn
from morch.nn.utils import stateless as stateless
from morch.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from morch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from morch.nn.utils.fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from morch.nn.utils.init import skip_init
from morch.nn.utils.memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format
from morch.nn.utils.weight_norm import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = [
    "skip_init",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grads_with_norm_",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
    "weight_norm",
    "remove_weight_norm",
    "spectral_norm",
    "remove_spectral_norm",
]
