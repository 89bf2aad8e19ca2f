"""The device catalog: models, aliases, prices and footprints, loaded and validated from knowledge/."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

GRADES = ("fair", "good", "excellent", "premium")
CATEGORIES = ("smartphone", "tablet", "laptop")
CATEGORY_WORDS = {"smartphone": "phone", "tablet": "tablet", "laptop": "laptop"}  # how shoppers and cards name each


@dataclass(frozen=True)
class Device:
    """One catalog model with its prices per storage."""

    id: str
    name: str
    brand: str
    family: str
    category: str
    year: int
    aliases: tuple[str, ...]
    storage_gb: tuple[int, ...]
    sold_new: bool
    new_price_usd: dict[int, Decimal]
    refurbished_usd: dict[int, dict[str, Decimal]]
    trade_in_base_usd: dict[int, Decimal]
    co2e_kg: Decimal | None
    co2e_source: str

    @property
    def base_storage(self) -> int:
        """The smallest storage variant."""
        return self.storage_gb[0]

    @property
    def storage_choices(self) -> str:
        """'128 GB, 256 GB or 512 GB'."""
        labels = [storage_label(s) for s in self.storage_gb]
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def storage_label(storage_gb: int) -> str:
    """'128 GB', '1 TB'."""
    return f"{storage_gb // 1024} TB" if storage_gb >= 1024 else f"{storage_gb} GB"


@dataclass(frozen=True)
class Catalog:
    """All devices, with the price table's version and date."""

    version: str
    as_of: str
    currency: str
    devices: tuple[Device, ...]

    def by_name(self, name: str) -> Device | None:
        """The device with this canonical name (case-insensitive)."""
        wanted = name.casefold()
        return next((d for d in self.devices if d.name.casefold() == wanted), None)

    def brands(self) -> list[str]:
        """The brands we carry, in catalog order."""
        return list(dict.fromkeys(d.brand for d in self.devices))


def load_catalog(path: Path) -> Catalog:
    """Load and validate the catalog YAML; any problem is a ConfigError naming file and device."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the catalog: {err}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("devices"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'devices' list")
    devices = tuple(_parse_device(path, item) for item in raw["devices"])
    _check_unique(path, devices)
    return Catalog(str(raw.get("version", "")), str(raw.get("as_of", "")), str(raw.get("currency", "USD")),
                   devices)


def _money_map(path: Path, name: str, field: str, value: Any, storages: tuple[int, ...]) -> dict[int, Decimal]:
    if not isinstance(value, dict) or {int(k) for k in value} != set(storages):
        raise ConfigError(f"{path}: device '{name}': {field} needs one price per storage {list(storages)}")
    return {int(k): Decimal(str(v)) for k, v in value.items()}


def _parse_device(path: Path, item: dict[str, Any]) -> Device:
    name = str(item.get("name", "?"))
    try:
        storages = tuple(int(s) for s in item["storage_gb"])
        if list(storages) != sorted(set(storages)):
            raise ConfigError(f"{path}: device '{name}': storage_gb must be ascending and unique")
        refurb_raw = item.get("refurbished_usd") or {}
        refurbished: dict[int, dict[str, Decimal]] = {}
        for storage, grades in refurb_raw.items():
            if set(grades) != set(GRADES):
                raise ConfigError(f"{path}: device '{name}': refurbished_usd[{storage}] needs {list(GRADES)}")
            refurbished[int(storage)] = {g: Decimal(str(grades[g])) for g in GRADES}
        category = str(item["category"])
        if category not in CATEGORIES:
            raise ConfigError(f"{path}: device '{name}': category must be one of {list(CATEGORIES)}")
        co2e = item.get("co2e_kg")
        return Device(
            id=str(item["id"]), name=name, brand=str(item["brand"]), family=str(item["family"]),
            category=category, year=int(item["year"]),
            aliases=tuple(str(a).casefold() for a in item.get("aliases") or ()),
            storage_gb=storages, sold_new=bool(item.get("sold_new", False)),
            new_price_usd=_money_map(path, name, "new_price_usd", item["new_price_usd"], storages),
            refurbished_usd=refurbished,
            trade_in_base_usd=_money_map(path, name, "trade_in_base_usd", item["trade_in_base_usd"], storages),
            co2e_kg=None if co2e is None else Decimal(str(co2e)),
            co2e_source=str(item.get("co2e_source", "")),
        )
    except KeyError as err:
        raise ConfigError(f"{path}: device '{name}': missing field {err.args[0]}") from None
    except (TypeError, ValueError, ArithmeticError) as err:
        raise ConfigError(f"{path}: device '{name}': bad value ({err})") from None


def _check_unique(path: Path, devices: tuple[Device, ...]) -> None:
    seen: dict[str, str] = {}
    for device in devices:
        for key in (device.id, device.name.casefold(), *device.aliases):
            owner = seen.setdefault(key, device.name)
            if owner != device.name:
                raise ConfigError(f"{path}: '{key}' names both '{owner}' and '{device.name}'")
