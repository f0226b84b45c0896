"""Who is acting, from where: set once per request (or CLI command), read by the audit recorder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AuditContext:
    """The actor of the changes being flushed: a staff user id, or None for the system."""

    user_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None


_SYSTEM = AuditContext()
_current: ContextVar[AuditContext] = ContextVar("vault03_audit_context", default=_SYSTEM)


def current() -> AuditContext:
    """The context of the running request or command."""
    return _current.get()


def set_context(context: AuditContext) -> None:
    """Replace the context for the rest of this request (its task and the threads it starts)."""
    _current.set(context)


def set_actor(user_id: int | None) -> None:
    """Name the acting user once authentication has found one."""
    _current.set(replace(_current.get(), user_id=user_id))


@contextlib.contextmanager
def acting(context: AuditContext) -> Iterator[None]:
    """Run a block (a CLI command, a test) under `context`, restoring the previous one after."""
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
