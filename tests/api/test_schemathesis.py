"""Schemathesis against the real API (real SQLite files, a real NATS, in-process ASGI), as
every caller: no 5xx, no status code the OpenAPI document does not declare, no response outside
its schema, no invalid request accepted, and a valid one refused only by a business rule the
route declares (400, 409, 410...), never by validation the schema does not state.

VAULT03_FUZZ_EXAMPLES bounds the generated examples per operation and caller (default 5, as in
CI); raise it locally for a deeper run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import ASGIClient

from tests.support import NatsServer
from tests.support.identity import FakeClock, Harness, make_settings
from tests.support.shares import create_share, vault_with_files
from tests.support.vaults import token_headers
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings

EXAMPLES = int(os.environ.get("VAULT03_FUZZ_EXAMPLES", "5"))
BASE_URL = "https://testserver"


@dataclass(frozen=True)
class Template:
    """A data directory with one user per role, a vault with a file and a live share."""

    root: Path
    headers: dict[str, dict[str, str]]
    token: str
    code: str


def fuzz_settings(root: Path, broker: str) -> ApiSettings:
    """Every feature on: the webhooks check their secrets instead of answering 503."""
    return make_settings(
        root,
        nats_url=broker,
        brevo_webhook_secret="brevo-webhook-secret",
        postal_webhook_secret="postal-webhook-secret",
    )


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One NATS for the module: the outbox relay publishes what the cases enqueue."""
    server = NatsServer(tmp_path_factory.mktemp("fuzz-nats"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, broker: str) -> Template:
    root = tmp_path_factory.mktemp("fuzz-template")
    settings = fuzz_settings(root, broker)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        harness = Harness(client, FakeClock())
        headers = {role: token_headers(harness, role) for role in ("admin", "staff", "auditor")}
        vault_id, _ = vault_with_files(harness, headers["staff"], {"report.pdf": b"%PDF-1.7 x"})
        shared = create_share(harness, headers["staff"], vault_id)
    return Template(root, headers, shared.token, shared.code)


@pytest.fixture
def api(template: Template, tmp_path: Path, broker: str) -> FastAPI:
    """A fresh copy of the template for each operation and caller, so what one case deletes or
    disables does not change what the next operation sees; schemathesis runs its lifespan."""
    root = tmp_path / "api"
    shutil.copytree(template.root, root)
    return create_app(fuzz_settings(root, broker))


# A valid request may meet a rule the schema cannot state (a dead link, an expiry in the past,
# a password policy); the route declares it, which the status code check holds it to.
RULES = ["2xx", "3xx", "400", "401", "403", "404", "409", "410", "413", "416", "422", "429"]
# A dead or unknown link answers 410 before anything else about the request is looked at.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "410", "413", "415", "422", "429"]
# Once a case has turned maintenance on, the next ones meet its 503 (with Retry-After, checked
# below): a refusal every route declares, not a server error.
CLOSED = "503"
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", CLOSED]},
            "positive_data_acceptance": {"expected-statuses": [*RULES, CLOSED]},
            "negative_data_rejection": {"expected-statuses": [*REFUSALS, CLOSED]},
        }
    }
)
# Nothing touches disk before the lifespan starts: the document of an app never started.
schema = schemathesis.openapi.from_dict(
    create_app(make_settings(Path("unused"))).openapi(), config=CONFIG
)


def unavailable_says_when(ctx: Any, response: Any, case: Any) -> None:
    """A 503 is maintenance or a full writer queue, and says when to come back."""
    if response.status_code == int(CLOSED):
        assert "retry-after" in response.headers, response.text


def validation_matches_schema(ctx: Any, response: Any, case: Any) -> None:
    """A request valid by the schema is refused by validation only for a validator's own rule
    (`value_error`: an email domain reserved for tests, a naive time), never for a type, a
    length or a bound the schema left out."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return
    body = response.json()
    if body.get("error") == "invalid request":
        unstated = [e for e in body["detail"] if e.get("type") != "value_error"]
        assert not unstated, f"valid by the schema, refused by validation: {unstated}"


@pytest.fixture(params=["recipient", "stranger"])
def visitor(request: pytest.FixtureRequest) -> str:
    who: str = request.param
    return who


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    # No shrinking: a failure reports the case as generated, and the run stays bounded.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=list(HealthCheck),
)


# Least privileged first: what an admin's case deletes, the others' cases of it still saw.
CALLERS = ("anonymous", "auditor", "staff", "admin")


@schema.include(path_regex="^/api/").parametrize()
@FUZZ
def test_api(case: Any, api: FastAPI, template: Template) -> None:
    """Every /api operation as nobody and as each role (one app per operation: cheaper than
    one per operation and caller, and each case still meets every role)."""
    for caller in CALLERS:
        try:
            case.call_and_validate(
                app=api,
                base_url=BASE_URL,
                headers=template.headers.get(caller),
                additional_checks=[validation_matches_schema, unavailable_says_when],
            )
        except BaseException as failure:
            failure.add_note(f"caller: {caller}")
            raise


@schema.include(path_regex="^/s/").parametrize()
@FUZZ
def test_portal(case: Any, visitor: str, api: FastAPI, template: Template) -> None:
    """The recipients' pages, with the real link and its session, and with any other token."""
    with ASGIClient(api, base_url=BASE_URL) as browser:
        if visitor == "recipient":
            case.path_parameters["token"] = template.token
            page = browser.get(f"/s/{template.token}").text
            form = re.search(r'name="form_token" value="([^"]+)"', page)
            assert form is not None, page
            entered = browser.post(
                f"/s/{template.token}/code",
                data={"code": template.code, "form_token": form.group(1)},
                allow_redirects=False,
            )
            assert entered.status_code == 303, entered.text
        case.call_and_validate(
            session=browser,
            base_url=BASE_URL,
            allow_redirects=False,
            additional_checks=[validation_matches_schema, unavailable_says_when],
        )
