"""The `audit_logs` table and the mixin that makes a table audited."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal, get_args

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from vault03_api.timestamps import utc_field

# Every kind of thing the audit log names (the audited tables, and what `record_event` and the
# webhooks log without a row change), and every event it labels an entry with. The API's
# OpenAPI document carries both lists as enums, and the console has words for each
# (ui/src/activity.test.ts reads them there); mypy holds every writer to this list.
AuditEntity = Literal[
    "api_tokens",
    "customers",
    "deliveries",
    "files",
    "key_rotations",
    "maintenance_windows",
    "master_keys",
    "portal_sessions",
    "recovery_codes",
    "sessions",
    "share_access",
    "share_files",
    "share_reminders",
    "shares",
    "user_tokens",
    "users",
    "vaults",
]
AuditEvent = Literal[
    # staff sign-in and accounts
    "login_failed",
    "totp_failed",
    "totp_replay",
    "login_step_done",
    "logout",
    "password_rehashed",
    "password_changed",
    "password_check_failed",
    "recovery_code_used",
    "recovery_code_failed",
    "totp_enrolled",
    "invitation",  # a password set through an invitation link
    "password_reset",  # a password set through a reset link
    "two_factor_reset",
    "password_reset_forced",
    # files
    "read",
    "version_restored",
    "integrity_failure",
    # shares
    "revoked",
    "extended",
    "code_resent",
    "link_resent",
    "reissued",
    "reminder_sent",
    "expiry_warning_sent",
    # deliveries, as their providers report them
    "brevo_webhook",
    "postal_webhook",
]
AUDIT_ENTITIES: tuple[str, ...] = get_args(AuditEntity)
AUDIT_EVENTS: tuple[str, ...] = get_args(AuditEvent)


class Audited:
    """Mix into a SQLModel table: each insert ('c'), update ('u') and delete ('d') is logged.

    `__audit_exclude__` names columns whose changes alone are not worth an entry (e.g. a
    last-seen time); `__audit_redact__` names columns logged only as "[redacted]".
    """

    __audit_exclude__: ClassVar[frozenset[str]] = frozenset()
    __audit_redact__: ClassVar[frozenset[str]] = frozenset()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_logs"

    # Chain order; assigned by the recorder inside the write transaction, never reused.
    id: int = Field(primary_key=True)
    entity_type: str = Field(index=True)
    entity_id: str | None = Field(default=None, index=True)
    action: str = Field(max_length=1, description="c, u, d, or r (a read of file contents)")
    changed_by: int | None = Field(default=None, index=True)
    changed_at: datetime = utc_field(index=True)
    old_values: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_values: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    event: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    prev_hash: str
    hash: str = Field(unique=True)
