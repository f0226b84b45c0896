"""Attempts in flight count against the budget, and parallel successes lock nobody out."""

from __future__ import annotations

from vault03_api.inflight import InFlight


def test_in_flight_budget_is_all_or_nothing() -> None:
    attempts = InFlight()
    assert attempts.reserve({"ip:a": 2, "account:x": 1})
    assert not attempts.reserve({"ip:a": 2, "account:x": 1})  # account budget in flight
    assert attempts.reserve({"ip:a": 2, "account:y": 1})
    assert not attempts.reserve({"ip:a": 2, "account:z": 1})  # address budget in flight
    attempts.release(["ip:a", "account:x"])
    assert attempts.reserve({"ip:a": 2, "account:x": 1})
