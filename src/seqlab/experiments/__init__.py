"""Experiment drivers that call training and return results: cross-validation, tuning, ablation,
pseudo-labelling, reproducing a paper's protocol. Their HTML is written by ``seqlab.report``."""
