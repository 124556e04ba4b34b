"""What a run with another number of worker processes left spooled is recovered by this run's
spools (api/workers.py), never overwriting a recording a spool already holds."""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings, worker_spool
from api.workers import adopt_stray_spools


def spooled(spool: Path, recording: str, data: bytes) -> Path:
    fragment = spool / recording / "bench" / "000001.m4s"
    fragment.parent.mkdir(parents=True)
    fragment.write_bytes(data)
    return fragment


def test_fewer_workers_take_over_the_spools_of_the_gone_ones(tmp_path: Path) -> None:
    targets = [worker_spool(tmp_path, 0), worker_spool(tmp_path, 1)]
    spooled(targets[0], "rec-a", b"w0's own")
    spooled(worker_spool(tmp_path, 3), "rec-a", b"from w3")  # w0 spools rec-a already
    spooled(worker_spool(tmp_path, 3), "rec-b", b"from w3 too")
    spooled(tmp_path / "spool", "rec-c", b"from a single process")

    adopt_stray_spools(tmp_path, targets)

    files = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.m4s")}
    assert files == {
        "workers/0/spool/rec-a/bench/000001.m4s": b"w0's own",
        "workers/1/spool/rec-a/bench/000001.m4s": b"from w3",
        "workers/0/spool/rec-b/bench/000001.m4s": b"from w3 too",
        "workers/0/spool/rec-c/bench/000001.m4s": b"from a single process",
    }


def test_one_process_takes_over_every_workers_spool(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    spooled(worker_spool(tmp_path, 0), "rec-a", b"a")
    spooled(worker_spool(tmp_path, 1), "rec-b", b"b")

    adopt_stray_spools(settings.resolved_data_dir, [settings.spool_dir])

    assert sorted(p.name for p in settings.spool_dir.iterdir()) == ["rec-a", "rec-b"]
    assert Settings(data_dir=tmp_path, worker=1).spool_dir == worker_spool(tmp_path, 1)
