"""Pricing: pure functions over validated rules and the catalog; Decimal money, no I/O."""
