"""``landuse keys``: make, list and revoke API keys of a store."""

from __future__ import annotations

import click

from landuse.cli._common import handle_errors, store_options
from landuse.store import Store

__all__ = ["keys"]



def _open(store_path: str | None, database: str | None) -> Store:
    from landuse.store import open_store

    return open_store(database or store_path or "park.gpkg")


@click.group()
def keys() -> None:
    """API keys (stored hashed with scrypt; a key is shown once, when made)."""


@keys.command("add")
@click.option("--role", type=click.Choice(["editor", "viewer"]), required=True)
@click.option("--label", default="", help="Who or what the key is for.")
@store_options
@handle_errors
def add(role: str, label: str, store_path: str | None, database: str | None) -> None:
    """Make a key; it is printed once, as the last word of the output.

    \b
    Example:
      landuse keys add --role editor --label "GIS office" --store park.gpkg
    """
    with _open(store_path, database) as store:
        key = store.add_key(role, label)
    click.echo(f"新密钥 new {role} key (保存好, shown only once): {key}")


@keys.command("list")
@store_options
@handle_errors
def list_(store_path: str | None, database: str | None) -> None:
    """List keys (ids, roles, labels; never the secrets)."""
    with _open(store_path, database) as store:
        for k in store.list_keys():
            state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
            click.echo(f"{k.key_id}\t{k.role}\t{state}\t{k.label}")


@keys.command("revoke")
@click.argument("key_id")
@store_options
@handle_errors
def revoke(key_id: str, store_path: str | None, database: str | None) -> None:
    """Revoke a key by its id (the part after 'lu_'; the key itself also works)."""
    if key_id.startswith("lu_"):
        key_id = key_id.split("_")[1]
    with _open(store_path, database) as store:
        store.revoke_key(key_id)
    click.echo(f"已吊销 revoked key {key_id}")
