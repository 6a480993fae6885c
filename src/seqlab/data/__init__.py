"""Datasets: raw files -> ``PreparedData`` (arrays per split). No Lightning here."""
