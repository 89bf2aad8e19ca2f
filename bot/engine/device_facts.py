"""Facts about one device, answered from the catalog: storage sizes, the price new, CO2e, whether we sell it."""

from __future__ import annotations

from collections.abc import Callable

from bot.catalog import Device, storage_label
from bot.domain import Reply
from bot.engine.compare import CompareActions, kg_range
from bot.engine.responses import Responses
from bot.errors import PricingError
from bot.pricing.quote import format_usd
from bot.shop import Shop

CHEAPEST_GRADE = "fair"  # "refurbished from $X" quotes the lowest grade


class DeviceFacts:
    """Answers "what storage does the Pixel 8 come in?" and the like, with the catalog's figures."""

    def __init__(self, shop: Shop, comparing: CompareActions, responses: Responses) -> None:
        self.shop = shop
        self.comparing = comparing
        self.say = responses

    def answer(self, kind: str, *device_names: str) -> Reply | None:
        """The reply for one fact about one catalog device, or two side by side (None: not a fact we give)."""
        found = [self.shop.catalog.by_name(name) for name in device_names]
        devices = [d for d in found if d is not None]
        if not devices or len(devices) != len(found):
            return None
        if len(devices) == 2:
            return self._co2e_pair(devices[0], devices[1]) if kind == "co2e" else None
        handler = self._handlers().get(kind)
        return handler(devices[0]) if handler is not None else None

    def _co2e_pair(self, first: Device, second: Device) -> Reply | None:
        """"Is a pixel 7 pro worse for the planet than a pixel 7?": both footprints, each with its source."""
        values: dict[str, str] = {}
        for key, device in (("first", first), ("second", second)):
            try:
                figures = self.comparing.comparison(device, None)
            except PricingError:  # not sold refurbished: no side by side
                return None
            values.update({f"{key}_model": device.name, f"{key}_co2e": kg_range(figures.co2e_new_kg),
                           f"{key}_source": figures.co2e_source})
        return self.say.reply("device_co2e_pair", None, **values)

    def _handlers(self) -> dict[str, Callable[[Device], Reply]]:
        return {"storage": self._storage, "new_price": self._new_price, "prices": self._prices, "sold_new": self._sold_new,
                "co2e": self._co2e, "available": self._available}

    def _common(self, device: Device) -> dict[str, str]:
        base = device.base_storage
        values = {"device_model": device.name, "choices": device.storage_choices, "storage": storage_label(base),
                  "new_price": format_usd(device.new_price_usd[base]), "grade": CHEAPEST_GRADE.capitalize()}
        grades = device.refurbished_usd.get(base)
        if grades:
            values["price"] = format_usd(grades[CHEAPEST_GRADE])
        return values

    def _with_refurb(self, name: str, device: Device, **extra: str) -> Reply:
        values = {**self._common(device), **extra}
        return self.say.reply(name if "price" in values else f"{name}_no_refurb", None, **values)

    def _storage(self, device: Device) -> Reply:
        return self._with_refurb("device_storage", device)

    def _new_price(self, device: Device) -> Reply:
        return self._with_refurb("device_new_price", device, sold=self._sold(device))

    def _prices(self, device: Device) -> Reply:
        """Every grade's refurbished price next to new ("how much is a refurb 15 in excellent?" mid trade-in)."""
        grades = device.refurbished_usd.get(device.base_storage)
        if not grades:
            return self._new_price(device)
        return self.say.reply("device_prices", None, **self._common(device),
                              **{grade: format_usd(price) for grade, price in grades.items()})

    def _sold_new(self, device: Device) -> Reply:
        return self._with_refurb("device_sold_new", device, sold=self._sold(device))

    def _sold(self, device: Device) -> str:
        return self.say.text("sold_new_yes" if device.sold_new else "sold_new_no")

    def _co2e(self, device: Device) -> Reply:
        try:
            figures = self.comparing.comparison(device, None)
        except PricingError:  # not sold refurbished yet: the footprint is still known
            figures = None
        if figures is None:
            return self.say.reply("device_not_refurbished", None, **self._common(device))
        return self.say.reply("device_co2e", device_model=device.name, co2e=kg_range(figures.co2e_new_kg),
                              source=figures.co2e_source, avoided=kg_range(figures.co2e_avoided_kg))

    def _available(self, device: Device) -> Reply:
        values = self._common(device)
        if "price" not in values:
            return self.say.reply("device_not_refurbished", None, **values)
        return self.say.reply("device_available", None, **values)
