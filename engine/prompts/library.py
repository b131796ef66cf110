"""The prompt library: shipped defaults plus the user's saved versions, each immutable.

Layout: shipped prompts are ``resources/prompts/<name>.json``; a user version is
``$LAMPWRIGHT_HOME/prompts/<name>/<version>.json`` where ``<version>`` is the content hash. A version
file is created once (exclusive create) and made read-only; saving identical content again returns
the existing version. On load the hash is recomputed, so a file edited by hand is noticed and skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, NotFoundError
from engine.paths import resources_dir
from engine.prompts.template import NAME_RE, PromptTemplate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One saved version of a prompt."""

    prompt: PromptTemplate
    saved_at: str  # ISO time; "" for shipped prompts
    source: str  # "builtin" or "user"
    parent: str | None = None  # the version this one was edited from

    @property
    def name(self) -> str:
        """The prompt's name."""
        return self.prompt.name

    @property
    def version(self) -> str:
        """Content-hash version id."""
        return self.prompt.version

    @property
    def prompt_id(self) -> str:
        """``name@version``: what each call records."""
        return f"{self.prompt.name}@{self.prompt.version}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary plus the definition."""
        return {
            "name": self.name,
            "version": self.version,
            "content_hash": self.prompt.content_hash,
            "saved_at": self.saved_at,
            "source": self.source,
            "parent": self.parent,
            "prompt": self.prompt.to_dict(),
        }


class PromptLibrary:
    """Shipped and user prompts. Safe to share between threads (files are written atomically)."""

    def __init__(self, home: Path, builtin_dir: Path | None = None) -> None:
        self.user_dir = Path(home) / "prompts"
        self.builtin_dir = builtin_dir if builtin_dir is not None else resources_dir() / "prompts"

    # ---- reading -----------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every prompt name, sorted."""
        names = {p.stem for p in self.builtin_dir.glob("*.json")} if self.builtin_dir.is_dir() else set()
        if self.user_dir.is_dir():
            names |= {d.name for d in self.user_dir.iterdir() if d.is_dir() and any(d.glob("*.json"))}
        return sorted(n for n in names if NAME_RE.match(n))

    def versions(self, name: str) -> list[PromptVersion]:
        """All versions of ``name``, oldest first (the shipped one, if any, comes first)."""
        out: list[PromptVersion] = []
        builtin = self._builtin(name)
        if builtin is not None:
            out.append(builtin)
        folder = self.user_dir / name
        user: list[PromptVersion] = []
        if folder.is_dir():
            for path in folder.glob("*.json"):
                v = self._read_version(path)
                if v is not None:
                    user.append(v)
        user.sort(key=lambda v: v.saved_at)
        seen = {v.version for v in out}
        out.extend(v for v in user if v.version not in seen)
        return out

    def list(self) -> list[PromptVersion]:
        """The latest version of every prompt."""
        return [self.get(n) for n in self.names()]

    def get(self, name: str, version: str | None = None) -> PromptVersion:
        """A version of ``name`` (the latest when ``version`` is None; a unique prefix is enough).

        ``name`` may also be ``name@version``.
        """
        if version is None and "@" in name:
            name, version = name.split("@", 1)
        versions = self.versions(name)
        if not versions:
            raise NotFoundError(f"No prompt named {name!r}. Known: {', '.join(self.names()) or 'none'}.")
        if version is None:
            return versions[-1]
        matches = [v for v in versions if v.prompt.content_hash.startswith(version.lower())]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            known = ", ".join(v.version for v in versions)
            raise NotFoundError(f"Prompt {name!r} has no version {version!r}. Versions: {known}.")
        raise ConfigError(f"Version {version!r} of {name!r} is ambiguous; give more characters.")

    # ---- writing -----------------------------------------------------------------------------------
    def save(self, prompt: PromptTemplate, *, parent: str | None = None) -> PromptVersion:
        """Save ``prompt`` as a new version (returns the existing one when the content is already saved)."""
        for existing in self.versions(prompt.name):
            if existing.prompt.content_hash == prompt.content_hash:
                return existing
        folder = self.user_dir / prompt.name
        folder.mkdir(parents=True, exist_ok=True)
        if parent is None:
            current = self.versions(prompt.name)
            parent = current[-1].version if current else None
        saved_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        record = {
            "version": prompt.version,
            "content_hash": prompt.content_hash,
            "saved_at": saved_at,
            "parent": parent,
            "prompt": prompt.to_dict(),
        }
        path = folder / f"{prompt.version}.json"
        tmp = folder / f".{prompt.version}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
        try:
            os.link(tmp, path)  # atomic and exclusive: never replaces an existing version
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        log.info("saved prompt %s@%s", prompt.name, prompt.version)
        return PromptVersion(prompt, saved_at, "user", parent)

    # ---- helpers -----------------------------------------------------------------------------------
    def _builtin(self, name: str) -> PromptVersion | None:
        path = self.builtin_dir / f"{name}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            prompt = PromptTemplate.from_dict({"name": name, **data})
        except (OSError, ValueError, ConfigError) as exc:
            log.warning("shipped prompt %s is unreadable: %s", path, exc)
            return None
        return PromptVersion(prompt, "", "builtin")

    def _read_version(self, path: Path) -> PromptVersion | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            prompt = PromptTemplate.from_dict(data["prompt"])
        except (OSError, ValueError, KeyError, ConfigError) as exc:
            log.warning("prompt version %s is unreadable: %s", path, exc)
            return None
        if prompt.version != path.stem or prompt.name != path.parent.name:
            log.warning("prompt version %s does not match its content hash (edited by hand?); skipped", path)
            return None
        return PromptVersion(prompt, str(data.get("saved_at") or ""), "user", data.get("parent"))
