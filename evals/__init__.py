"""Evaluation toolkit: the eval dataset format, importers, pure metrics and the quality gate."""
