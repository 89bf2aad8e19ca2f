"""The engine: handle(IncomingMessage) -> Outcome; loads state, understands, runs flows, saves."""
