"""Conversation flows: the YAML model, its loader and validator, and a pure executor."""
