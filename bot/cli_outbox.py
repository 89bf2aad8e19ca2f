"""`run_bot.py outbox`: list pending or dead rows (never their payloads), revive a dead row, drain for cron."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli_output import print_json
from bot.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the outbox subcommand."""
    outbox = sub.add_parser("outbox", help="what the bot still has to send: pending rows, dead ones, retry, drain")
    action = outbox.add_mutually_exclusive_group()
    action.add_argument("--dead", action="store_true", help="list rows that will not be tried again")
    action.add_argument("--retry", type=int, metavar="ID", help="put a dead row back to pending, due now")
    action.add_argument("--drain", action="store_true", help="deliver everything due, then exit (cron, tests)")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(func=cmd_outbox)


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    """List, revive or drain the outbox."""
    from bot.app import open_database
    from bot.delivery.admin import list_rows, revive
    from bot.delivery.enqueue import DEAD, PENDING

    if args.drain:
        from bot.app import drain_outbox  # builds the senders (and imports their SDKs) only when sending

        handled = asyncio.run(drain_outbox(settings))
        if args.json:
            print_json({"handled": handled})
        else:
            print(f"handled {handled} outbox rows")
        return 0
    db, sessions = open_database(settings)
    try:
        if args.retry is not None:
            with sessions() as session, session.begin():
                revived = revive(session, args.retry)
            if args.json:
                print_json({"id": args.retry, "revived": revived})
            else:
                print(f"row {args.retry} is pending again" if revived else f"no dead row {args.retry}")
            return 0 if revived else 1
        with sessions() as session:
            rows = list_rows(session, state=DEAD if args.dead else PENDING)
    finally:
        db.dispose()
    data = [{"id": r.id, "kind": r.kind, "lane": r.lane, "state": r.state, "attempts": r.attempts,
             "next_attempt_at": r.next_attempt_at, "last_error": r.last_error, "created_at": r.created_at}
            for r in rows]
    if args.json:
        print_json(data)
        return 0
    for row in data:
        print(f"{row['id']:>7}  {row['kind']:<22} {row['lane']:<32} {row['state']:<7} {row['attempts']:>2}  "
              f"{row['next_attempt_at']:%Y-%m-%d %H:%M:%S}  {row['last_error'] or ''}")
    if not data:
        print("no dead rows" if args.dead else "nothing pending")
    return 0
