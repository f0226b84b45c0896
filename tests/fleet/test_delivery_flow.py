"""The whole fleet as real processes: a delivery per channel lands in its sink and comes back
as `sent`; with NATS down, health says so and deliveries wait; after, each goes out once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import NatsServer, wait_for
from tests.support.fleet import Fleet, running_fleet

pytestmark = pytest.mark.fleet

ADDRESS = {
    "name": "Jeanne Martin",
    "line1": "12 rue des Lilas",
    "postal_code": "69003",
    "city": "Lyon",
}


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    with running_fleet(tmp_path, nats_url=nats_server.url) as running:
        yield running


def _send_one_per_channel(fleet: Fleet) -> dict[str, str]:
    return {
        "email": fleet.send_test("email", "--to", "client@example.com"),
        "sms": fleet.send_test("sms", "--to", "+33 6 12 34 56 78"),  # as people write it
        "postal": fleet.send_test("postal", "--address", json.dumps(ADDRESS)),
        "telegram": fleet.send_test("telegram"),
    }


def _sink_ids(fleet: Fleet) -> dict[str, list[str]]:
    """Delivery ids found in each sink, duplicates kept."""

    def lines(name: str) -> list[str]:
        path = fleet.outbox / name
        if not path.exists():
            return []
        return [json.loads(line)["delivery_id"] for line in path.read_text().splitlines()]

    return {
        "email": [p.stem for p in (fleet.outbox / "email").glob("*.eml")],
        "sms": lines("sms.jsonl"),
        "postal": [p.stem for p in (fleet.outbox / "postal").glob("*.pdf")],
        "telegram": lines("telegram.jsonl"),
    }


def _all_sent(fleet: Fleet, ids: dict[str, str]) -> bool:
    statuses = fleet.statuses()
    return all(statuses.get(delivery_id) == "sent" for delivery_id in ids.values())


def test_each_channel_delivers_to_its_sink_and_reports_sent(fleet: Fleet) -> None:
    ids = _send_one_per_channel(fleet)
    wait_for(lambda: _all_sent(fleet, ids), timeout=60, what="all four sent")
    sinks = _sink_ids(fleet)
    for channel, delivery_id in ids.items():
        assert sinks[channel] == [delivery_id], channel
    texts = (fleet.outbox / "sms.jsonl").read_text().splitlines()
    assert json.loads(texts[0])["to"] == "+33612345678"
    eml = (fleet.outbox / "email" / f"{ids['email']}.eml").read_text()
    assert "To: client@example.com" in eml
    assert (fleet.outbox / "postal" / f"{ids['postal']}.pdf").read_bytes().startswith(b"%PDF")


def test_send_test_refuses_what_it_cannot_send_in_words(fleet: Fleet) -> None:
    for channel, args, problem in [
        ("sms", ("--to", "12"), "not a valid phone number"),
        ("postal", ("--address", '{"name": "Jeanne"}'), "line1: Field required"),
        ("postal", ("--address", "12 rue des Lilas"), "Invalid JSON"),
    ]:
        with pytest.raises(subprocess.CalledProcessError) as refused:
            fleet.send_test(channel, *args)
        assert refused.value.returncode == 2
        assert problem in refused.value.stderr and "Traceback" not in refused.value.stderr
    assert fleet.statuses() == {}


def test_nats_outage_is_reported_and_loses_nothing(fleet: Fleet, nats_server: NatsServer) -> None:
    """Also: a NATS restart is one warning per process, not an ERROR per reconnect attempt."""
    first = _send_one_per_channel(fleet)
    wait_for(lambda: _all_sent(fleet, first), timeout=60, what="first round sent")

    nats_server.stop()
    response = wait_for(
        lambda: (r := fleet.health()).status_code == 503 and r,
        timeout=30,
        what="health reports NATS",
    )
    assert response.json()["failing"] == ["nats"]
    during = _send_one_per_channel(fleet)
    statuses = fleet.statuses()
    assert {statuses[d] for d in during.values()} == {"queued"}

    nats_server.start()
    wait_for(lambda: _all_sent(fleet, during), timeout=90, what="queued deliveries sent")
    wait_for(lambda: fleet.health().status_code == 200, timeout=30, what="health recovers")
    sinks = _sink_ids(fleet)
    for channel in first:  # each delivery exactly once, none lost, none doubled
        assert sorted(sinks[channel]) == sorted([first[channel], during[channel]]), channel
    assert fleet.log_lines("ERROR") == {}
    warned = fleet.log_lines("WARNING")
    assert {name for name in fleet.processes if "NATS disconnected" in warned.get(name, [])} == set(
        fleet.processes
    )
