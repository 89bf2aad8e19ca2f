"""The outbox: what the bot must send is a row written in the transaction that decided it; a worker delivers it.

    enqueue.py         write a row in the caller's transaction (a duplicate idempotency key adds nothing)
    registry.py        which handler delivers which kind of row (telegram.message, booking.webhook, ...)
    claim.py           take due lane heads under a lease, and record how a delivery ended
    backoff.py         when a failed row is tried again (exponential backoff, full jitter)
    roles.py           which process may deliver the kinds only one process may send (Telegram's limits)
    worker.py          the loop: claim, deliver, finish
    admin.py           listing and reviving rows (`run_bot.py outbox`)
    booking_events.py  the booking events' body (the back office's contract)
    webhook.py         signed POSTs of those events to BOOKING_WEBHOOK_URL
    email.py           the booking confirmation through SMTP_URL
"""
