"""Support hours: is a person on duty now, and if not, when will one be. Pure."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_opening(now: datetime, *, timezone: str, days: list[str], opens: str, closes: str) -> datetime | None:
    """None when support is open at `now`; otherwise the next opening time (in the support timezone)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    open_t, close_t = time.fromisoformat(opens), time.fromisoformat(closes)
    working = {DAY_NAMES.index(d) for d in days}
    if local.weekday() in working and open_t <= local.time() < close_t:
        return None
    for offset in range(0, 8):
        day = (local + timedelta(days=offset)).date()
        if day.weekday() not in working:
            continue
        start = datetime.combine(day, open_t, tzinfo=zone)
        if start > local:
            return start
    raise ValueError("support days are empty")


def describe_opening(opening: datetime) -> str:
    """'Monday at 9:00 AM ET'-style text."""
    hour = opening.strftime("%I:%M %p").lstrip("0")
    return f"{opening.strftime('%A')} at {hour} {opening.strftime('%Z') or ''}".strip()
