#!/usr/bin/env python3
"""Refurbot's one entry point: `python run_bot.py --help` lists the subcommands."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
