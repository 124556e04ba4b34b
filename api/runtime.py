"""Everything one Courtcast process owns, built from the settings and closed in order."""

from __future__ import annotations

from dataclasses import dataclass

from api.access_codes import AccessCodeDesk
from api.alarms import AlarmBoard
from api.broadcasts import BroadcastDesk
from api.control_room import ControlRoom
from api.live_guard import LiveGuard
from api.settings import Settings
from api.signed_urls import UrlSigner, load_or_create_secret
from api.viewers import ViewerRegistry
from api.watchdog import Watchdog
from recorder.integrity import load_or_create_signing_key
from storage.db import Database
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

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        data_dir = settings.resolved_data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        install_host_addresses(settings.ice_address_list)
        db = Database(settings.index_url)
        await db.migrate()
        store = open_store(settings)
        ensure_bucket = getattr(store, "ensure_bucket", None)
        if ensure_bucket is not None:
            await ensure_bucket()
        control_room = ControlRoom(
            db=db,
            store=store,
            signing_key=load_or_create_signing_key(settings.signing_key_path),
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
        secret = load_or_create_secret(settings.secret_key_path)
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
        )

    async def close(self) -> None:
        await self.live_guard.close()
        await self.watchdog.close()
        await self.viewers.close()
        await self.broadcasts.close()
        await self.control_room.close()
        await self.store.close()
        await self.db.close()


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
