"""Who may call what: every route declares a policy, and one app-wide dependency enforces it.

A route without a declared policy is refused to everyone (and the route table test fails).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import OperationalError

from vault03_api import clock
from vault03_api.audit.context import AuditContext, set_actor, set_context
from vault03_api.auth.client import client_ip
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role, Stage
from vault03_api.auth.principal import Principal
from vault03_api.auth.sessions import record_activity, resolve_api_token, resolve_session
from vault03_api.db import WritersBusy
from vault03_api.deps import StateDep
from vault03_api.http_policy import foreign_origin
from vault03_api.settings import ApiSettings
from vault03_api.state import ActiveWindow
from vault03_api.transactions import run_cursor_read, run_write

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

SESSION_COOKIE = "__Host-vault03_session"
# Browsers refuse a __Host- cookie without Secure: plain-HTTP development uses this name.
INSECURE_SESSION_COOKIE = "vault03_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_ROLES = frozenset(Role)
ALL_STAGES = frozenset(Stage)
_ATTRIBUTE = "__vault03_access__"


@dataclass(frozen=True)
class Policy:
    """Roles admitted, the login stages a session may be in (only `full` by default), and
    whether the route still answers everyone while maintenance is on (else only admins)."""

    roles: frozenset[Role] = frozenset()
    stages: frozenset[Stage] = frozenset({Stage.FULL})
    public: bool = False
    during_maintenance: bool = False


def access(*roles: Role, stages: Iterable[Stage] = (Stage.FULL,)) -> Callable[[F], F]:
    """Declare which roles may call a route: `@access(Role.ADMIN, Role.AUDITOR)`."""
    policy = Policy(frozenset(roles or ALL_ROLES), frozenset(stages))

    def mark(func: F) -> F:
        setattr(func, _ATTRIBUTE, policy)
        return func

    return mark


def public(func: F) -> F:
    """Declare a route open without authentication (login, health, one-time links)."""
    setattr(func, _ATTRIBUTE, Policy(public=True))
    return func


def open_during_maintenance(func: F) -> F:
    """Keep a route open to its usual callers while maintenance is on (login, health...);
    put it above `@public` or `@access(...)`."""
    policy: Policy | None = getattr(func, _ATTRIBUTE, None)
    if policy is None:
        raise TypeError(f"{func.__name__}: declare @public or @access(...) first")
    setattr(func, _ATTRIBUTE, replace(policy, during_maintenance=True))
    return func


def policy_of(route: Any) -> Policy | None:
    """The policy declared on a route's endpoint, if any."""
    return getattr(getattr(route, "endpoint", None), _ATTRIBUTE, None)


def cookie_name(settings: ApiSettings) -> str:
    return SESSION_COOKIE if settings.session_cookie_secure else INSECURE_SESSION_COOKIE


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _check_csrf(request: Request, principal: Principal, settings: ApiSettings) -> None:
    # Cookie-authenticated writes need the session's token in a header (which a cross-site
    # form cannot set) and, when the browser names an Origin, our own origin.
    if request.method in SAFE_METHODS or principal.via != "session":
        return
    origin = request.headers.get("origin")
    if origin is not None and foreign_origin(origin, settings):
        raise Forbidden("cross-origin request refused")
    sent = request.headers.get(CSRF_HEADER, "")
    if not principal.csrf_token or not hmac.compare_digest(
        sent.encode(), principal.csrf_token.encode()
    ):
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header")


def _resolve(
    cursor: DBAPICursor,
    *,
    bearer: str | None,
    cookie: str | None,
    settings: ApiSettings,
    now: datetime,
) -> Principal | None:
    if bearer is not None:
        return resolve_api_token(cursor, token=bearer, now=now)
    if cookie is not None:
        return resolve_session(cursor, token=cookie, settings=settings, now=now)
    return None


def _refuse_during(maintenance: ActiveWindow | None) -> None:
    if maintenance is not None:
        raise maintenance.refusal()


async def authorize(request: Request, state: StateDep) -> Principal | None:
    """The one access check, run before every route (see main.create_app)."""
    settings = state.settings
    set_context(
        AuditContext(
            ip=client_ip(request, settings.trusted_proxies),
            user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        )
    )
    policy = policy_of(request.scope.get("route"))
    if policy is None:
        log.error("route without an access policy refused", extra={"path": request.url.path})
        raise Forbidden("this route declares no access policy")
    # While maintenance is on, only admins get past this point (see docs/operations.md).
    maintenance = None if policy.during_maintenance else await state.maintenance.current()
    if policy.public:
        _refuse_during(maintenance)
        return None
    bearer, cookie = _bearer(request), request.cookies.get(cookie_name(settings))
    if bearer is None and cookie is None:
        _refuse_during(maintenance)
        raise NotAuthenticated()
    # Authorization reads a snapshot: it never waits for a writer. Only the activity the
    # idle timeout counts is written, at most about once a minute per session.
    now = clock.utcnow()
    principal = await run_cursor_read(
        state.engine, _resolve, bearer=bearer, cookie=cookie, settings=settings, now=now
    )
    if principal is None:
        _refuse_during(maintenance)
        raise NotAuthenticated()
    if principal.stale_activity:
        try:
            await run_write(state.engine, record_activity, principal=principal, now=now)
        except (WritersBusy, OperationalError):
            # The read goes on; the next request of this session records the activity.
            log.info("activity not recorded: writers busy", extra={"user_id": principal.user_id})
    set_actor(principal.user_id)
    if principal.role != Role.ADMIN:
        _refuse_during(maintenance)
    _check_csrf(request, principal, settings)
    if principal.stage not in policy.stages:
        raise Forbidden("finish logging in first", detail={"stage": principal.stage.value})
    if principal.role not in policy.roles:
        raise Forbidden("your role may not do this", detail={"role": principal.role.value})
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(authorize)],
) -> Principal:
    """The authenticated caller of a non-public route."""
    if principal is None:
        raise NotAuthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
