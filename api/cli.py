"""The `courtcast` command: serve, migrate, tokens, keys, verification and e-dossier packages."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from api import log_redaction
from api.settings import Settings
from court.principals import PLACES, ROLES, SCREEN_VISIBILITIES, issue_token
from storage.db import Database
from storage.keyring import KeyMaterialError, KeyRing
from storage.models import Token

SETTING_FLAGS = (
    ("--host", "host"),
    ("--port", "port"),
    ("--data-dir", "data_dir"),
    ("--database-url", "database_url"),
    ("--s3-endpoint", "s3_endpoint"),
    ("--s3-access-key", "s3_access_key"),
    ("--s3-secret-key", "s3_secret_key"),
    ("--s3-bucket", "s3_bucket"),
    ("--s3-secure", "s3_secure"),
    ("--admin-token", "admin_token"),
    ("--node-id", "node_id"),
    ("--public-url", "public_url"),
)
SERVE_FLAGS = (("--workers", "workers"), ("--worker-port", "worker_port"))

GRACEFUL_SHUTDOWN_S = 3
STARTUP_FAILURE = 3  # uvicorn's exit code when the app did not start (a refused node, say)


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment variables, overridden by any flag given on the command line."""
    overrides: dict[str, Any] = {
        field: getattr(args, field)
        for _, field in SETTING_FLAGS + SERVE_FLAGS
        if getattr(args, field, None) is not None
    }
    return Settings(**overrides)


def serve(settings: Settings) -> int:
    from api.workers import adopt_stray_spools, supervise, worker_sockets

    log_redaction.install()  # before the app exists, so no line escapes the redaction
    if settings.workers > 1:
        return supervise(settings)
    sockets = None
    if settings.worker is None:  # what a run with worker processes left spooled goes on here
        adopt_stray_spools(settings.resolved_data_dir, [settings.spool_dir])
    else:  # bound before the app is imported: a worker that cannot listen says so at once
        sockets, settings = worker_sockets(settings)
    import uvicorn

    from api.app import create_app

    # uvicorn re-raises the signal it stopped on once it has shut down cleanly, which would make
    # a clean SIGTERM look like a crash (exit -15) to a supervisor: that last one is ignored.
    signal.signal(signal.SIGTERM, _stopped_cleanly)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            loop="uvloop" if sys.platform != "win32" else "asyncio",
            log_level="info",
            log_config=None,  # its loggers keep no handlers and reach the redacting one
            # A request still running this long after SIGTERM is cancelled: websockets are
            # closed at once (1012) and recordings are finished by the lifespan's shutdown.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            ws_max_size=64 * 1024,  # clients send the events socket one short auth message
            # X-Forwarded-For is believed only from the proxies named (uvicorn would trust it
            # from 127.0.0.1): the client address is what access-code and WebRTC limits count.
            proxy_headers=bool(settings.trusted_proxies.strip()),
            forwarded_allow_ips=settings.trusted_proxies.strip() or None,
        )
    )
    # Everything imported by now lives as long as the process: out of the collector's sight, a
    # full collection no longer walks it. A 4-hour playlist's 7,200 entries used to set off
    # collections that took 100 of the 140 ms its entries were built in (bench.seek).
    gc.freeze()
    server.run(sockets=sockets)
    return 0 if server.started else STARTUP_FAILURE


def _stopped_cleanly(signum: int, frame: object) -> None:
    """SIGTERM after uvicorn's own handler is gone: it has already shut down in order."""


async def migrate(settings: Settings) -> None:
    db = Database(settings.index_url)
    try:
        await db.migrate()
    finally:
        await db.close()


def token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "courtroom_ids": token.courtroom_ids,
        "camera": token.camera,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


async def token_command(settings: Settings, args: argparse.Namespace) -> int:
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.index_url)
    try:
        await db.migrate()
        async with db.session() as session:
            if args.token_action == "create":
                try:
                    token, secret = await issue_token(
                        session,
                        role=args.role,
                        name=args.name,
                        courtroom_ids=args.courtroom or [],
                        camera=args.camera,
                        expires_at=datetime.fromisoformat(args.expires_at)
                        if args.expires_at
                        else None,
                        place=args.place,
                        visibilities=args.visibility,
                    )
                except ValueError as error:
                    print(f"courtcast: {error}", file=sys.stderr)
                    return 2
                print(json.dumps({**token_json(token), "token": secret}, ensure_ascii=False))
            elif args.token_action == "list":
                for token in await session.scalars(select(Token).order_by(Token.created_at)):
                    print(json.dumps(token_json(token), ensure_ascii=False))
            else:
                found = await session.get(Token, args.id)
                if found is None:
                    print(f"no token {args.id}", file=sys.stderr)
                    return 1
                found.revoked_at = found.revoked_at or datetime.now(UTC)
                await session.commit()
                print(json.dumps(token_json(found), ensure_ascii=False))
    finally:
        await db.close()
    return 0


def keys_command(settings: Settings, args: argparse.Namespace) -> int:
    """Print the public keys (to hand to whoever checks a package), or start a new key."""
    ring = KeyRing.open(settings.resolved_data_dir)
    if args.keys_action == "rotate":
        entry = ring.rotate()
        print(f"# new signing key {entry.id}; earlier keys stay valid for what they signed")
        print(entry.pem, end="")
        return 0
    current = ring.current_id
    for entry in ring.keys if args.all else [e for e in ring.keys if e.id == current]:
        state = (
            "current" if entry.id == current else f"retired {entry.retired_at:%Y-%m-%dT%H:%M:%SZ}"
        )
        print(
            f"# key id {entry.id} (Ed25519, since {entry.created_at:%Y-%m-%dT%H:%M:%SZ}, {state})"
        )
        print(entry.pem, end="")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="courtcast", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser(
        "serve", help="run the API, WHIP ingest and recorder (--workers N: N processes)"
    )
    migrate_cmd = commands.add_parser(
        "migrate", help="bring the index schema to the latest version"
    )
    token_cmd = commands.add_parser("token", help="create, list or revoke API tokens")
    verify_cmd = commands.add_parser(
        "verify", help="check a recording's stored segments against its signed manifest"
    )
    verify_cmd.add_argument("recording", help="recording id")
    audit_cmd = commands.add_parser(
        "audit", help="check the audit log's keyed chain and its signed checkpoints"
    )
    audit_cmd.add_argument("audit_action", choices=["verify"])
    keys_cmd = commands.add_parser("keys", help="show the public keys, or rotate the signing key")
    keys_cmd.add_argument("keys_action", choices=["show", "rotate"])
    keys_cmd.add_argument("--all", action="store_true", help="show: earlier keys too")
    package_cmd = commands.add_parser(
        "package", help="write a hearing's e-dossier package (电子卷宗) into a directory"
    )
    package_cmd.add_argument("hearing", help="hearing id")
    package_cmd.add_argument("directory", help="where to write it (must not exist yet)")
    drain_cmd = commands.add_parser(
        "drain", help="hand a node's courtrooms to the other nodes (before stopping it)"
    )
    drain_cmd.add_argument("--node", help="the node id (default: this data dir's node)")
    drain_cmd.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for the hand-over"
    )
    check_cmd = commands.add_parser(
        "verify-package",
        help="check a package offline with the court's public key (no server or settings)",
    )
    check_cmd.add_argument("directory", help="the unpacked package (or its .zip)")
    check_cmd.add_argument(
        "--public-key", required=True, help="PEM file with the court's public key(s)"
    )
    for command in (
        serve_cmd,
        migrate_cmd,
        token_cmd,
        verify_cmd,
        audit_cmd,
        keys_cmd,
        package_cmd,
        drain_cmd,
    ):
        for flag, field in SETTING_FLAGS:
            if field == "port":
                command.add_argument(flag, dest=field, type=int)
            elif field == "s3_secure":
                command.add_argument(flag, dest=field, action="store_const", const=True)
            else:
                command.add_argument(flag, dest=field)
    serve_cmd.add_argument(
        "--workers", dest="workers", help="worker processes, one per core: a number or auto"
    )
    serve_cmd.add_argument(
        "--worker-port", dest="worker_port", type=int, help="first worker's private port"
    )
    actions = token_cmd.add_subparsers(dest="token_action", required=True)
    create = actions.add_parser("create", help="print a new token's secret (shown once)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True)
    create.add_argument("--courtroom", action="append", help="limit to a courtroom id (repeatable)")
    create.add_argument("--camera", help="camera tokens: the one camera it may publish")
    create.add_argument("--place", choices=PLACES, help="screen tokens: where the screen is")
    create.add_argument(
        "--visibility",
        action="append",
        choices=sorted(SCREEN_VISIBILITIES),
        help="screen tokens: hearings it may show (repeatable)",
    )
    create.add_argument(
        "--expires-at", help="ISO 8601 time with zone, e.g. 2027-01-01T00:00:00+08:00"
    )
    actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "verify-package":
        from storage.evidence_verifier import verify_package_main

        return verify_package_main([args.directory, "--public-key", args.public_key])
    settings = settings_from(args)
    try:
        return run(args, settings)
    except KeyMaterialError as error:
        print(f"courtcast: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, settings: Settings) -> int:
    """One subcommand with its settings; key problems surface as KeyMaterialError."""
    if args.command == "serve":
        return serve(settings)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        return 0
    if args.command == "verify":
        from api.verify import verify_recording

        return asyncio.run(verify_recording(settings, args.recording))
    if args.command == "audit":
        from api.audit_verify import verify_audit_log

        return asyncio.run(verify_audit_log(settings))
    if args.command == "keys":
        return keys_command(settings, args)
    if args.command == "drain":
        from api.drain_command import drain_node

        return asyncio.run(drain_node(settings, args.node, args.wait))
    if args.command == "package":
        from api.dossier_command import package_hearing

        return asyncio.run(package_hearing(settings, args.hearing, args.directory))
    return asyncio.run(token_command(settings, args))


if __name__ == "__main__":
    sys.exit(main())
