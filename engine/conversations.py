"""Conversations in SQLite: list, rename, delete, export; per-conversation system prompt and settings."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import NotFoundError
from engine.types import GenerationParams, Message, ToolCall

List = list


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation's header (messages are loaded separately)."""

    id: str
    title: str
    created: float
    updated: float
    system_prompt: str
    params: GenerationParams
    model: str
    message_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as stored, with its metadata (usage, timing, model, tool results)."""

    message: Message
    created: float
    meta: dict[str, Any] = field(default_factory=dict)


def _m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            params TEXT NOT NULL DEFAULT '{}',
            model TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            tool_calls TEXT,
            tool_call_id TEXT,
            name TEXT,
            created REAL NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
        """,
    )


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (``executescript`` would commit the migration's transaction)."""
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [("m001_initial", _m001_initial)]


class ConversationStore:
    """Conversations of one Lampwright home. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL)")
            done = {r[0] for r in self._db.execute("SELECT name FROM migrations")}
            for name, step in MIGRATIONS:
                if name not in done:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        step(self._db)
                        self._db.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
                    self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # ---- conversations -----------------------------------------------------------------------------
    def create(
        self,
        title: str = "New chat",
        *,
        system_prompt: str = "",
        params: GenerationParams | None = None,
        model: str = "",
    ) -> Conversation:
        """Start a new conversation."""
        now = time.time()
        cid = uuid.uuid4().hex[:12]
        p = params or GenerationParams()
        with self._lock:
            self._db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, title, now, now, system_prompt, json.dumps(p.to_dict()), model),
            )
        return self.get(cid)

    def _row(self, row: tuple[Any, ...]) -> Conversation:
        return Conversation(
            id=row[0], title=row[1], created=row[2], updated=row[3], system_prompt=row[4],
            params=GenerationParams.from_dict(json.loads(row[5])), model=row[6], message_count=row[7],
        )

    _SELECT = (
        "SELECT c.id, c.title, c.created, c.updated, c.system_prompt, c.params, c.model, "
        "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c"
    )

    def get(self, cid: str) -> Conversation:
        """One conversation by id (a unique id prefix works too)."""
        with self._lock:
            rows = self._db.execute(self._SELECT + " WHERE c.id LIKE ? ORDER BY c.updated DESC", (cid + "%",)).fetchall()
        if len(rows) != 1:
            what = "No" if not rows else "More than one"
            raise NotFoundError(f"{what} conversation matches {cid!r}; see `lampwright conversations list`.")
        return self._row(rows[0])

    def list(self) -> List[Conversation]:  # noqa: UP006 - `list` is shadowed by this method
        """All conversations, most recently updated first."""
        with self._lock:
            rows = self._db.execute(self._SELECT + " ORDER BY c.updated DESC").fetchall()
        return [self._row(r) for r in rows]

    def update(
        self,
        cid: str,
        *,
        title: str | None = None,
        system_prompt: str | None = None,
        params: GenerationParams | None = None,
        model: str | None = None,
    ) -> Conversation:
        """Rename a conversation or change its system prompt, settings or model."""
        conv = self.get(cid)
        with self._lock:
            self._db.execute(
                "UPDATE conversations SET title=?, system_prompt=?, params=?, model=?, updated=? WHERE id=?",
                (
                    conv.title if title is None else title,
                    conv.system_prompt if system_prompt is None else system_prompt,
                    json.dumps((params or conv.params).to_dict()),
                    conv.model if model is None else model,
                    time.time(),
                    conv.id,
                ),
            )
        return self.get(conv.id)

    def rename(self, cid: str, title: str) -> Conversation:
        """Change a conversation's title."""
        return self.update(cid, title=title)

    def delete(self, cid: str) -> None:
        """Delete a conversation and its messages."""
        conv = self.get(cid)
        with self._lock:
            self._db.execute("DELETE FROM conversations WHERE id=?", (conv.id,))

    # ---- messages ----------------------------------------------------------------------------------
    def append(self, cid: str, message: Message, meta: dict[str, Any] | None = None) -> None:
        """Add a message at the end of a conversation."""
        now = time.time()
        calls = json.dumps([c.to_openai() for c in message.tool_calls]) if message.tool_calls else None
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO messages (conversation_id, role, content, tool_calls, tool_call_id, name, created, meta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, message.role, message.content, calls, message.tool_call_id, message.name, now,
                 json.dumps(meta or {})),
            )
            self._db.execute("UPDATE conversations SET updated=? WHERE id=?", (now, cid))
            self._db.execute("COMMIT")

    def messages(self, cid: str) -> List[StoredMessage]:  # noqa: UP006
        """A conversation's messages in order."""
        conv = self.get(cid)
        with self._lock:
            rows = self._db.execute(
                "SELECT role, content, tool_calls, tool_call_id, name, created, meta FROM messages "
                "WHERE conversation_id=? ORDER BY id",
                (conv.id,),
            ).fetchall()
        out = []
        for role, content, calls, call_id, name, created, meta in rows:
            tcs = tuple(
                ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in json.loads(calls or "[]")
            )
            out.append(StoredMessage(Message(role, content, tcs, call_id, name), created, json.loads(meta)))
        return out

    # ---- export ------------------------------------------------------------------------------------
    def export_json(self, cid: str) -> dict[str, Any]:
        """The whole conversation as a JSON-able dict."""
        conv = self.get(cid)
        return {
            "id": conv.id,
            "title": conv.title,
            "created": conv.created,
            "updated": conv.updated,
            "model": conv.model,
            "system_prompt": conv.system_prompt,
            "params": conv.params.to_dict(),
            "messages": [dict(m.message.to_openai(), created=m.created, meta=m.meta) for m in self.messages(conv.id)],
        }

    def export_markdown(self, cid: str) -> str:
        """The conversation as readable Markdown."""
        conv = self.get(cid)
        lines = [f"# {conv.title}", "", f"*Model:* {conv.model or 'default'}  ", ""]
        if conv.system_prompt:
            lines += ["**System:**", "", conv.system_prompt, ""]
        for sm in self.messages(conv.id):
            m = sm.message
            head = {"user": "You", "assistant": "Assistant", "tool": f"Tool `{m.name or ''}`", "system": "System"}[m.role]
            lines += [f"### {head}", "", m.content or "", ""]
            for c in m.tool_calls:
                lines += [f"> calls `{c.name}` with `{c.arguments}`", ""]
        return "\n".join(lines).rstrip() + "\n"
