"""Neural-network layers, losses and initialisation (``morch.nn``), as ``torch.nn``.

``import morch.nn as nn`` and ``import morch.nn.functional as F`` work as in PyTorch.
"""

from morch.nn import functional, init, utils
from morch.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from morch.nn.attention import MultiheadAttention
from morch.nn.container import DataParallel, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from morch.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from morch.nn.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from morch.nn.flatten import Flatten, Unflatten
from morch.nn.fold import ChannelShuffle, Fold, PixelShuffle, PixelUnshuffle, Unfold
from morch.nn.lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyLinear, UninitializedParameter
from morch.nn.linear import Bilinear, Identity, Linear
from morch.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PairwiseDistance,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from morch.nn.module import Module
from morch.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from morch.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from morch.nn.parameter import Buffer, Parameter
from morch.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from morch.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from morch.nn.sparse import Embedding, EmbeddingBag
from morch.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from morch.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Buffer",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Embedding", "Flatten", "Unflatten",
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Sigmoid", "Tanh", "LogSigmoid", "Softsign",
    "Tanhshrink", "Hardtanh", "Hardsigmoid", "Hardswish", "Threshold", "GLU", "PReLU", "Softmax", "LogSoftmax",
    "Softmin",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "CosineSimilarity", "PairwiseDistance",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
    "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "Unfold", "Fold",
    "InstanceNorm1d", "InstanceNorm2d", "RMSNorm", "LocalResponseNorm", "AdaptiveMaxPool1d", "LPPool1d", "LPPool2d",
    "Softmax2d", "AlphaDropout", "FeatureAlphaDropout", "Hardshrink", "Softshrink", "RReLU", "MaxUnpool1d",
    "MaxUnpool2d", "EmbeddingBag", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "UninitializedParameter", "Conv3d", "MaxPool3d", "AvgPool3d", "DataParallel",
    "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
    "MultiMarginLoss", "TripletMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
]  # fmt: skip

from morch.nn import more as _more  # noqa: E402
from morch.nn import threed as _threed  # noqa: E402
from morch.nn.more import *  # noqa: E402, F403
from morch.nn.threed import *  # noqa: E402, F403

__all__ += _more.__all__ + _threed.__all__

from morch.nn import common_types, grad, modules, parallel  # noqa: E402, F401
