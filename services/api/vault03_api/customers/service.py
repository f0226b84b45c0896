"""Customers: create, read, update, search, soft delete (each change audited by the hook)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from vault03_api.customers.exceptions import CustomerNotFound, InvalidCustomer
from vault03_api.customers.models import CodeChannel, Customer
from vault03_common.address import PostalAddress


def normalise_mobile(raw: str, *, region: str | None) -> str:
    """The number in E.164 (`+33612345678`); numbers without `+` are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidCustomer("not a phone number", detail={"mobile": str(error)}) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidCustomer("not a valid phone number", detail={"mobile": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_channel(customer: Customer) -> None:
    # The preferred channel must be reachable, or access codes could not be sent.
    channel = CodeChannel(customer.preferred_channel)
    if channel is CodeChannel.SMS and not customer.mobile:
        raise InvalidCustomer("codes by SMS need a mobile number")
    if channel is CodeChannel.POSTAL and PostalAddress.of(customer, name=customer.name) is None:
        raise InvalidCustomer("codes by post need address_line1, postal_code and city")


def _clean(values: dict[str, Any], *, region: str | None) -> dict[str, Any]:
    cleaned = dict(values)
    for key, value in values.items():
        if isinstance(value, str):
            cleaned[key] = value.strip() or None
    if cleaned.get("mobile"):
        cleaned["mobile"] = normalise_mobile(cleaned["mobile"], region=region)
    if cleaned.get("country"):
        cleaned["country"] = cleaned["country"].upper()
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


def _reachable_channel(customer: Customer) -> CodeChannel:
    if customer.mobile:
        return CodeChannel.SMS
    if PostalAddress.of(customer, name=customer.name) is not None:
        return CodeChannel.POSTAL
    return CodeChannel.EMAIL


def create_customer(
    session: Session,
    *,
    values: dict[str, Any],
    region: str | None,
    default_language: str,
    now: datetime,
) -> Customer:
    """A new customer from validated fields (the mobile number normalised to E.164); with no
    preferred channel named, the first the customer can be reached on: sms, postal, email;
    with no language named, the office's (`default_language`)."""
    cleaned = _clean(values, region=region)
    cleaned["language"] = cleaned.get("language") or default_language
    channel = cleaned.pop("preferred_channel", None)
    customer = Customer(**cleaned, created_at=now, updated_at=now)
    customer.preferred_channel = CodeChannel(channel or _reachable_channel(customer)).value
    _check_channel(customer)
    session.add(customer)
    session.flush()
    return customer


def likely_duplicates(session: Session, *, customer: Customer) -> list[tuple[Customer, list[str]]]:
    """Other live customers with the same email or mobile number, and which of them matched."""
    same = [col(Customer.email) == customer.email]
    if customer.mobile:
        same.append(col(Customer.mobile) == customer.mobile)
    statement = (
        select(Customer)
        .where(or_(*same), col(Customer.id) != customer.id, col(Customer.deleted_at).is_(None))
        .order_by(col(Customer.id))
    )
    return [
        (
            other,
            [
                name
                for name in ("email", "mobile")
                if getattr(other, name) == getattr(customer, name)
            ],
        )
        for other in session.exec(statement).all()
    ]


def get_customer(session: Session, *, customer_id: int, include_deleted: bool = False) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or (customer.deleted_at is not None and not include_deleted):
        raise CustomerNotFound(customer_id)
    return customer


def update_customer(
    session: Session,
    *,
    customer_id: int,
    changes: dict[str, Any],
    region: str | None,
    now: datetime,
) -> Customer:
    """Apply the fields sent (already validated); required fields cannot be cleared."""
    customer = get_customer(session, customer_id=customer_id)
    for key, value in _clean(changes, region=region).items():
        if value is None and key in {"name", "email", "preferred_channel", "language"}:
            raise InvalidCustomer(f"{key} cannot be empty")
        setattr(customer, key, value)
    _check_channel(customer)
    customer.updated_at = now
    session.add(customer)
    session.flush()
    return customer


def list_customers(
    session: Session,
    *,
    query: str | None,
    limit: int,
    offset: int,
    include_deleted: bool = False,
) -> tuple[list[Customer], int]:
    """A page of customers by name, and the total matching; `query` searches name, email and
    mobile number."""
    statement = select(Customer)
    if not include_deleted:
        statement = statement.where(col(Customer.deleted_at).is_(None))
    if query:
        pattern = f"%{query.strip().lower()}%"
        digits = "".join(ch for ch in query if ch.isdigit())
        conditions = [
            func.lower(Customer.name).like(pattern),
            func.lower(Customer.email).like(pattern),
        ]
        if digits:
            conditions.append(col(Customer.mobile).like(f"%{digits}%"))
        statement = statement.where(or_(*conditions))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    page = session.exec(
        statement.order_by(func.lower(Customer.name), col(Customer.id)).limit(limit).offset(offset)
    ).all()
    return list(page), total


def delete_customer(session: Session, *, customer_id: int, now: datetime) -> Customer:
    """Soft delete (their vaults go with them: see vaults.service.delete_customer)."""
    customer = get_customer(session, customer_id=customer_id)
    customer.deleted_at = now
    customer.updated_at = now
    session.add(customer)
    return customer
