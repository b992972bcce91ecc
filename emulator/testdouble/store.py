"""Everything mutable of the test double, in one SQLite database: rules, counters, settings, journal.

Why SQLite: the production server runs several worker processes, and a rule set through one of them must
apply to requests served by all of them, with "fire N times" counters that never over-fire. The database
(WAL mode, so readers never wait for the one writer) is shared by every worker of one server; each thread
has its own connection, and every transaction is short. Counters are decided inside `BEGIN IMMEDIATE`, which
serialises the read-decide-write across processes. `:memory:` keeps one connection behind a lock instead,
for a single process.

Hot path cost per request: one read of the state version (rules, filters and lifecycle are re-read only when
it moved), one counter transaction per *matching* rule, and one journal insert.

Every change of rules, filters or lifecycle increments the version inside its own transaction, so a change
and its announcement commit together or not at all: a control call that failed changed nothing, and one that
returned is seen by the next request in every worker.

The journal is bounded by count (`journal_limit`) and by bytes (`JOURNAL_MAX_BYTES`, each entry at most
`journal_entry.ENTRY_MAX_BYTES`); a read returns at most `PAGE_MAX_BYTES` of entries (always at least one), so
reading costs a small multiple of one page whatever the journal holds.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from emulator.testdouble.config import MEMORY, TestDoubleConfig
from emulator.testdouble.filters import ContentFilters, filters_from_json
from emulator.testdouble.rules import Action, Rule, parse_rule, rule_rng

BUSY_TIMEOUT_MS = 10_000
PRUNE_EVERY = 256  # journal ids between two prunes of entries beyond `journal_limit`
JOURNAL_MAX_BYTES = 256 * 1024 * 1024  # stored JSON of all entries; the oldest go first beyond it
PRUNE_BYTES = JOURNAL_MAX_BYTES // 16  # bytes one process writes between two prunes (bounds the overshoot)
PAGE_MAX_BYTES = 8 * 1024 * 1024  # stored JSON per journal read (at least one entry is always returned)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rules (id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    rule_id INTEGER NOT NULL, key TEXT NOT NULL, matched INTEGER NOT NULL, fired INTEGER NOT NULL,
    PRIMARY KEY (rule_id, key));
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, model TEXT, task TEXT, status INTEGER, operation
    TEXT, invocation_id TEXT, error_type TEXT, entry TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS journal_invocation ON journal (invocation_id);
"""

JOURNAL_FILTERS = ("model", "task", "status", "operation", "invocation_id", "error_type")
# SQLite integers are 64-bit signed; a larger Python int raises OverflowError when bound to a statement.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _fits(value: object) -> bool:
    return not isinstance(value, int) or INT_MIN <= value <= INT_MAX


def _clamp(value: int) -> int:
    return max(INT_MIN, min(value, INT_MAX))


@dataclass(frozen=True)
class Snapshot:
    """The rules, filters and lifecycle in force, as of one state version."""

    version: int
    rules: tuple[Rule, ...] = ()
    filters: ContentFilters = field(default_factory=ContentFilters)
    lifecycle: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JournalQuery:
    """Journal filters and paging: equality filters, `since_id` (exclusive), `limit`, `offset`, `order`."""

    filters: Mapping[str, object] = field(default_factory=dict)
    since_id: int | None = None
    limit: int = 100
    offset: int = 0
    descending: bool = False


@dataclass(frozen=True)
class JournalPage:
    """One page of journal entries and the number of entries matching the filters."""

    entries: list[dict[str, object]]
    total: int
    size_limited: bool = False  # fewer than `limit` entries: the next one would pass `PAGE_MAX_BYTES`


@dataclass(frozen=True)
class RawJournalPage:
    """`JournalPage` with each entry as its JSON text (id first), never parsed: what the control API sends."""

    entries: list[str]
    total: int
    size_limited: bool = False


class Store:
    """The shared state of one emulator server (see the module docstring)."""

    def __init__(self, config: TestDoubleConfig) -> None:
        self._config = config
        self._memory = config.state_path == MEMORY
        self._local = threading.local()
        # Memory mode shares one connection, so its users take turns; file mode has one connection per thread.
        self._lock: AbstractContextManager[object] = threading.RLock() if self._memory else nullcontext()
        self._shared: sqlite3.Connection | None = None
        self._cached = Snapshot(version=-1)
        self._unpruned_bytes = 0  # journal bytes this process wrote since its last prune
        if not self._memory:
            Path(config.state_path).parent.mkdir(parents=True, exist_ok=True)
        self._initialise()

    # --- connections and transactions ------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._memory:
            if self._shared is None:
                self._shared = self._open(MEMORY)
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():  # never reuse across fork
            conn = self._open(self._config.state_path)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path != MEMORY:
            _enable_wal(conn)
            # No fsync at all (checkpoints included): safe if a process crashes, only an OS crash can lose
            # data, which does not matter for a test double; halves the journal insert on the hot path.
            conn.execute("PRAGMA synchronous = OFF")
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database's write lock at once (no upgrade deadlocks)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._connection()

    def _initialise(self) -> None:
        """Create the schema; load the start state unless another worker already did for this config."""
        with self._read() as conn:
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(journal)")}
            if "size" not in columns:  # a state file written before entries were sized
                conn.execute("ALTER TABLE journal ADD COLUMN size INTEGER NOT NULL DEFAULT 0")
        fingerprint = self._config.start_state_json()
        with self._tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'start_state'").fetchone()
            if row is None or row[0] != fingerprint:
                self._load_start_state(conn, clear_journal=True)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('start_state', ?)", (fingerprint,))

    def _load_start_state(self, conn: sqlite3.Connection, clear_journal: bool) -> None:
        for table in ("rules", "counters", "settings"):
            conn.execute(f"DELETE FROM {table}")
        if clear_journal:
            conn.execute("DELETE FROM journal")
        for rule in self._config.rules:
            conn.execute("INSERT INTO rules (spec) VALUES (?)", (json.dumps(rule.to_json()),))
        self._put_setting(conn, "filters", self._config.filters.to_json())
        self._put_setting(conn, "lifecycle", dict(self._config.lifecycle))

    @staticmethod
    def _put_setting(conn: sqlite3.Connection, name: str, value: object) -> None:
        conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, json.dumps(value)))
        conn.execute(
            "INSERT INTO meta VALUES ('version', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # --- state: snapshot, rules, filters, lifecycle, reset ---------------------------------------------

    def snapshot(self) -> Snapshot:
        """The state in force now; re-read from the database only when its version moved."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            version = int(row[0]) if row else 0
            cached = self._cached
            if cached.version == version:
                return cached
            rules = tuple(
                parse_rule(json.loads(spec), rule_id=rule_id)
                for rule_id, spec in conn.execute("SELECT id, spec FROM rules ORDER BY id")
            )
            settings = dict(conn.execute("SELECT name, value FROM settings").fetchall())
        filters = filters_from_json(json.loads(settings.get("filters", "{}")))
        lifecycle = json.loads(settings.get("lifecycle", "{}"))
        snap = Snapshot(version, rules, filters, lifecycle)
        self._cached = snap
        return snap

    def add_rule(self, rule: Rule) -> Rule:
        """Store a new rule (evaluated after the existing ones) and return it with its id."""
        with self._tx() as conn:
            cursor = conn.execute("INSERT INTO rules (spec) VALUES (?)", (json.dumps(rule.to_json()),))
            self._bump(conn)
        return parse_rule(rule.to_json(), rule_id=cursor.lastrowid)

    def delete_rule(self, rule_id: int) -> bool:
        """Remove one rule and its counters; False when there is no such rule."""
        if not _fits(rule_id):
            return False
        with self._tx() as conn:
            deleted = conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount
            conn.execute("DELETE FROM counters WHERE rule_id = ?", (rule_id,))
            self._bump(conn)
        return deleted > 0

    def clear_rules(self) -> int:
        """Remove every rule and counter; returns how many rules there were."""
        with self._tx() as conn:
            deleted = conn.execute("DELETE FROM rules").rowcount
            conn.execute("DELETE FROM counters")
            self._bump(conn)
        return int(deleted)

    def rule_counters(self) -> dict[int, tuple[int, int]]:
        """Rule id → (matches, firings), summed over per-call counters."""
        with self._read() as conn:
            rows = conn.execute("SELECT rule_id, SUM(matched), SUM(fired) FROM counters GROUP BY rule_id")
            return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def set_filters(self, filters: ContentFilters) -> None:
        """Replace the content-filter settings."""
        with self._tx() as conn:
            self._put_setting(conn, "filters", filters.to_json())

    def set_lifecycle(self, lifecycle: Mapping[str, str]) -> None:
        """Replace the lifecycle map (models absent from it are active)."""
        with self._tx() as conn:
            self._put_setting(conn, "lifecycle", dict(lifecycle))

    def reset(self) -> None:
        """Back to the start state: configured rules, filters and lifecycle; counters and journal empty."""
        with self._tx() as conn:
            self._load_start_state(conn, clear_journal=True)

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")

    # --- firing ----------------------------------------------------------------------------------------

    def fire(self, rule: Rule, key: str) -> tuple[Action | None, float]:
        """Count one match of `rule` under counter `key` and decide atomically whether it fires.

        Returns the action (None when the rule does not fire this time) and the delay it adds, in seconds.
        """
        with self._tx() as conn:
            matched, fired = conn.execute(
                "INSERT INTO counters VALUES (?, ?, 1, 0) ON CONFLICT (rule_id, key) "
                "DO UPDATE SET matched = matched + 1 RETURNING matched, fired",
                (rule.id, key),
            ).fetchone()
            rng = rule_rng(self._config.seed, rule.id, key, matched)
            action = rule.decide(matched, fired, rng)
            if action is not None:
                conn.execute(
                    "UPDATE counters SET fired = fired + 1 WHERE rule_id = ? AND key = ?", (rule.id, key)
                )
        return action, (action.delay_s(rng) if action is not None else 0.0)

    # --- journal ---------------------------------------------------------------------------------------

    def record(self, columns: Mapping[str, object], entry: Mapping[str, object]) -> int:
        """Append one journal entry (one short insert); prune by count and by bytes now and then."""
        values = [columns.get(name) for name in JOURNAL_FILTERS]
        text = json.dumps(entry, separators=(",", ":"), default=str)
        size = len(text.encode())
        with self._read() as conn:
            cursor = conn.execute(
                "INSERT INTO journal (ts, model, task, status, operation, invocation_id, error_type, entry, "
                "size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [time.time(), *values, text, size],
            )
            new_id = int(cursor.lastrowid or 0)
            self._unpruned_bytes += size
            if new_id % PRUNE_EVERY == 0 or self._unpruned_bytes >= PRUNE_BYTES:
                self._unpruned_bytes = 0
                conn.execute("DELETE FROM journal WHERE id <= ?", (new_id - self._config.journal_limit,))
                self._prune_bytes(conn)
        return new_id

    @staticmethod
    def _prune_bytes(conn: sqlite3.Connection) -> None:
        """Delete the oldest entries until the journal holds at most `JOURNAL_MAX_BYTES`."""
        (total,) = conn.execute("SELECT COALESCE(SUM(size), 0) FROM journal").fetchone()
        if total <= JOURNAL_MAX_BYTES:
            return
        row = conn.execute(
            "SELECT id FROM (SELECT id, SUM(size) OVER (ORDER BY id DESC) AS newer FROM journal) "
            "WHERE newer > ? ORDER BY id DESC LIMIT 1",
            (JOURNAL_MAX_BYTES,),
        ).fetchone()
        if row is not None:
            conn.execute("DELETE FROM journal WHERE id <= ?", (row[0],))

    def journal(self, query: JournalQuery) -> JournalPage:
        """Entries matching `query`, oldest first unless `descending`, at most `PAGE_MAX_BYTES` of them."""
        raw = self.journal_text(query)
        return JournalPage([json.loads(text) for text in raw.entries], raw.total, raw.size_limited)

    def journal_text(self, query: JournalQuery) -> RawJournalPage:
        """`journal`, each entry as JSON text with its id first (no parse, no second serialisation).

        Integers beyond SQLite's range are answered as their meaning implies rather than overflowing: such a
        filter value matches nothing, and `since_id`, `limit` and `offset` are clamped to the range.
        """
        where, params = ["1 = 1"], []
        for name, value in query.filters.items():
            if name not in JOURNAL_FILTERS:
                raise ValueError(f"unknown journal filter {name!r}")
            where.append(f"{name} = ?" if _fits(value) else "0 = 1")
            params += [value] if _fits(value) else []
        if query.since_id is not None:
            where.append("id > ?")
            params.append(_clamp(query.since_id))
        clause = " AND ".join(where)
        order = "DESC" if query.descending else "ASC"
        entries: list[str] = []
        size_limited, taken = False, 0
        with self._read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM journal WHERE {clause}", params).fetchone()[0]
            # Sizes first (no entry text is read), then only the texts that fit the page.
            sized = conn.execute(
                f"SELECT id, size FROM journal WHERE {clause} ORDER BY id {order} LIMIT ? OFFSET ?",
                [*params, _clamp(query.limit), _clamp(query.offset)],
            )
            ids: list[int] = []
            for entry_id, size in sized:
                if ids and taken + size > PAGE_MAX_BYTES:
                    size_limited = True
                    break
                ids.append(entry_id)
                taken += size
            sized.close()
            for entry_id in ids:
                row = conn.execute("SELECT entry FROM journal WHERE id = ?", (entry_id,)).fetchone()
                if row is not None:
                    entries.append(_with_id(entry_id, row[0]))
        return RawJournalPage(entries, int(total), size_limited)

    def journal_entry(self, entry_id: int) -> dict[str, object] | None:
        """One entry by id."""
        if not _fits(entry_id):
            return None
        with self._read() as conn:
            row = conn.execute("SELECT id, entry FROM journal WHERE id = ?", (entry_id,)).fetchone()
        return json.loads(_with_id(row[0], row[1])) if row else None

    def clear_journal(self) -> int:
        """Delete every journal entry; returns how many there were."""
        with self._read() as conn:
            return int(conn.execute("DELETE FROM journal").rowcount)


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch a new state file to WAL mode. SQLite answers "database is locked" at once, without waiting for
    the busy timeout, when another connection holds a lock during the switch: the workers of a server open
    the fresh state file at the same moment, so each retries within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _with_id(entry_id: int, text: str) -> str:
    """An entry's stored JSON object text with `"id": entry_id` as its first member."""
    rest = text[1:].lstrip()
    return f'{{"id":{entry_id}' + ("}" if rest.startswith("}") else "," + rest)
