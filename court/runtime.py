"""Everything one Courtcast process owns, built from the settings and closed in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from api.access_codes import AccessCodeDesk
from api.settings import Settings
from court.control_room import ControlRoom
from court.live.broadcasts import BroadcastDesk
from court.live.guard import LiveGuard
from court.live.signed_urls import UrlSigner
from court.live.viewers import ViewerRegistry
from court.monitoring.alarms import AlarmBoard
from court.monitoring.watchdog import Watchdog
from storage.audit import AuditLog
from storage.audit_checkpoints import CheckpointWriter
from storage.db import Database
from storage.keyring import KeyMaterialError, KeyRing, is_new_data_dir, open_installation
from storage.models import Recording
from storage.objects import ObjectStore
from storage.stores import open_object_store
from streaming.ice import install_host_addresses


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: ObjectStore
    signer: UrlSigner
    control_room: ControlRoom
    viewers: ViewerRegistry
    broadcasts: BroadcastDesk
    alarms: AlarmBoard
    watchdog: Watchdog
    live_guard: LiveGuard
    access_codes: AccessCodeDesk
    keyring: KeyRing
    audit: AuditLog
    audit_checkpoints: CheckpointWriter

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        data_dir = settings.resolved_data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        install_host_addresses(settings.ice_address_list)
        db = Database(settings.index_url)
        await db.migrate()
        keyring, secret = await _installation_keys(data_dir, db)
        store = open_store(settings)
        ensure_bucket = getattr(store, "ensure_bucket", None)
        if ensure_bucket is not None:
            await ensure_bucket()
        control_room = ControlRoom(
            db=db,
            store=store,
            keyring=keyring,
            spool_dir=settings.spool_dir,
            segment_s=settings.segment_seconds,
            fragment_s=settings.fragment_seconds,
            spool_max_bytes=settings.spool_max_bytes,
        )
        await control_room.start()
        alarms = AlarmBoard()
        watchdog = Watchdog(control_room, alarms)
        watchdog.start()
        viewers = ViewerRegistry()
        signer = UrlSigner(secret)
        broadcasts = BroadcastDesk(control_room.hubs, viewers)
        live_guard = LiveGuard(
            db=db,
            viewers=viewers,
            broadcasts=broadcasts,
            control_room=control_room,
            admin_token_set=bool(settings.admin_token),
        )
        live_guard.start()
        audit_checkpoints = CheckpointWriter(
            db=db,
            store=store,
            keyring=keyring,
            interval_s=settings.audit_checkpoint_interval_s,
            retention=timedelta(days=settings.audit_checkpoint_retention_days),
            mode=settings.audit_checkpoint_retention_mode,
        )
        audit_checkpoints.start()
        return cls(
            settings=settings,
            db=db,
            store=store,
            signer=signer,
            control_room=control_room,
            viewers=viewers,
            broadcasts=broadcasts,
            alarms=alarms,
            watchdog=watchdog,
            live_guard=live_guard,
            access_codes=AccessCodeDesk.from_settings(
                settings, secret=secret, db=db, viewers=viewers
            ),
            keyring=keyring,
            audit=AuditLog.from_secret(secret),
            audit_checkpoints=audit_checkpoints,
        )

    async def close(self) -> None:
        await self.live_guard.close()
        await self.watchdog.close()
        await self.viewers.close()
        await self.broadcasts.close()
        await self.control_room.close()
        await self.audit_checkpoints.close()  # the head as it stands once nothing appends
        await self.store.close()
        await self.db.close()


async def _installation_keys(data_dir: Path, db: Database) -> tuple[KeyRing, bytes]:
    """The keys; made only for a new data directory whose index has signed nothing yet.

    A data directory whose keys were lost, in front of an index of signed recordings,
    must not start signing with a new key as if nothing happened.
    """
    if is_new_data_dir(data_dir):
        async with db.session() as session:
            signed = await session.scalar(
                select(func.count())
                .select_from(Recording)
                .where(Recording.manifest_key.is_not(None))
            )
        if signed:
            raise KeyMaterialError(
                f"{data_dir} holds no keys but the index holds {signed} signed recordings: "
                "restore signing-key.pem, public-keys.json and secret.key from the backup"
            )
    return open_installation(data_dir, create=True)


def open_store(settings: Settings) -> ObjectStore:
    """The object store the settings name: S3 when an endpoint is set, else the data dir."""
    return open_object_store(
        data_dir=settings.resolved_data_dir,
        s3_endpoint=settings.s3_endpoint,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
        s3_bucket=settings.s3_bucket,
        s3_secure=settings.s3_secure,
    )
