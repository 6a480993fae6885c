"""Lightning training: one classifier module, one array data module, run orchestration."""
