"""Settings read once from the environment, validated at start-up, and the store they choose."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///./var/ledger.db"

#: A CORS origin as browsers send it: scheme://host[:port], nothing after the authority.
_ORIGIN_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#\s@*]+", re.ASCII)


class SettingsError(ValueError):
    """Raised when a setting is missing, malformed or contradicts another one."""


@dataclass(frozen=True)
class Settings:
    """Everything the ledger reads from its environment (`LEDGER_*` variables)."""

    #: `LEDGER_DATABASE_URL`: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`
    #: or `postgresql://user:password@host:port/dbname`.
    database_url: str = DEFAULT_DATABASE_URL
    #: `LEDGER_BOOTSTRAP_KEY` / `LEDGER_BOOTSTRAP_SECRET`: the admin credential created on first
    #: start instead of a random one (for automation). Both or neither.
    bootstrap_key: str | None = None
    bootstrap_secret: str | None = field(default=None, repr=False)
    #: `LEDGER_MAX_BODY_BYTES`: request bodies above this size are refused with 413.
    max_body_bytes: int = 10 * 1024 * 1024
    #: `LEDGER_PUBLIC_URL`: where clients reach the service; the `authority` account homePage
    #: of every credential is `<public url>/credentials`.
    public_url: str = "http://localhost:8000"
    #: `LEDGER_AUTH_CACHE_SECONDS`: how long a verified credential skips the password hash.
    auth_cache_seconds: float = 60.0
    #: `LEDGER_DB_POOL_SIZE`: database connections per process (PostgreSQL).
    db_pool_size: int = 4
    #: `LEDGER_DB_LOCK_TIMEOUT`: seconds a writer waits for the event table's lock.
    db_lock_timeout: int = 10
    #: `LEDGER_REQUEST_LOG`: `true` writes one JSON line per request to stderr.
    request_log: bool = True
    #: `LEDGER_CORS_ORIGINS`: the browser origins (`https://lms.example.com`, comma-separated)
    #: allowed to call the API cross-origin, or `*` for any; empty (the default): none.
    cors_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.bootstrap_key is None) != (self.bootstrap_secret is None):
            raise SettingsError(
                "LEDGER_BOOTSTRAP_KEY and LEDGER_BOOTSTRAP_SECRET must be set together"
            )
        if self.bootstrap_key is not None and (not self.bootstrap_key or ":" in self.bootstrap_key):
            raise SettingsError("LEDGER_BOOTSTRAP_KEY must be non-empty and contain no ':'")
        if self.bootstrap_secret is not None and len(self.bootstrap_secret) < 8:
            raise SettingsError("LEDGER_BOOTSTRAP_SECRET must be at least 8 characters")
        if self.max_body_bytes < 1024:
            raise SettingsError("LEDGER_MAX_BODY_BYTES must be at least 1024")
        if self.db_pool_size < 1:
            raise SettingsError("LEDGER_DB_POOL_SIZE must be at least 1")
        check_cors_origins(self.cors_origins)
        self.eventsourcing_env()  # fail fast on a bad database URL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: `os.environ`), failing fast when invalid."""
        env = os.environ if environ is None else environ

        def number(name: str, default: float, kind: type = int) -> float:
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                return default
            try:
                return kind(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number, got {raw!r}") from None

        flag = env.get("LEDGER_REQUEST_LOG", "true").strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError(f"LEDGER_REQUEST_LOG must be true or false, got {flag!r}")
        return cls(
            database_url=env.get("LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            bootstrap_key=env.get("LEDGER_BOOTSTRAP_KEY") or None,
            bootstrap_secret=env.get("LEDGER_BOOTSTRAP_SECRET") or None,
            max_body_bytes=int(number("LEDGER_MAX_BODY_BYTES", cls.max_body_bytes)),
            public_url=(env.get("LEDGER_PUBLIC_URL") or cls.public_url).rstrip("/"),
            auth_cache_seconds=number("LEDGER_AUTH_CACHE_SECONDS", cls.auth_cache_seconds, float),
            db_pool_size=int(number("LEDGER_DB_POOL_SIZE", cls.db_pool_size)),
            db_lock_timeout=int(number("LEDGER_DB_LOCK_TIMEOUT", cls.db_lock_timeout)),
            request_log=flag in ("true", "1", "yes"),
            cors_origins=parse_cors_origins(env.get("LEDGER_CORS_ORIGINS", "")),
        )

    @property
    def is_postgres(self) -> bool:
        """Whether the store is PostgreSQL (else the embedded SQLite file)."""
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file the database URL names."""
        url = self.database_url
        if url.startswith("sqlite:///"):
            return Path(url[len("sqlite:///") :])
        if url.startswith("sqlite:"):
            raise SettingsError(
                f"LEDGER_DATABASE_URL {url!r}: write sqlite:///relative.db or sqlite:////abs.db"
            )
        if "://" in url:
            raise SettingsError(
                f"LEDGER_DATABASE_URL {url!r}: the scheme must be sqlite:// or postgresql://"
            )
        return Path(url)

    def eventsourcing_env(self, *, create_table: bool = False) -> dict[str, str]:
        """Return the eventsourcing environment for this store.

        Args:
            create_table: whether constructing the application may run DDL. Only the
                migrate step passes True; request-serving workers never do.
        """
        env = {
            "TRANSCODER_TOPIC": "ledger.transcoder:OrjsonTranscoder",
            "CREATE_TABLE": "y" if create_table else "n",
        }
        if self.is_postgres:
            parts = urlsplit(self.database_url)
            query = parse_qs(parts.query)
            dbname = unquote(parts.path.lstrip("/"))
            if not dbname:
                raise SettingsError("LEDGER_DATABASE_URL must name a database: postgresql://…/db")
            env.update(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.postgres",
                    "APPLICATION_RECORDER_TOPIC": "ledger.recorders:LedgerPostgresRecorder",
                    "POSTGRES_DBNAME": dbname,
                    "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                    "POSTGRES_PORT": str(parts.port or 5432),
                    "POSTGRES_USER": unquote(parts.username or "postgres"),
                    "POSTGRES_PASSWORD": unquote(parts.password or ""),
                    "POSTGRES_POOL_SIZE": str(self.db_pool_size),
                    "POSTGRES_MAX_OVERFLOW": str(self.db_pool_size),
                    "POSTGRES_LOCK_TIMEOUT": str(self.db_lock_timeout),
                    "POSTGRES_SCHEMA": query.get("schema", [""])[0],
                    "POSTGRES_CONNECT_TIMEOUT": "5",
                }
            )
        else:
            env.update(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "APPLICATION_RECORDER_TOPIC": "ledger.recorders:LedgerSQLiteRecorder",
                    "SQLITE_DBNAME": str(self.sqlite_path),
                    "SQLITE_LOCK_TIMEOUT": str(self.db_lock_timeout),
                }
            )
        return env


def parse_cors_origins(raw: str) -> tuple[str, ...]:
    """Split `LEDGER_CORS_ORIGINS` (comma-separated) into lower-cased origins, blanks dropped."""
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


def check_cors_origins(origins: tuple[str, ...]) -> None:
    """Refuse a CORS origin list that is not `*` alone or a list of scheme://host[:port]."""
    if "*" in origins and len(origins) > 1:
        raise SettingsError("LEDGER_CORS_ORIGINS: '*' allows every origin; give it alone")
    for origin in origins:
        if origin != "*" and not _ORIGIN_RE.fullmatch(origin):
            raise SettingsError(
                f"LEDGER_CORS_ORIGINS: {origin!r} is not an origin; write scheme://host[:port] "
                "with no path or trailing slash (e.g. https://lms.example.com), or '*'"
            )
