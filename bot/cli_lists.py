"""The listing subcommands: handoff tickets, and the questions the bot could not answer."""

from __future__ import annotations

import argparse

from bot.cli_output import print_json
from bot.settings import Settings


def cmd_tickets(settings: Settings, args: argparse.Namespace) -> int:
    """List handoff tickets."""
    from bot.app import open_database
    from bot.storage.repo import list_tickets

    db, sessions = open_database(settings)
    with sessions() as session:
        rows = list_tickets(session, only_open=args.open)
        data = [{"ticket_id": t.id, "status": t.status, "reason": t.reason, "created_at": t.created_at,
                 "claimed_by": t.claimed_by, "quote_id": t.quote_id, "slots": t.slots} for t in rows]
    db.dispose()
    if args.json:
        print_json(data)
    else:
        for t in data:
            print(f"{t['ticket_id']}  {t['status']:<8} {t['created_at']:%Y-%m-%d %H:%M}  {t['reason']}")
        if not data:
            print("no tickets")
    return 0


def cmd_unanswered(settings: Settings, args: argparse.Namespace) -> int:
    """List the questions without a reliable answer: the answer cards to write next."""
    from bot.app import open_database
    from bot.storage.repo import list_unanswered

    db, sessions = open_database(settings)
    with sessions() as session:
        rows = list_unanswered(session, limit=args.limit)
    db.dispose()
    if args.json:
        print_json([{"question": text, "times": times, "last_asked": last} for text, times, last in rows])
    else:
        for text, times, last in rows:
            print(f"{times:4}x  {last:%Y-%m-%d}  {text}")
        if not rows:
            print("no unanswered questions")
    return 0
