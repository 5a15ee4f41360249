"""``morch.nn.modules`` and its submodules (``morch.nn.modules.loss``, ``.batchnorm``, ...), laid out
as ``torch.nn.modules``, so that imports such as ``from torch.nn.modules.loss import _Loss`` work.

The submodules are generated from ``_TABLE``: each names the classes PyTorch defines in that file
and resolves them, when first asked for, to morch's own classes (``morch.nn`` for public names,
``_PRIVATE`` for PyTorch's underscore base classes). Names morch does not have raise an
AttributeError saying so; ``unavailable()`` lists them. ``utils`` is a small real module.
"""

from __future__ import annotations

import importlib
import sys
import types

# torch.nn.modules.<file>: the names PyTorch defines there
_TABLE = {
    "module": "Module _IncompatibleKeys _addindent register_module_forward_pre_hook register_module_forward_hook "
              "register_module_backward_hook register_module_full_backward_pre_hook register_module_full_backward_hook "
              "register_module_buffer_registration_hook register_module_module_registration_hook "
              "register_module_parameter_registration_hook",
    "linear": "Identity Linear NonDynamicallyQuantizableLinear Bilinear LazyLinear",
    "conv": "_ConvNd Conv1d Conv2d Conv3d _ConvTransposeNd ConvTranspose1d ConvTranspose2d ConvTranspose3d "
            "_ConvTransposeMixin _LazyConvXdMixin LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d "
            "LazyConvTranspose2d LazyConvTranspose3d",
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish Hardswish ELU CELU SELU GLU "
                  "GELU Hardshrink LeakyReLU LogSigmoid Softplus Softshrink MultiheadAttention PReLU Softsign "
                  "Tanhshrink Softmin Softmax Softmax2d LogSoftmax",
    "loss": "_Loss _WeightedLoss L1Loss NLLLoss NLLLoss2d PoissonNLLLoss GaussianNLLLoss KLDivLoss MSELoss BCELoss "
            "BCEWithLogitsLoss HingeEmbeddingLoss MultiLabelMarginLoss SmoothL1Loss HuberLoss SoftMarginLoss "
            "CrossEntropyLoss LinearCrossEntropyLoss MultiLabelSoftMarginLoss CosineEmbeddingLoss MarginRankingLoss "
            "MultiMarginLoss TripletMarginLoss TripletMarginWithDistanceLoss CTCLoss",
    "pooling": "_MaxPoolNd MaxPool1d MaxPool2d MaxPool3d _MaxUnpoolNd MaxUnpool1d MaxUnpool2d MaxUnpool3d _AvgPoolNd "
               "AvgPool1d AvgPool2d AvgPool3d FractionalMaxPool2d FractionalMaxPool3d _LPPoolNd LPPool1d LPPool2d "
               "LPPool3d _AdaptiveMaxPoolNd AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d _AdaptiveAvgPoolNd "
               "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "batchnorm": "_NormBase _BatchNorm _LazyNormBase BatchNorm1d LazyBatchNorm1d BatchNorm2d LazyBatchNorm2d "
                 "BatchNorm3d LazyBatchNorm3d SyncBatchNorm",
    "normalization": "LocalResponseNorm CrossMapLRN2d LayerNorm GroupNorm RMSNorm",
    "instancenorm": "_InstanceNorm InstanceNorm1d LazyInstanceNorm1d InstanceNorm2d LazyInstanceNorm2d InstanceNorm3d "
                    "LazyInstanceNorm3d",
    "dropout": "_DropoutNd Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
    "container": "_addindent Container Sequential ModuleList ModuleDict ParameterList ParameterDict",
    "sparse": "Embedding EmbeddingBag",
    "rnn": "apply_permutation RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer",
    "padding": "_CircularPadNd CircularPad1d CircularPad2d CircularPad3d _ConstantPadNd ConstantPad1d ConstantPad2d "
               "ConstantPad3d _ReflectionPadNd ReflectionPad1d ReflectionPad2d ReflectionPad3d _ReplicationPadNd "
               "ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d ZeroPad3d",
    "flatten": "Flatten Unflatten",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "channelshuffle": "ChannelShuffle",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
    "fold": "Fold Unfold",
    "distance": "PairwiseDistance CosineSimilarity",
    "adaptive": "_ASMoutput AdaptiveLogSoftmaxWithLoss",
    "lazy": "LazyModuleMixin",
}  # fmt: skip

# PyTorch's underscore (and a few other) names -> "module:attribute" of the morch class that plays the role
_PRIVATE = {
    "_IncompatibleKeys": "morch.nn.module:_IncompatibleKeys",
    "_addindent": "morch.nn.module:_addindent",
    "NonDynamicallyQuantizableLinear": "morch.nn.linear:Linear",
    "_ConvNd": "morch.nn.conv:_ConvNd",
    "_ConvTransposeNd": "morch.nn.conv:_ConvTransposeNd",
    "_LazyConvXdMixin": "morch.nn.lazy:_LazyConv",
    "_Loss": "morch.nn.loss:_Loss",
    "_WeightedLoss": "morch.nn.loss:_WeightedLoss",
    "_MaxPoolNd": "morch.nn.pooling:_MaxPoolNd",
    "_MaxUnpoolNd": "morch.nn.pooling:_MaxUnpoolNd",
    "_AvgPoolNd": "morch.nn.pooling:_AvgPoolNd",
    "_LPPoolNd": "morch.nn.pooling:_LPPoolNd",
    "_NormBase": "morch.nn.normalization:_BatchNorm",  # morch's _BatchNorm is also the base of _InstanceNorm
    "_BatchNorm": "morch.nn.normalization:_BatchNorm",
    "_LazyNormBase": "morch.nn.lazy:_LazyBatchNorm",
    "_InstanceNorm": "morch.nn.normalization:_InstanceNorm",
    "_DropoutNd": "morch.nn.dropout:_DropoutNd",
    "_ConstantPadNd": "morch.nn.padding:_ConstantPadNd",
    "_CircularPadNd": "morch.nn.padding:_PadNd",  # morch has one base for the non-constant paddings
    "_ReflectionPadNd": "morch.nn.padding:_PadNd",
    "_ReplicationPadNd": "morch.nn.padding:_PadNd",
    "_ASMoutput": "morch.nn.more:_ASMoutput",
    "LazyModuleMixin": "morch.nn.lazy:_LazyMixin",
}


def _resolve(name: str):
    """morch's object for PyTorch's ``name``, or None."""
    if name in _PRIVATE:
        module, _, attr = _PRIVATE[name].partition(":")
        return getattr(importlib.import_module(module), attr, None)
    nn = importlib.import_module("morch.nn")
    return None if name.startswith("_") else vars(nn).get(name)


def _submodule(file: str) -> types.ModuleType:
    qualname = f"{__name__}.{file}"
    mod = types.ModuleType(qualname, f"morch's classes under the names of torch.nn.modules.{file}.")
    names = _TABLE[file].split()

    def __getattr__(name: str):
        if name == "__all__":
            return [n for n in names if not n.startswith("_") and _resolve(n) is not None]
        obj = _resolve(name) if name in names else None
        if obj is None:
            why = "is not implemented in morch" if name in names else "is not a name of this module"
            raise AttributeError(
                f"module {qualname!r} has no attribute {name!r} (torch.nn.modules.{file}.{name} {why})"
            )
        return obj

    def __dir__():
        return sorted(n for n in names if _resolve(n) is not None)

    mod.__getattr__, mod.__dir__ = __getattr__, __dir__
    return mod


def unavailable() -> dict:
    """The names of ``torch.nn.modules`` submodules that morch does not have, per submodule."""
    out = {file: [n for n in names.split() if _resolve(n) is None] for file, names in _TABLE.items()}
    return {file: names for file, names in out.items() if names}


for _file in _TABLE:
    sys.modules[f"{__name__}.{_file}"] = globals()[_file] = _submodule(_file)

from morch.nn.modules import utils as utils  # noqa: E402  (a real module: helpers PyTorch defines there)


def __getattr__(name: str):
    # torch.nn.modules.Linear and the like: every layer of morch.nn
    obj = vars(importlib.import_module("morch.nn")).get(name) if not name.startswith("__") else None
    if obj is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return obj
