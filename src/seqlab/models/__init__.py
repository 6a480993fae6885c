"""Model architectures, one per module; importing this package fills ``MODELS``.

>>> from seqlab.models import MODELS
>>> "kachuee_resnet" in MODELS
True
"""

from seqlab.models import (  # noqa: F401  (imported to register their models)
    beat_context,
    classical,
    kachuee,
    recurrent,
    seed_cnn,
    text_cnn,
    text_rnn,
    text_transformer,
    tiny,
)
from seqlab.models.registry import MODELS, register_model

__all__ = ["MODELS", "register_model"]
