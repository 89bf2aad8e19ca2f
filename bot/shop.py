"""Shop configuration as data: policy (config/policy.yaml) and pricing rules (config/pricing.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.catalog import Catalog, load_catalog
from bot.errors import ConfigError
from bot.pricing.compare import CompareRules, parse_compare_rules
from bot.pricing.rules import PricingRules, parse_rules


@dataclass(frozen=True)
class Shop:
    """Everything an operator edits as data: policy, pricing rules and the catalog."""

    policy: dict[str, Any]
    rules: PricingRules
    catalog: Catalog
    compare: CompareRules

    @property
    def name(self) -> str:
        """The shop's name as shoppers see it."""
        return str(self.policy["shop"]["name"])

    @property
    def table_version(self) -> str:
        """The price-table version shown on quotes: catalog prices plus pricing rules."""
        return f"{self.catalog.version}/{self.rules.version}"

    def policy_value(self, dotted: str) -> Any:
        """A policy value by dotted path, e.g. 'trade_in.quote_valid_days'."""
        node: Any = self.policy
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"config/policy.yaml has no '{dotted}'")
            node = node[part]
        return node


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; any problem is one ConfigError line naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}: fix the file and start again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must contain a mapping")
    return data


def load_shop(config_dir: Path, knowledge_dir: Path) -> Shop:
    """Load and validate policy, pricing rules and catalog."""
    policy = read_yaml(config_dir / "policy.yaml")
    try:
        threshold = int(policy["trade_in"]["battery_health_threshold_pct"])
        valid_days = int(policy["trade_in"]["quote_valid_days"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{config_dir / 'policy.yaml'}: trade_in needs battery_health_threshold_pct "
                          "and quote_valid_days as numbers") from None
    rules = parse_rules(read_yaml(config_dir / "pricing.yaml"), battery_threshold_pct=threshold,
                        quote_valid_days=valid_days, source=str(config_dir / "pricing.yaml"))
    compare = parse_compare_rules(read_yaml(config_dir / "compare.yaml"), source=str(config_dir / "compare.yaml"))
    return Shop(policy=policy, rules=rules, catalog=load_catalog(knowledge_dir / "catalog.yaml"), compare=compare)
