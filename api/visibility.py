"""The sealed-hearing rule lives in court/visibility.py; these names stay importable here for
the routes that still reach for them (new code takes `VisibleHearing` from api/deps.py or
imports court.visibility)."""

from __future__ import annotations

from court.visibility import may_see, search_scope, visible_hearing, visible_recording

__all__ = ["may_see", "search_scope", "visible_hearing", "visible_recording"]
