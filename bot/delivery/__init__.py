"""What the bot delivers to the outside world: booking events to the back office, emails to shoppers."""
