"""Retrieval: question -> evidence -> sufficiency decision -> grounded answer -> verified citations."""
