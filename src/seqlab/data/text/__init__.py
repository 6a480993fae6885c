"""Text datasets (NSMC, IMDB), cleaning, Korean morphemes, subword tokenizers, similarity.

Importing this package registers the datasets ``nsmc`` and ``imdb``.
"""

from seqlab.data.text import imdb, nsmc  # noqa: F401  (registers the datasets)
