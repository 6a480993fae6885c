"""The ``seqlab`` command line; each module registers its own verbs."""
