"""Settings read from the environment, with the embedded defaults of a fresh machine.

Every setting has one name here; code reads ``Settings`` and never ``os.environ`` directly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"DICASE_{name}", default)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'dicase.db'}")
    )
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    # Behind TLS in production the session cookie must never travel over plain HTTP.
    secure_cookies: bool = field(default_factory=lambda: _env("SECURE_COOKIES", "0") == "1")
    processes_dir: Path = field(
        default_factory=lambda: Path(_env("PROCESSES_DIR", str(PROJECT_ROOT / "processes")))
    )
    forms_dir: Path = field(default_factory=lambda: Path(_env("FORMS_DIR", str(PROJECT_ROOT / "forms"))))
    # Job runner: how often a failed job is retried, and the first backoff delay (doubles each time).
    job_max_attempts: int = field(default_factory=lambda: int(_env("JOB_MAX_ATTEMPTS", "5")))
    job_backoff_seconds: float = field(default_factory=lambda: float(_env("JOB_BACKOFF_SECONDS", "10")))
    # A claimed job or timer whose worker has not finished within the lease is taken by another worker.
    lease_seconds: float = field(default_factory=lambda: float(_env("LEASE_SECONDS", "60")))
    # The scheduler never sleeps longer than this, so a timer fires less than this late.
    poll_seconds: float = field(default_factory=lambda: float(_env("POLL_SECONDS", "0.5")))
    script_time_limit: float = field(default_factory=lambda: float(_env("SCRIPT_TIME_LIMIT", "1.0")))
    adapter_timeout: float = field(default_factory=lambda: float(_env("ADAPTER_TIMEOUT", "10")))
    npais_url: str = field(default_factory=lambda: _env("NPAIS_URL", ""))
    npais_client_cert: str = field(default_factory=lambda: _env("NPAIS_CLIENT_CERT", ""))
    npais_client_key: str = field(default_factory=lambda: _env("NPAIS_CLIENT_KEY", ""))
    npais_ca_bundle: str = field(default_factory=lambda: _env("NPAIS_CA_BUNDLE", ""))
    # Simulators of the external systems are started in-process unless real endpoints are set.
    start_simulators: bool = field(default_factory=lambda: _env("START_SIMULATORS", "1") == "1")
    in_process_workers: bool = field(default_factory=lambda: _env("IN_PROCESS_WORKERS", "1") == "1")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def adapter_settings(self) -> dict[str, str]:
        """The endpoint settings an adapter call receives."""
        return {
            "npais_url": self.npais_url,
            "npais_client_cert": self.npais_client_cert,
            "npais_client_key": self.npais_client_key,
            "npais_ca_bundle": self.npais_ca_bundle,
        }
