"""Channels: thin adapters between a platform and the engine's IncomingMessage / Outcome."""
