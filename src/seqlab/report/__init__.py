"""Reports read run directories (config, metrics, logs) and write self-contained HTML."""
