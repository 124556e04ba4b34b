"""`courtcast package HEARING DIR`: write a hearing's e-dossier package (电子卷宗) into DIR.

Run beside the server against the same database and object store; needs the
installation's keys, because the package's index is signed. The package is written
whole or not at all: a running recording or footage that no longer matches what
the court signed leaves no DIR behind, and the refusal goes into the audit log.
"""

from __future__ import annotations

import sys
from pathlib import Path

from api.court_config import open_store
from api.settings import Settings
from court.sealing import SOFTWARE_VERSION
from recorder.dossier import RecordingInProgress, build_package
from recorder.evidence_sources import EvidenceMismatch
from storage.audit import AuditLog
from storage.db import Database
from storage.keyring import KeyRing, load_secret
from storage.models import Hearing


async def package_hearing(settings: Settings, hearing_id: str, directory: str) -> int:
    """0 when the package is written, 1 when it is refused, 2 for a wrong argument."""
    target = Path(directory)
    if target.exists():
        print(f"courtcast: {target} already exists: name a new directory", file=sys.stderr)
        return 2
    data_dir = settings.resolved_data_dir
    keyring = KeyRing.open(data_dir)
    audit = AuditLog.from_secret(load_secret(data_dir))
    db = Database(settings.index_url)
    store = open_store(settings)
    try:
        async with db.session() as session:
            hearing = await session.get(Hearing, hearing_id)
            if hearing is None:
                print(f"courtcast: no hearing {hearing_id}", file=sys.stderr)
                return 2
            try:
                summary = await build_package(
                    session,
                    store,
                    keyring,
                    hearing=hearing,
                    directory=target,
                    software_version=SOFTWARE_VERSION,
                )
                action = "package_written"
                details: dict[str, str | None] = {"directory": str(target.resolve())}
            except RecordingInProgress as error:
                print(f"courtcast: no package: {error}", file=sys.stderr)
                return 1
            except EvidenceMismatch as error:
                summary = None
                action, details = "package_refused", {"key": error.key, "reason": str(error)}
            await audit.append(
                session,
                actor="courtcast package",
                role="admin",
                action=action,
                target=f"hearing {hearing_id}",
                source="command line",
                details={"hearing_id": hearing_id, **details},
            )
    finally:
        await store.close()
        await db.close()
    if summary is None:
        print(
            "courtcast: no package: the archive does not match what the court signed: "
            f"{details['reason']}",
            file=sys.stderr,
        )
        return 1
    print(
        f"wrote {target}: {summary.files} files, {summary.bytes} bytes, "
        f"{summary.recordings} recordings"
    )
    for note in summary.notes:
        print(f"note: {note}")
    print(f"check it with: courtcast verify-package {target} --public-key COURT-KEYS.pem")
    return 0
