"""The settings, read once in api/, handed to court/ as plain values (court never reads them)."""

from __future__ import annotations

import secrets
import socket
from datetime import timedelta

from api.settings import Settings
from court.leases import NodeIdentity
from court.recordings import SegmentPlan
from court.runtime import AccessCodeLimits, CheckpointPolicy, CourtConfig
from storage.objects import ObjectStore
from storage.stores import open_object_store


def court_config(settings: Settings) -> CourtConfig:
    return CourtConfig(
        data_dir=settings.resolved_data_dir,
        index_url=settings.index_url,
        ice_addresses=settings.ice_address_list,
        recording=SegmentPlan(
            spool_dir=settings.spool_dir,
            segment_s=settings.segment_seconds,
            fragment_s=settings.fragment_seconds,
            spool_max_bytes=settings.spool_max_bytes,
        ),
        admin_token_set=bool(settings.admin_token),
        access_codes=AccessCodeLimits(
            failures_per_address=settings.access_code_failures_per_address,
            failures_per_hearing=settings.access_code_failures_per_hearing,
            failure_window_s=settings.access_code_failure_window_s,
            ticket_s=settings.viewer_ticket_s,
        ),
        checkpoints=CheckpointPolicy(
            interval_s=settings.audit_checkpoint_interval_s,
            retention=timedelta(days=settings.audit_checkpoint_retention_days),
            mode=settings.audit_checkpoint_retention_mode,
        ),
        node=node_identity(settings),
        receive_path=settings.receive_path,
    )


def node_identity(settings: Settings) -> NodeIdentity:
    """Who this node is to the others, and whether this setup allows any others."""
    single = []
    if settings.index_url.startswith("sqlite"):
        single.append("its index is an SQLite file")
    if not settings.s3_endpoint:
        single.append("its objects are in a local directory")
    url = settings.public_url or f"http://{settings.host}:{settings.port}"
    node_id = settings.node_id or kept_node_id(settings)
    worker = settings.worker is not None and not settings.index_url.startswith("sqlite")
    return NodeIdentity(
        id=node_id,
        url=url.rstrip("/"),
        exclusive=" and ".join(single) or None,
        family=node_id.rsplit(".w", 1)[0] if worker else None,
    )


def kept_node_id(settings: Settings) -> str:
    """The data dir's node id, made once: its spool belongs to this node across restarts."""
    path = settings.resolved_data_dir / "node-id"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{socket.gethostname()[:40]}-{secrets.token_hex(4)}\n")
    return path.read_text().strip()


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
