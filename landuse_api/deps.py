"""Dependencies shared by the routers: the store, the settings and API-key checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from landuse.store import KeyInfo, Store
from landuse_api.errors import ApiError
from landuse_api.settings import Settings

__all__ = ["Editor", "Reader", "StoreDep", "bearer", "editor", "get_settings", "get_store",
           "reader"]

bearer = HTTPBearer(auto_error=False, description="API key made with 'landuse keys add'")


def get_store(request: Request) -> Store:
    """The store opened by :func:`api.main.create_app`."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The settings the app was made with."""
    settings: Settings = request.app.state.settings
    return settings


def _key(store: Store, creds: HTTPAuthorizationCredentials | None) -> KeyInfo | None:
    if creds is None:
        return None
    info = store.verify_key(creds.credentials)
    if info is None:
        raise ApiError(401, "Authorization: the API key is unknown or revoked. Fix: ask for a "
                       "new key ('landuse keys add').", "Authorization",
                       {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return info


def reader(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo | None:
    """Allow the read when reads are open, or when a valid key is sent."""
    info = _key(get_store(request), creds)
    if info is None and get_settings(request).read_requires_key:
        raise ApiError(401, "Authorization: this server needs an API key for reads. Fix: send "
                       "'Authorization: Bearer KEY'.", "Authorization",
                       {"WWW-Authenticate": "Bearer"})
    return info


def editor(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo:
    """Allow the write only with a valid editor key."""
    info = _key(get_store(request), creds)
    if info is None:
        raise ApiError(401, "Authorization: writes need an editor API key. Fix: send "
                       "'Authorization: Bearer KEY' (make one with 'landuse keys add --role "
                       "editor').", "Authorization", {"WWW-Authenticate": "Bearer"})
    if info.role != "editor":
        raise ApiError(403, f"Authorization: key {info.key_id} is a {info.role} key; writes "
                       "need an editor key.", "Authorization")
    return info


StoreDep = Annotated[Store, Depends(get_store)]
"""The store, as a route parameter type."""
Reader = Annotated[KeyInfo | None, Depends(reader)]
"""The caller's key on a read (None when reads are open and no key was sent)."""
Editor = Annotated[KeyInfo, Depends(editor)]
"""The caller's editor key on a write."""
