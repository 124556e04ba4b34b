"""SQLite statements in one round trip to the driver's thread instead of three or four.

aiosqlite runs each call on a thread of its connection and hands the result back through
the event loop; SQLAlchemy's adapter (2.1) makes four such calls for a query (open a cursor,
execute, fetch every row, close the cursor) and three for a write. Each is a wake-up of that
thread and of the loop that carries the cameras. Here a statement's cursor is opened,
executed, read and closed in one call on the thread, with the same results (every row
fetched at once, as the adapter does, plus the description, row count and last row id) and
the same errors (sqlite3's, which SQLAlchemy maps as before).

Every name read from SQLAlchemy and aiosqlite is here: the adapter's cursor class, its
connection's `_cursor_cls` and `_execute_mutex`, aiosqlite's `_execute` and `_conn`
(pinned in tests/storage/test_sqlite_statements.py).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT

Outcome = tuple[Any, list[Any], int, int | None]
"""A statement's description, rows, row count and last row id."""


def _run(connection: sqlite3.Connection, statement: Callable[[sqlite3.Cursor], object]) -> Outcome:
    """On the driver's thread: the whole life of one cursor."""
    cursor = connection.cursor()
    try:
        statement(cursor)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """The adapter's cursor with no aiosqlite cursor behind it: each statement is one call."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # so the base class's close() closes nothing
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing stays open on the driver's side after a statement."""

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        if parameters is None:
            await self._one_trip(lambda cursor: cursor.execute(operation))
        else:
            await self._one_trip(lambda cursor: cursor.execute(operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._one_trip(lambda cursor: cursor.executemany(operation, seq_of_parameters))

    async def _one_trip(self, statement: Callable[[sqlite3.Cursor], object]) -> None:
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(_run, driver._conn, statement)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The adapter's connection, making `OneTripCursor`s (server-side cursors unchanged)."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]


def one_trip_statements(dbapi_connection: Any, _record: Any) -> None:
    """Pool `connect` event: the new connection's statements take one trip each."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
