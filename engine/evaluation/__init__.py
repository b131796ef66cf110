"""Evaluation built into the product: retrieval metrics on BEIR-format sets (and the user's own)."""
