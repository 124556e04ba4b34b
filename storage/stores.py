"""Pick the object store from the settings: S3 when an endpoint is set, else a directory."""

from __future__ import annotations

from pathlib import Path

from storage.local import LocalObjectStore
from storage.objects import ObjectStore
from storage.s3 import S3ObjectStore

DEFAULT_BUCKET = "courtcast"


def open_object_store(
    *,
    data_dir: Path,
    s3_endpoint: str | None,
    s3_access_key: str | None,
    s3_secret_key: str | None,
    s3_bucket: str | None,
    s3_secure: bool,
) -> ObjectStore:
    """Build the store; fail at start-up, not at the first upload, when S3 is half configured."""
    if not s3_endpoint:
        return LocalObjectStore(data_dir / "objects")
    if not s3_access_key or not s3_secret_key:
        raise ValueError(
            "COURTCAST_S3_ENDPOINT is set, so COURTCAST_S3_ACCESS_KEY and "
            "COURTCAST_S3_SECRET_KEY must be set too"
        )
    return S3ObjectStore(
        endpoint=s3_endpoint,
        access_key=s3_access_key,
        secret_key=s3_secret_key,
        bucket=s3_bucket or DEFAULT_BUCKET,
        secure=s3_secure,
    )
