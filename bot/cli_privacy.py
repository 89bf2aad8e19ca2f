"""The privacy subcommands for support: export or forget one shopper's data, and the retention purge."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli_output import print_json
from bot.errors import RefurbotError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.engine.responses import Responses


def _say(settings: Settings) -> Responses:
    """The shop's responses: what the terminal tells the support person is worded there too."""
    from bot.app import load_shop_responses
    from bot.shop import load_shop

    return load_shop_responses(settings, load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir)))


def add_privacy_parser(sub: Any) -> None:
    """`privacy export|forget|purge`, under the main parser's subcommands."""
    privacy = sub.add_parser("privacy", help="a shopper's data: export it, forget it; purge expired rows")
    actions = privacy.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="print what is stored about a shopper")
    export.add_argument("--user", required=True, help="CHANNEL:ID, e.g. telegram:123456789")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=cmd_privacy_export)
    forget = actions.add_parser("forget", help="delete a shopper's data (quotes kept anonymised)")
    forget.add_argument("--user", required=True, help="CHANNEL:ID, e.g. telegram:123456789")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(func=cmd_privacy_forget)
    purge = actions.add_parser("purge", help="delete messages and processed-update keys past their retention")
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(func=cmd_privacy_purge)


def _identity(value: str) -> tuple[str, str]:
    channel, sep, user = value.partition(":")
    if not sep or not channel or not user:
        raise RefurbotError(f"--user must be CHANNEL:ID (for example telegram:123456789), not '{value}'")
    return channel, user


def cmd_privacy_export(settings: Settings, args: argparse.Namespace) -> int:
    """Print a shopper's data as /mydata shows it (or as JSON)."""
    from bot.app import load_shop_responses, open_database
    from bot.engine.privacy import render_data, shopper_data
    from bot.shop import load_shop
    from bot.storage.privacy import find_user, user_records

    channel, user = _identity(args.user)
    db, sessions = open_database(settings)
    try:
        with sessions() as session:
            found = find_user(session, channel=channel, external_id=user)
            records = user_records(session, user_id=found.id) if found is not None else None
            if records is None:
                raise RefurbotError(f"no shopper {args.user} is stored")
            data = shopper_data(records)
    finally:
        db.dispose()
    if args.json:
        print_json(data.to_json())
    else:
        shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
        print(render_data(data, load_shop_responses(settings, shop), retention_days=settings.retention_days))
    return 0


def cmd_privacy_forget(settings: Settings, args: argparse.Namespace) -> int:
    """Delete a shopper's data, after a yes on the terminal unless --yes."""
    from bot.app import open_database
    from bot.storage.models import utcnow
    from bot.storage.privacy import find_user, forget_user

    channel, user = _identity(args.user)
    if not args.yes:
        if not sys.stdin.isatty():
            raise RefurbotError("not a terminal: pass --yes to forget without being asked")
        answer = input(_say(settings).text("privacy_forget_confirm", user=args.user) + " ")
        if answer.strip().casefold() not in ("y", "yes"):
            print(_say(settings).text("privacy_nothing_deleted"))
            return 1
    db, sessions = open_database(settings)
    try:
        with sessions() as session, session.begin():
            found = find_user(session, channel=channel, external_id=user)
            if found is None:
                raise RefurbotError(f"no shopper {args.user} is stored")
            done = forget_user(session, user_id=found.id, now=utcnow())
    finally:
        db.dispose()
    print(_say(settings).text("privacy_forgotten", user=args.user, messages=done.messages,
                              quotes=done.quotes_anonymised, tickets=done.tickets_closed))
    return 0


def cmd_privacy_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Run the retention purge once and print what it deleted."""
    from bot.app import open_database
    from bot.storage.models import utcnow
    from bot.storage.privacy import purge_expired

    db, sessions = open_database(settings)
    try:
        with sessions() as session, session.begin():
            purged = purge_expired(session, utcnow(), settings.retention_days, settings.processed_retention_days)
    finally:
        db.dispose()
    if args.json:
        print_json({"messages": purged.messages, "processed_events": purged.processed_events,
                    "retention_days": settings.retention_days,
                    "processed_retention_days": settings.processed_retention_days})
    else:
        print(_say(settings).text("privacy_purged", messages=purged.messages, days=settings.retention_days,
                                  keys=purged.processed_events, key_days=settings.processed_retention_days))
    return 0
