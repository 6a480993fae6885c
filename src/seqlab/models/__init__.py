"""Model architectures, one per module (``catalog`` imports them all and fills ``MODELS``)."""
