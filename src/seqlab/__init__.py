"""seqlab: train, evaluate and explain deep-learning classifiers for sequences (ECG beats, text)."""

__version__ = "0.1.0"
