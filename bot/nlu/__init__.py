"""Understanding: intent routing and slot extraction, deterministic and fast."""
