"""Pure metric functions (no I/O). Per-question scores return ``None`` when not applicable;
:func:`evals.metrics.aggregate.mean_metric` averages them and counts ``None`` and NaN explicitly."""
