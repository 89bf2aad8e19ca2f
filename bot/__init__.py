"""Refurbot: a conversational assistant for refurbished-electronics marketplaces."""

__version__ = "0.1.0"
