"""Printing for the command line: JSON with dates and Decimals as a program reading it expects."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def print_json(data: Any) -> None:
    """Print data as indented JSON."""
    print(json.dumps(data, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value).__name__)
