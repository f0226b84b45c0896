"""Customer routes: staff and admins manage customers, auditors read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from vault03_api import clock
from vault03_api.auth.access import access
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import MAX_INTEGER, RowId
from vault03_api.customers import service
from vault03_api.customers.exceptions import CustomerNotFound, InvalidCustomer
from vault03_api.customers.models import Customer
from vault03_api.customers.schemas import (
    CustomerCreatedOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    DuplicateOut,
)
from vault03_api.deps import ReadSessionDep, SessionDep, SettingsDep
from vault03_api.errors import error_responses

router = APIRouter(prefix="/api/customers", tags=["customers"])

_ERRORS = (NotAuthenticated, Forbidden)
_WRITERS = (Role.ADMIN, Role.STAFF)
_READERS = (Role.ADMIN, Role.STAFF, Role.AUDITOR)


def _out(customer: Customer) -> CustomerOut:
    return CustomerOut.model_validate(customer, from_attributes=True)


@router.post(
    "",
    response_model=CustomerCreatedOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(InvalidCustomer, *_ERRORS),
)
@access(*_WRITERS)
def create_customer(
    body: CustomerIn, session: SessionDep, settings: SettingsDep
) -> CustomerCreatedOut:
    """Add a customer (the mobile number stored in E.164); `duplicates` lists existing
    customers with the same email or mobile number."""
    customer = service.create_customer(
        session,
        values=body.model_dump(),
        region=settings.phone_default_region,
        default_language=settings.language,
        now=clock.utcnow(),
    )
    duplicates = [
        DuplicateOut(id=other.id, name=other.name, matched_on=matched)
        for other, matched in service.likely_duplicates(session, customer=customer)
        if other.id is not None
    ]
    return CustomerCreatedOut(**_out(customer).model_dump(), duplicates=duplicates)


@router.get("", response_model=CustomerPage, responses=error_responses(*_ERRORS))
@access(*_READERS)
def list_customers(
    session: ReadSessionDep,
    q: Annotated[str | None, Query(max_length=200, description="Name, email or number")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    include_deleted: bool = False,
) -> CustomerPage:
    """Customers by name, searched and paged."""
    items, total = service.list_customers(
        session, query=q, limit=limit, offset=offset, include_deleted=include_deleted
    )
    return CustomerPage(items=[_out(c) for c in items], total=total, limit=limit, offset=offset)


@router.get(
    "/{customer_id}",
    response_model=CustomerOut,
    responses=error_responses(CustomerNotFound, *_ERRORS),
)
@access(*_READERS)
def get_customer(customer_id: RowId, session: ReadSessionDep) -> CustomerOut:
    return _out(service.get_customer(session, customer_id=customer_id))


@router.patch(
    "/{customer_id}",
    response_model=CustomerOut,
    responses=error_responses(CustomerNotFound, InvalidCustomer, *_ERRORS),
)
@access(*_WRITERS)
def update_customer(
    customer_id: RowId, body: CustomerPatch, session: SessionDep, settings: SettingsDep
) -> CustomerOut:
    """Change the fields sent."""
    customer = service.update_customer(
        session,
        customer_id=customer_id,
        changes=body.model_dump(exclude_unset=True),
        region=settings.phone_default_region,
        now=clock.utcnow(),
    )
    return _out(customer)


# Deleting a customer takes their vaults with them: that route is in vaults/router.py (vaults
# build on customers, never the reverse).
