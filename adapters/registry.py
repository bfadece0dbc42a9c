"""The operations service tasks may name, and the errors an operation may raise.

An operation is a function ``(params, call) -> dict``: ``params`` are the evaluated service-task
parameters (plain JSON values), ``call`` carries the idempotency key and the endpoint settings.
The returned dict must be JSON-serialisable; it becomes the service task's result variable.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Operation = Callable[[dict[str, Any], "CallContext"], dict[str, Any]]

_OPERATIONS: dict[str, Operation] = {}


@dataclass(frozen=True)
class CallContext:
    """What an operation needs besides its parameters."""

    idempotency_key: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 10.0
    # For the product's internal operations (storing a document, ...), which write to the
    # database in their own transaction: the instance the job belongs to, and the app's services.
    instance_id: int | None = None
    services: Any = None


class AdapterError(Exception):
    """An external call failed. ``retryable`` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool = True, system: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.system = system


class UnknownOperation(AdapterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"No adapter provides the operation '{name}'", retryable=False)


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register ``fn`` as the implementation of service-task operation ``name``."""

    def register(fn: Operation) -> Operation:
        _OPERATIONS[name] = fn
        return fn

    return register


def lookup(name: str) -> Operation:
    _load_builtin_adapters()
    try:
        return _OPERATIONS[name]
    except KeyError:
        raise UnknownOperation(name) from None


def names() -> list[str]:
    _load_builtin_adapters()
    return sorted(_OPERATIONS)


# The state systems the adapters reach; every other operation is the product's own.
EXTERNAL_SYSTEMS = frozenset({"npais", "pmlp", "sais", "sopa", "vdeavk"})


def reaches_another_system(name: str) -> bool:
    """Whether the operation calls a state system (``sopa.send_support_plan``) rather than
    doing the product's own work (``documents.generate``, ``outbox.send``)."""
    return name.split(".", 1)[0] in EXTERNAL_SYSTEMS


def _load_builtin_adapters() -> None:
    # Importing an adapter package registers its operations.
    import adapters.npais.operations
    import adapters.pmlp.operations
    import adapters.sais.operations
    import adapters.sopa.operations
    import adapters.vdeavk.operations  # noqa: F401
    from app.areas import load_operations

    load_operations()
