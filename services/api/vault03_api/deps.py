"""Dependencies shared by the routers, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from vault03_api.db import read_only_session, session_scope
from vault03_api.settings import ApiSettings
from vault03_api.state import AppState


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on the
# thread pool, a thread hop per request for a dictionary lookup.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.vault03
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """The request's write session, in the writer queue: committed before the response is
    sent (a 2xx means stored)."""
    with session_scope(state.engine) as session:
        yield session


async def get_read_session(state: StateDep) -> AsyncIterator[Session]:
    """The request's read session: a snapshot that neither waits for nor holds the write lock.
    Begun and ended on the event loop (as `transactions.run_read`): as a plain `def` each
    would be a thread hop of its own."""
    with read_only_session(state.engine) as session:
        yield session


async def get_settings(state: StateDep) -> ApiSettings:
    return state.settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
