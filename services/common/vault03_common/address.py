"""The postal address value type: where a letter goes (and how a customer's address reads)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PostalAddress(BaseModel):
    """A recipient's postal address, as printed in an envelope window."""

    model_config = ConfigDict(frozen=True)

    name: str
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field("FR", min_length=2, max_length=2, description="ISO 3166-1 alpha-2")

    def lines(self) -> list[str]:
        """The address as printed, one line each."""
        lines = [self.name, self.line1]
        if self.line2:
            lines.append(self.line2)
        lines.append(f"{self.postal_code} {self.city}".strip())
        lines.append(self.country)
        return lines

    def label(self) -> str:
        """A short form for lists and logs (name and city)."""
        return f"{self.name}, {self.city}"
