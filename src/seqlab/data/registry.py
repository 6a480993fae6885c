"""The dataset registry. ``@register_dataset(config=Cfg)`` where the builder is defined."""

from seqlab.registry import Registry

DATASETS = Registry("dataset")
register_dataset = DATASETS.register
