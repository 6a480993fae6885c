"""Imports every model module so the registry is complete (``seqlab list models``, config
checks). ``seqlab.models`` itself imports nothing, so reading a registry entry or a finished
run's config does not pay for torch.

>>> from seqlab.models.catalog import MODELS
>>> "kachuee_resnet" in MODELS
True
"""

from seqlab.models import (  # noqa: F401  (imported to register their models)
    autoencoders,
    basics,
    dechazal,
    generators,
    hf_encoder,
    kachuee,
    recurrent,
    rr_resnet,
    seed_cnn,
    seq2seq,
    sklearn_factories,
    text_cnn,
    text_rnn,
    text_transformer,
    tiny,
)
from seqlab.models.registry import MODELS, register_model

__all__ = ["MODELS", "register_model"]
