"""`run_bot.py agents add NAME --role agent|admin` and `agents list`: the web console's accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli_output import print_json
from bot.errors import AccountError
from bot.settings import Settings


def add_agents_parser(sub: Any) -> None:
    """`agents add|list`, under the main parser's subcommands."""
    agents = sub.add_parser("agents", help="the support console's accounts: add one, list them")
    actions = agents.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an account (the password is asked for, never an argument)")
    add.add_argument("name")
    add.add_argument("--role", choices=["agent", "admin"], default="agent")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_agents_add)
    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_agents_list)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def cmd_agents_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create a console account with an argon2 hash of the password."""
    from bot.app import open_database
    from bot.support.accounts import add_account

    password = _password(args)
    db, sessions = open_database(settings)
    try:
        account = add_account(sessions, args.name, args.role, password)
    finally:
        db.dispose()
    print(f"account {account.name} ({account.role}) created")
    return 0


def cmd_agents_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print the accounts: name and role (never a hash)."""
    from bot.app import open_database
    from bot.support.accounts import list_accounts

    db, sessions = open_database(settings)
    try:
        accounts = list_accounts(sessions)
    finally:
        db.dispose()
    if args.json:
        print_json([{"name": a.name, "role": a.role} for a in accounts])
    else:
        for account in accounts:
            print(f"{account.name}\t{account.role}")
    return 0
