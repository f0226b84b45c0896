"""Errors of the customers domain."""

from __future__ import annotations

from vault03_api.errors import AppError, NotFound


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} not found")


class InvalidCustomer(AppError):
    """A customer that would be unusable: a bad phone number, a channel without its address."""

    status_code = 422
