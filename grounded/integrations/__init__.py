"""Adapters that let other frameworks use a Grounded collection (llama-index: `grounded.integrations.llamaindex`)."""
