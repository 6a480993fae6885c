"""Metrics from predictions alone (no model, no data loading): metrics.json, ROC curves."""
