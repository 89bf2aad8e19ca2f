"""Trade-in pricing rules, validated from a mapping (the YAML is read by the caller)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.errors import ConfigError

CONDITIONS = ("flawless", "good", "fair", "broken")
CARRIERS = ("unlocked", "att", "verizon", "tmobile", "other")


@dataclass(frozen=True)
class PricingRules:
    """Everything that turns a base value into an offer."""

    version: str
    as_of: str
    condition_multipliers: dict[str, Decimal]
    carrier_deduction_pct: dict[str, Decimal]
    battery_families: tuple[str, ...]
    battery_deduction_pct: Decimal
    battery_threshold_pct: int
    floor_usd: Decimal
    round_down_to_usd: Decimal
    quote_valid_days: int


def parse_rules(raw: dict[str, Any], *, battery_threshold_pct: int, quote_valid_days: int,
                source: str = "config/pricing.yaml") -> PricingRules:
    """Validate the rules: every condition and carrier priced, better never pays less."""
    try:
        multipliers = {c: Decimal(str(raw["condition_multipliers"][c])) for c in CONDITIONS}
        carriers = {c: Decimal(str(raw["carrier_deduction_pct"][c])) for c in CARRIERS}
        rules = PricingRules(
            version=str(raw["version"]), as_of=str(raw["as_of"]),
            condition_multipliers=multipliers, carrier_deduction_pct=carriers,
            battery_families=tuple(raw["battery"]["families"]),
            battery_deduction_pct=Decimal(str(raw["battery"]["deduction_pct"])),
            battery_threshold_pct=battery_threshold_pct,
            floor_usd=Decimal(str(raw["floor_usd"])),
            round_down_to_usd=Decimal(str(raw["round_down_to_usd"])),
            quote_valid_days=quote_valid_days,
        )
    except (KeyError, TypeError) as err:
        raise ConfigError(f"{source}: missing or malformed entry {err}") from None
    except InvalidOperation:
        raise ConfigError(f"{source}: a value is not a number") from None
    values = [multipliers[c] for c in CONDITIONS]
    if values != sorted(values, reverse=True) or not all(Decimal(0) <= v <= Decimal(1) for v in values):
        raise ConfigError(f"{source}: condition_multipliers must be within 0..1 and never rise for a worse condition")
    if carriers["unlocked"] != 0 or any(not Decimal(0) <= v < Decimal(100) for v in carriers.values()):
        raise ConfigError(f"{source}: carrier_deduction_pct must be 0 for unlocked and within 0..99 otherwise")
    if rules.round_down_to_usd <= 0 or rules.floor_usd < 0:
        raise ConfigError(f"{source}: round_down_to_usd must be positive and floor_usd not negative")
    return rules
