"""Everything one Courtcast process owns, built from plain configuration and closed in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from court.archiving import Archive
from court.cluster_bus import ClusterBus, bus_for
from court.crash_resume import recover_spool
from court.custody import CourtroomCustody
from court.exports import Evidence
from court.leases import CourtroomLeases, NodeIdentity
from court.live.access_codes import AccessCodeDesk
from court.live.broadcasts import BroadcastDesk
from court.live.guard import LiveGuard
from court.live.mirrors import MirrorDesk
from court.live.record_watch import RecordWatch
from court.live.signed_urls import UrlSigner
from court.live.viewers import ViewerRegistry
from court.live.viewing_log import ViewingLog
from court.monitoring.alarms import AlarmBoard
from court.monitoring.metrics import CourtMetrics
from court.monitoring.watchdog import Watchdog
from court.playback_cache import PlaylistCache
from court.program import ProgramDesk
from court.publications import Publications
from court.recordings import Recordings, SegmentPlan
from court.replay_playlists import ReplayCache
from storage.audit import AuditLog
from storage.audit_checkpoints import CheckpointWriter
from storage.db import Database
from storage.keyring import KeyMaterialError, KeyRing, is_new_data_dir, open_installation
from storage.models import Recording
from storage.objects import ObjectStore, RetentionMode
from streaming.hub import HubRegistry
from streaming.ice import install_host_addresses
from streaming.receive_path import use_receive_path
from streaming.send_path import use_send_path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccessCodeLimits:
    failures_per_address: int
    failures_per_hearing: int
    failure_window_s: float
    ticket_s: int


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    interval_s: float
    retention: timedelta
    mode: RetentionMode


@dataclass(frozen=True, slots=True)
class CourtConfig:
    """What the process needs to know, as plain values (api/ reads the settings)."""

    data_dir: Path
    index_url: str
    ice_addresses: list[str]
    recording: SegmentPlan
    admin_token_set: bool
    access_codes: AccessCodeLimits
    checkpoints: CheckpointPolicy
    node: NodeIdentity
    receive_path: str = "auto"  # streaming/receive_path.py: auto (native if built), native, python


@dataclass
class Runtime:
    db: Database
    store: ObjectStore
    signer: UrlSigner
    hubs: HubRegistry
    publications: Publications
    archive: Archive
    recordings: Recordings
    viewers: ViewerRegistry
    viewing_log: ViewingLog  # who watched live, for oversight figures
    broadcasts: BroadcastDesk
    mirrors: MirrorDesk  # public viewers served here of cameras held elsewhere, and feeds
    alarms: AlarmBoard
    watchdog: Watchdog
    live_guard: LiveGuard
    access_codes: AccessCodeDesk
    keyring: KeyRing
    audit: AuditLog
    audit_checkpoints: CheckpointWriter
    metrics: CourtMetrics  # this process's Prometheus registry
    leases: CourtroomLeases  # which courtrooms' live media this node holds
    bus: ClusterBus  # events between nodes
    live_record: RecordWatch  # displays and captions waiting for the record to change
    program: ProgramDesk  # what the public sees of each courtroom, when the court chooses
    playlists: PlaylistCache = field(default_factory=PlaylistCache)  # archive playlist entries
    replays: ReplayCache = field(default_factory=ReplayCache)  # replays' playlists and cuts

    @classmethod
    async def start(cls, config: CourtConfig, store: ObjectStore) -> Runtime:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        install_host_addresses(config.ice_addresses)
        use_receive_path(config.receive_path)
        use_send_path(config.receive_path)  # one setting: native both ways, or Python
        db = Database(config.index_url)
        await db.migrate()
        keyring, secret = await _installation_keys(config.data_dir, db)
        ensure_bucket = getattr(store, "ensure_bucket", None)
        if ensure_bucket is not None:
            await ensure_bucket()
        hubs = HubRegistry()
        metrics = CourtMetrics()
        leases = CourtroomLeases(db, config.node)
        publications = Publications(hubs, metrics.timings)
        archive = Archive(db, metrics.timings, fence_for=leases.fence)
        recordings = Recordings(
            db=db,
            store=store,
            keyring=keyring,
            hubs=hubs,
            publications=publications,
            archive=archive,
            plan=config.recording,
            timings=metrics.timings,
        )
        viewing_log = ViewingLog(db)
        viewers = ViewerRegistry(
            on_joined=metrics.timings.viewer_join.observe, audience=viewing_log
        )
        program = ProgramDesk(hubs)
        custody = CourtroomCustody(
            db=db,
            program=program,
            archive=archive,
            recordings=recordings,
            publications=publications,
            viewers=viewers,
            recovered=recover_spool(config.recording.spool_dir),
        )
        await leases.join(custody)  # or refuse: NodeRefused says why
        for job in custody.recovered.jobs():
            recordings.uploader.submit(job)
        await leases.take_orphans()  # this node's own running recordings go on at once
        leases.start()
        alarms = AlarmBoard()
        bus = bus_for(config.index_url, config.node.id)
        await bus.start()  # returns at once if PostgreSQL is away; it keeps trying
        alarms.attach(bus)  # every node's websocket clients hear every node's alarms
        leases.on_node_gone = alarms.forget_node
        watchdog = Watchdog(recordings, alarms)
        watchdog.start()
        metrics.watch(publications, recordings, alarms, viewers)
        broadcasts = BroadcastDesk(viewers, bus)
        signer = UrlSigner(secret)
        live_guard = LiveGuard(
            db=db,
            viewers=viewers,
            broadcasts=broadcasts,
            publications=publications,
            program=program,
            admin_token_set=config.admin_token_set,
        )
        live_guard.start()
        audit_checkpoints = CheckpointWriter(
            db=db,
            store=store,
            keyring=keyring,
            interval_s=config.checkpoints.interval_s,
            retention=config.checkpoints.retention,
            mode=config.checkpoints.mode,
        )
        audit_checkpoints.start()
        limits = config.access_codes
        return cls(
            db=db,
            store=store,
            signer=signer,
            mirrors=MirrorDesk(hubs, leases, signer, viewers, broadcasts.restart_public),
            hubs=hubs,
            publications=publications,
            archive=archive,
            recordings=recordings,
            viewers=viewers,
            viewing_log=viewing_log,
            broadcasts=broadcasts,
            alarms=alarms,
            watchdog=watchdog,
            live_guard=live_guard,
            access_codes=AccessCodeDesk.with_limits(
                secret=secret,
                db=db,
                viewers=viewers,
                failures_per_address=limits.failures_per_address,
                failures_per_hearing=limits.failures_per_hearing,
                failure_window_s=limits.failure_window_s,
                ticket_s=limits.ticket_s,
            ),
            keyring=keyring,
            audit=AuditLog.from_secret(secret),
            audit_checkpoints=audit_checkpoints,
            metrics=metrics,
            leases=leases,
            bus=bus,
            live_record=RecordWatch(db),
            program=program,
        )

    @property
    def evidence(self) -> Evidence:
        """What certified clips and packages read from and answer to."""
        return Evidence(self.store, self.keyring, self.audit)

    async def _hand_over_if_others(self) -> None:
        """On several nodes, the others go on with this node's courtrooms (a drain); when
        none is live, or the index cannot say, recordings are interrupted as on one node."""
        try:
            if self.leases.shared and await self.leases.others_live():
                await self.leases.drain()
        except Exception:
            log.exception("could not hand this node's courtrooms over; interrupting them")

    async def close(self) -> None:
        await self._hand_over_if_others()
        await self.live_guard.close()
        self.program.close()
        await self.watchdog.close()
        await self.mirrors.close()  # feeds from other processes end before their viewers
        await self.viewers.close()
        await self.viewing_log.drain()  # the viewers' ends are written before the index closes
        await self.live_record.close()
        await self.broadcasts.close()
        await self.publications.close()  # publishers hung up first, then recordings finish
        await self.recordings.close()
        await self.audit_checkpoints.close()  # the head as it stands once nothing appends
        await self.leases.close()
        await self.bus.close()
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
