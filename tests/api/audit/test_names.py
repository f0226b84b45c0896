"""The audit log's lists of kinds and events are complete and published: every audited table is
among the kinds, the filters take only listed names, and the OpenAPI document carries both lists
(the console's test holds its words to them)."""

from __future__ import annotations

from collections.abc import Iterator

import vault03_api.main  # noqa: F401  (imports every table)
from tests.support.identity import Harness
from vault03_api.audit.models import AUDIT_ENTITIES, AUDIT_EVENTS, Audited


def _audited(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _audited(sub)


def test_every_audited_table_is_a_listed_kind() -> None:
    tables = {
        getattr(model, "__tablename__", None)
        for model in _audited(Audited)
        if model.__module__.startswith("vault03_api.")  # not the tests' own tables
    }
    assert tables <= set(AUDIT_ENTITIES), tables - set(AUDIT_ENTITIES)


def test_the_filters_take_listed_names_only_and_publish_them(harness: Harness) -> None:
    harness.create_user("admin@example.org", role="admin")
    harness.login("admin@example.org")
    listed = harness.client.get("/api/audit", params={"event": "reminder_sent"})
    assert listed.status_code == 200
    unknown = harness.client.get("/api/audit", params={"event": "reminded"})
    assert unknown.status_code == 422 and "reminder_sent" in unknown.text
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in harness.client.get("/openapi.json").json()["paths"]["/api/audit"]["get"][
            "parameters"
        ]
    }

    def enum(schema: dict[str, object]) -> list[str]:
        for option in schema.get("anyOf", [schema]):  # type: ignore[attr-defined]
            if "enum" in option:
                return list(option["enum"])
        return []

    assert enum(parameters["event"]) == list(AUDIT_EVENTS)
    assert enum(parameters["entity_type"]) == list(AUDIT_ENTITIES)
