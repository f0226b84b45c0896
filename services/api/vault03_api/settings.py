"""API settings: `VAULT03_API_*` environment variables over `config.yaml` over defaults."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from vault03_common import i18n
from vault03_common.messages import Office
from vault03_common.settings import ServiceSettings

DEVELOPMENT_OFFICE = Office(
    name="VAULT03 development office",
    email="office@localhost",
    address=("1 Example Street", "00000 Nowhere"),
)
"""The identity a development run without office settings uses (`make run`, tests)."""

CONFIG_ENV = "VAULT03_CONFIG"


class ApiSettings(ServiceSettings):
    """Every API setting; the README's configuration reference lists them."""

    model_config = SettingsConfigDict(
        env_prefix="VAULT03_API_", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    """Address the API listens on."""
    port: int = 8041
    """Port the API listens on."""
    public_url: str = "http://127.0.0.1:8041"
    """Base URL users reach VAULT03 at (links in messages start with it)."""
    ui_dir: Path | None = None
    """The built staff console (ui/dist) the API serves at /; unset in compose (nginx serves it)."""
    data_dir: Path = Path("var/data")
    """The database `data.db` and the encrypted `files/`; only the API reads it."""
    keys_dir: Path = Path("var/keys")
    """The master key ring; outside the data directory and every backup."""
    backup_dir: Path = Path("var/backup")
    """The backup root: local backups (db/, archives), pre-migration copies, success markers."""
    backup_keep_databases: int = 30
    """How many database copies `vault03 backup` keeps in <backup_dir>/db."""
    backup_keep_archives: int = 10
    """How many full archives (files and config) `vault03 backup` keeps."""
    client_header_timeout_seconds: float = Field(60.0, gt=0)
    """A connection whose request headers are not all in this long after it opened (or after
    the previous response) is closed."""
    client_body_timeout_seconds: float = Field(60.0, gt=0)
    """An upload from which nothing arrives for this long is aborted (its partial file removed)."""
    send_timeout_seconds: float = Field(60.0, gt=0)
    """A client that takes nothing of a response for this long is disconnected."""
    disk_usage_max_percent: float = 90.0
    """Health turns degraded when the data disk is fuller than this."""
    nats_grace_seconds: float = 30.0
    """Health turns degraded when NATS has been unreachable this long."""
    outbox_poll_seconds: float = 1.0
    """How often the outbox relay looks for queued deliveries without a wake-up."""
    outbox_batch_size: int = 100
    """Deliveries the relay publishes per round."""
    maintenance_check_seconds: float = Field(1.0, ge=0)
    """How stale the API's view of maintenance switched on or off elsewhere may be (seconds)."""

    # The office (docs/office.md): who every message and portal page says it comes from.
    office_name: str = ""
    """The office's name on every email, SMS, letter and portal page (required in production)."""
    office_email: str | None = None
    """The office's contact email, shown in signatures and on portal pages."""
    office_phone: str | None = None
    """The office's contact phone, shown in signatures and on portal pages."""
    office_address: list[str] = []
    """The return address printed on letters, one line each (required in production)."""
    office_logo_url: str | None = None
    """An HTTPS URL of the office's logo, shown at the top of emails (none when unset)."""
    time_zone: i18n.TimeZone = "UTC"
    """The office's time zone (IANA name, e.g. Europe/Paris): times in messages and pages."""
    language: i18n.Language = "en"
    """The office's default language (en, fr, de): staff messages, and customers' unless set."""

    # Identity (docs/identity.md).
    session_idle_minutes: int = Field(30, ge=1)
    """A staff session ends after this long without a request."""
    session_absolute_hours: int = Field(12, ge=1)
    """A staff session ends this long after login, whatever its activity."""
    pending_login_minutes: int = Field(5, ge=1)
    """Time allowed between the password and the second factor."""
    session_cookie_secure: bool = True
    """Secure session cookie; false only for plain-HTTP local runs (refused in production)."""
    totp_required_roles: list[str] = ["admin", "staff", "auditor"]
    """Roles that must enrol TOTP (admins always must)."""
    trusted_proxies: list[str] = []
    """Reverse proxies whose X-Forwarded-For is believed, as CIDRs (empty: loopback only)."""
    login_account_max_failures: int = Field(5, ge=1)
    """Failed logins on one account within the window before it is locked."""
    login_ip_max_failures: int = Field(20, ge=1)
    """Failed logins from one client address within the window before it is locked out."""
    login_failure_window_minutes: int = Field(15, ge=1)
    """The window over which failed logins are counted."""
    login_lockout_minutes: int = Field(15, ge=1)
    """How long a lockout lasts before it is released."""
    argon2_memory_kib: int = Field(19456, ge=19456)
    """argon2id memory cost in KiB (19 MiB at least)."""
    argon2_time_cost: int = Field(2, ge=2)
    """argon2id iterations (2 at least)."""
    argon2_parallelism: int = Field(1, ge=1)
    """argon2id lanes."""
    argon2_threads: int = Field(0, ge=0)
    """Threads that hash passwords (0: one per CPU), at a lower priority than the event loop."""
    password_min_length: int = Field(12, ge=8)
    """Shortest password accepted."""
    invitation_valid_hours: int = Field(72, ge=1)
    """How long a staff invitation link stays valid."""
    password_reset_valid_minutes: int = Field(60, ge=5)
    """How long a password reset link stays valid."""
    api_token_max_days: int = Field(365, ge=1)
    """Longest lifetime of a personal API token."""

    # Customers, vaults and files (docs/files.md).
    phone_default_region: str | None = "FR"
    """Region for mobile numbers written without +country code."""
    max_file_bytes: int = Field(5 << 30, ge=1)
    """Largest file accepted (413 above); nginx's client_max_body_size is this plus 1 MiB."""
    vault_retention_days: int = Field(30, ge=0)
    """Days a deleted vault or file is kept before its blobs are purged."""
    purge_interval_minutes: int = Field(60, ge=1)
    """How often the API's housekeeping runs: it purges blobs whose retention has passed and
    dead sessions, and sends the share reminders that are due."""

    # Shares and the customer portal (docs/shares.md).
    share_default_days: int = Field(14, ge=1)
    """Days a new share stays open when its creator names no expiry."""
    postal_delivery_days: int = Field(5, ge=0)
    """Days a code letter takes to arrive; a share whose code goes by post gets them on top of
    share_default_days (counted from the letter's expected arrival)."""
    share_max_days: int = Field(90, ge=1)
    """Longest a share may stay open, counted from its creation or extension."""
    share_code_max_failures: int = Field(5, ge=1)
    """Wrong access codes a link accepts before it locks."""
    share_lock_minutes: int = Field(30, ge=1)
    """How long a link stays locked after too many wrong codes."""
    share_max_uploads: int = Field(100, ge=1)
    """Documents a recipient may send back through one share (403 past it)."""
    share_reminder_after_days: int = Field(3, ge=0)
    """Days after its link was sent (or its code letter arrived) that the recipient of a share
    not yet opened, or of a file request not yet answered, is reminded, and again as long after
    each reminder; 0: no reminders."""
    share_reminder_max_count: int = Field(2, ge=0)
    """Most reminders one share sends its recipient; 0: none."""
    share_expiry_warning_days: int = Field(2, ge=0)
    """Days before a share still waiting for its recipient expires that its creator is told
    (with a link to the share in the console); 0: no warning."""
    portal_session_idle_minutes: int = Field(15, ge=1)
    """A recipient's portal session ends after this long without a request."""
    portal_session_minutes: int = Field(60, ge=1)
    """A recipient's portal session ends this long after the code was entered."""

    # Provider webhooks (docs/providers.md).
    brevo_webhook_secret: SecretStr | None = None
    """Shared secret Brevo sends to /api/webhooks/brevo; unset: that webhook answers 503."""
    postal_webhook_secret: SecretStr | None = None
    """Shared secret the print-and-mail provider sends to /api/webhooks/postal."""

    @property
    def office(self) -> Office:
        """The office's identity as messages carry it (the development one when unset)."""
        where = {"language": self.language, "time_zone": self.time_zone}
        if not self.office_name:
            return DEVELOPMENT_OFFICE.model_copy(update=where)
        return Office(
            name=self.office_name,
            email=self.office_email,
            phone=self.office_phone,
            address=tuple(self.office_address),
            logo_url=self.office_logo_url,
            **where,
        )

    def shown_time(self, value: datetime, *, language: str | None = None) -> str:
        """A moment as people read it: in the office's time zone, written as `language` (the
        office's by default) writes it, the zone named."""
        return i18n.moment(value, language=language or self.language, time_zone=self.time_zone)

    def gettext(self, message: str, *, language: str | None = None, **values: Any) -> str:
        """`message` in `language` (the office's by default), `%(name)s` filled from `values`."""
        translated = i18n.translations(language or self.language).gettext(message)
        return translated % values if values else translated

    @model_validator(mode="after")
    def _secure_cookie_outside_development(self) -> ApiSettings:
        if self.environment == "production" and not self.session_cookie_secure:
            raise ValueError("session_cookie_secure may be false only in development")
        return self

    @model_validator(mode="after")
    def _office_named_in_production(self) -> ApiSettings:
        if self.environment == "production":
            missing = [
                name for name in ("office_name", "office_address") if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"{' and '.join(missing)} must be set in production: every message names "
                    "the office and no letter goes out without its return address"
                )
        return self

    @property
    def database_path(self) -> Path:
        return self.data_dir / "data.db"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def config_file(self) -> Path | None:
        """The config.yaml this process read (`VAULT03_CONFIG`), if any."""
        path = os.environ.get(CONFIG_ENV)
        return Path(path) if path else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get(CONFIG_ENV)
        if config_path:
            if not Path(config_path).is_file():
                raise FileNotFoundError(
                    f"{CONFIG_ENV} points to {config_path}, which is not a file"
                )
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_path))
        return (*sources, file_secret_settings)
