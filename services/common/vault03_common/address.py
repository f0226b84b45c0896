"""The postal address value type: where a letter goes (and how a customer's address reads)."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from vault03_common import i18n


class AddressColumns(Protocol):
    """Anything that keeps an address as columns (a customer, a share, a share's recipient)."""

    @property
    def address_line1(self) -> str | None: ...
    @property
    def address_line2(self) -> str | None: ...
    @property
    def postal_code(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...


class PostalAddress(BaseModel):
    """A recipient's postal address, as printed in an envelope window."""

    model_config = ConfigDict(frozen=True)

    name: str
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field("FR", min_length=2, max_length=2, description="ISO 3166-1 alpha-2")

    def lines(self, *, language: str = i18n.SOURCE_LANGUAGE) -> list[str]:
        """The address as printed, one line each, the country named in `language` in capitals
        (as the postal services ask for it on the last line)."""
        lines = [self.name, self.line1]
        if self.line2:
            lines.append(self.line2)
        lines.append(f"{self.postal_code} {self.city}".strip())
        lines.append(i18n.country_name(self.country, language=language).upper())
        return lines

    def label(self) -> str:
        """A short form for lists and logs (name and city)."""
        return f"{self.name}, {self.city}"

    @classmethod
    def of(cls, row: AddressColumns, *, name: str) -> PostalAddress | None:
        """The address a row keeps, when a letter can go there (line 1, postal code, city)."""
        if not (row.address_line1 and row.postal_code and row.city):
            return None
        return cls(
            name=name,
            line1=row.address_line1,
            line2=row.address_line2,
            postal_code=row.postal_code,
            city=row.city,
            country=row.country or "FR",
        )
