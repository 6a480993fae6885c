"""The model registry. ``@register_model`` on a factory; the function name is the key.

Torch models: ``factory(*, num_classes, ...) -> nn.Module`` whose ``forward`` returns logits
``(B, K)``. scikit-learn models register with ``kind="sklearn"`` and return an estimator with
``fit`` / ``predict_proba``.
"""

from seqlab.registry import Registry

MODELS = Registry("model")
register_model = MODELS.register
