"""The run side of the designer: logs, metrics, outputs, runs browser, run dialog, node badges."""
