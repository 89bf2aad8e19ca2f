"""Human support: handoff tickets, support hours, ownership of a conversation."""
