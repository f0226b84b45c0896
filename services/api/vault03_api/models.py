"""Every table of the API, imported here so that the metadata (and alembic) sees them all."""

from vault03_api.deliveries.models import Delivery

__all__ = ["Delivery"]
