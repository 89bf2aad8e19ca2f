"""The one small exception tree of Refurbot.

    RefurbotError                 anything we raise on purpose
    ├── ConfigError               a setting or config/flow/knowledge file is wrong (names it and the fix)
    │   └── FlowValidationError   a flow file is invalid (names file, flow and step)
    ├── StorageError              the database cannot be used
    │   ├── DatabaseUnavailable   cannot connect (yet): retry later
    │   └── DatabaseReadOnly      the database refuses writes
    ├── KnowledgeError            the knowledge index is missing, stale or broken
    ├── PricingError              no price can be made for these inputs (unknown model or storage)
    ├── AccountError              a console account cannot be made as asked (name taken, bad role or password)
    └── DeliveryError             something the bot sends could not be delivered (the outbox decides)
        ├── RetryableDelivery     worth trying again later (network error, 5xx, 429)
        └── PermanentDelivery     will never succeed (4xx, 410, a refused recipient): the row goes dead

Vendor errors are translated at the edge with ``raise ... from err``.
"""


class RefurbotError(Exception):
    """Base of every error Refurbot raises on purpose."""


class ConfigError(RefurbotError):
    """A setting or a configuration file is wrong; the message names it and the fix."""


class FlowValidationError(ConfigError):
    """A flow file is invalid; the message names the file, flow and step."""

    def __init__(self, file: str, flow: str | None, step: str | None, problem: str) -> None:
        where = file + (f", flow '{flow}'" if flow else "") + (f", step '{step}'" if step else "")
        super().__init__(f"{where}: {problem}")
        self.file, self.flow, self.step, self.problem = file, flow, step, problem


class StorageError(RefurbotError):
    """The database cannot be used."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached right now."""


class DatabaseReadOnly(StorageError):
    """The database refuses writes (a read-only file or a read-only role)."""


class KnowledgeError(RefurbotError):
    """The knowledge base or its index is missing, stale or broken."""


class PricingError(RefurbotError):
    """No price can be made for these inputs."""


class AccountError(RefurbotError):
    """A console account cannot be created as asked; the message says why."""


class DeliveryError(RefurbotError):
    """Something the bot sends could not be delivered."""


class RetryableDelivery(DeliveryError):
    """Delivery failed for now; the outbox tries again with backoff."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentDelivery(DeliveryError):
    """Delivery can never succeed; the outbox marks the row dead with this reason."""
