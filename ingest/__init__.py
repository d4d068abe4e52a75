"""Ingestion: files or a corpus.jsonl -> parsed documents -> chunks -> vectors -> the store, hash-gated."""
