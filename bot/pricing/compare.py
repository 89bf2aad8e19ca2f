"""Refurbished vs new, and the upgrade math. Pure: values in, figures out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.catalog import GRADES, Device
from bot.domain import Quote
from bot.errors import ConfigError, PricingError

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CompareRules:
    """Warranty texts, other programs and impact factors (config/compare.yaml)."""

    new_warranty: dict[str, str]
    programs: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, warranty, brands)
    avoided_low: Decimal
    avoided_high: Decimal
    impact_source: str
    company_claim: str
    default_range_kg: dict[str, tuple[int, int]]
    upgrade_grade: str


@dataclass(frozen=True)
class GradeOffer:
    """A refurbished price and what it saves against new."""

    grade: str
    price_usd: Decimal
    saving_usd: Decimal
    saving_pct: Decimal


@dataclass(frozen=True)
class Comparison:
    """Everything the compare message and `run_bot.py compare` show."""

    device: str
    brand: str
    storage_gb: int
    new_price_usd: Decimal
    sold_new: bool
    grades: tuple[GradeOffer, ...]
    co2e_new_kg: tuple[Decimal, Decimal]  # (low, high): equal when the maker publishes a figure
    co2e_avoided_kg: tuple[Decimal, Decimal]
    co2e_source: str
    warranties: tuple[tuple[str, str], ...]  # (who, warranty)
    price_table_version: str
    as_of: str

    def grade(self, name: str) -> GradeOffer:
        """The offer for one grade."""
        return next(g for g in self.grades if g.grade == name)

    def to_json(self) -> dict[str, Any]:
        """The `run_bot.py compare --json` shape."""
        return {
            "device_model": self.device, "storage_gb": self.storage_gb, "currency": "USD",
            "new_price_usd": float(self.new_price_usd), "sold_new": self.sold_new,
            "refurbished": [{"grade": g.grade, "price_usd": float(g.price_usd), "saving_usd": float(g.saving_usd),
                             "saving_pct": float(g.saving_pct)} for g in self.grades],
            "co2e_new_kg": [float(x) for x in self.co2e_new_kg],
            "co2e_avoided_kg": [float(x) for x in self.co2e_avoided_kg], "co2e_source": self.co2e_source,
            "warranties": [{"who": w, "warranty": t} for w, t in self.warranties],
            "price_table_version": self.price_table_version, "as_of": self.as_of,
        }


@dataclass(frozen=True)
class UpgradeMath:
    """Trade in the old device, then buy the new one new or refurbished."""

    trade_in: Quote
    target: Comparison
    grade: str
    net_new_usd: Decimal
    net_refurbished_usd: Decimal
    saving_usd: Decimal


def parse_compare_rules(raw: dict[str, Any], source: str = "config/compare.yaml") -> CompareRules:
    """Validate config/compare.yaml."""
    try:
        impact = raw["impact"]
        rules = CompareRules(
            new_warranty={str(k): str(v) for k, v in raw["new_warranty"].items()},
            programs=tuple((str(p["name"]), str(p["warranty"]), tuple(p["brands"])) for p in raw["programs"]),
            avoided_low=Decimal(str(impact["avoided_share_low"])),
            avoided_high=Decimal(str(impact["avoided_share_high"])),
            impact_source=str(impact["source"]), company_claim=str(impact["company_claim"]),
            default_range_kg={k: (int(v[0]), int(v[1])) for k, v in impact["default_range_kg"].items()},
            upgrade_grade=str(raw["upgrade_grade"]),
        )
    except (KeyError, TypeError, IndexError) as err:
        raise ConfigError(f"{source}: missing or malformed entry {err}") from None
    if not Decimal(0) < rules.avoided_low <= rules.avoided_high <= Decimal(1):
        raise ConfigError(f"{source}: avoided shares must satisfy 0 < low <= high <= 1")
    if rules.upgrade_grade not in GRADES:
        raise ConfigError(f"{source}: upgrade_grade must be one of {', '.join(GRADES)}")
    return rules


def compare(device: Device, storage_gb: int, rules: CompareRules, *, shop_name: str, shop_warranty: str,
            table_version: str, as_of: str) -> Comparison:
    """New vs refurbished per grade for one storage variant."""
    if storage_gb not in device.new_price_usd:
        raise PricingError(f"{device.name} does not come with {storage_gb} GB")
    if storage_gb not in device.refurbished_usd:
        raise PricingError(f"we don't sell the {device.name} refurbished yet")
    new = device.new_price_usd[storage_gb]
    grades = tuple(
        GradeOffer(g, price, new - price, ((new - price) / new * _HUNDRED).quantize(Decimal(1), ROUND_HALF_UP))
        for g, price in device.refurbished_usd[storage_gb].items())
    if device.co2e_kg is not None:
        low = high = device.co2e_kg
        source = device.co2e_source
    else:
        lo, hi = rules.default_range_kg.get(device.category, (45, 85))
        low, high = Decimal(lo), Decimal(hi)
        source = f"typical for a {device.category}; no figure published for this model"
    avoided = ((low * rules.avoided_low).quantize(Decimal(1)), (high * rules.avoided_high).quantize(Decimal(1)))
    warranties = [(f"{shop_name} refurbished", shop_warranty),
                  ("New", rules.new_warranty.get(device.brand, "1-year limited warranty"))]
    warranties += [(name, text) for name, text, brands in rules.programs if device.brand in brands]
    return Comparison(device.name, device.brand, storage_gb, new, device.sold_new, grades, (low, high), avoided,
                      source, tuple(warranties), table_version, as_of)


def upgrade_math(trade_in: Quote, target: Comparison, grade: str) -> UpgradeMath:
    """Net cost of the new device after the trade-in, new vs refurbished."""
    refurbished = target.grade(grade).price_usd
    net_new = max(Decimal(0), target.new_price_usd - trade_in.offer_usd)
    net_refurbished = max(Decimal(0), refurbished - trade_in.offer_usd)
    return UpgradeMath(trade_in, target, grade, net_new, net_refurbished, net_new - net_refurbished)
