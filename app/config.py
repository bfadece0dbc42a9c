"""Settings read from the environment, with the embedded defaults of a fresh machine.

Every setting has one name here; code reads ``Settings`` and never ``os.environ`` directly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The pseudonym key the embedded default makes for itself (`dicase demo-data`); a real
# installation names its own key file or variable instead.
DEMO_KEY_FILE = PROJECT_ROOT / "var" / "pseudonym.key"


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
    # Timers fired in one transaction when many are due together (one commit for the batch).
    timer_batch: int = field(default_factory=lambda: int(_env("TIMER_BATCH", "10")))
    script_time_limit: float = field(default_factory=lambda: float(_env("SCRIPT_TIME_LIMIT", "1.0")))
    adapter_timeout: float = field(default_factory=lambda: float(_env("ADAPTER_TIMEOUT", "10")))
    npais_url: str = field(default_factory=lambda: _env("NPAIS_URL", ""))
    npais_client_cert: str = field(default_factory=lambda: _env("NPAIS_CLIENT_CERT", ""))
    npais_client_key: str = field(default_factory=lambda: _env("NPAIS_CLIENT_KEY", ""))
    npais_ca_bundle: str = field(default_factory=lambda: _env("NPAIS_CA_BUNDLE", ""))
    pmlp_url: str = field(default_factory=lambda: _env("PMLP_URL", ""))
    pmlp_client_cert: str = field(default_factory=lambda: _env("PMLP_CLIENT_CERT", ""))
    pmlp_client_key: str = field(default_factory=lambda: _env("PMLP_CLIENT_KEY", ""))
    pmlp_ca_bundle: str = field(default_factory=lambda: _env("PMLP_CA_BUNDLE", ""))
    vdeavk_url: str = field(default_factory=lambda: _env("VDEAVK_URL", ""))
    vdeavk_client_cert: str = field(default_factory=lambda: _env("VDEAVK_CLIENT_CERT", ""))
    vdeavk_client_key: str = field(default_factory=lambda: _env("VDEAVK_CLIENT_KEY", ""))
    vdeavk_ca_bundle: str = field(default_factory=lambda: _env("VDEAVK_CA_BUNDLE", ""))
    sopa_url: str = field(default_factory=lambda: _env("SOPA_URL", ""))
    sopa_client_cert: str = field(default_factory=lambda: _env("SOPA_CLIENT_CERT", ""))
    sopa_client_key: str = field(default_factory=lambda: _env("SOPA_CLIENT_KEY", ""))
    sopa_ca_bundle: str = field(default_factory=lambda: _env("SOPA_CA_BUNDLE", ""))
    sais_url: str = field(default_factory=lambda: _env("SAIS_URL", ""))
    sais_client_cert: str = field(default_factory=lambda: _env("SAIS_CLIENT_CERT", ""))
    sais_client_key: str = field(default_factory=lambda: _env("SAIS_CLIENT_KEY", ""))
    sais_ca_bundle: str = field(default_factory=lambda: _env("SAIS_CA_BUNDLE", ""))
    # The notification outbox (docs/outbox.md): attempts before a message fails, the first
    # backoff delay (doubles each time), how often a sent NPAIS notice is asked for its
    # acknowledgement, and the contacts of the organisations notified.
    outbox_max_attempts: int = field(default_factory=lambda: int(_env("OUTBOX_MAX_ATTEMPTS", "5")))
    outbox_backoff_seconds: float = field(
        default_factory=lambda: float(_env("OUTBOX_BACKOFF_SECONDS", "30")))
    outbox_ack_poll_seconds: float = field(
        default_factory=lambda: float(_env("OUTBOX_ACK_POLL_SECONDS", "300")))
    notification_contacts: Path = field(default_factory=lambda: Path(_env(
        "NOTIFICATION_CONTACTS", str(PROJECT_ROOT / "data" / "notification_contacts.csv"))))
    # With a RabbitMQ address (amqp://user:password@host:5672/), queued messages are handed to
    # this durable queue and ``dicase outbox-sender`` processes deliver them.
    outbox_broker: str = field(default_factory=lambda: _env("OUTBOX_BROKER", ""))
    outbox_queue: str = field(default_factory=lambda: _env("OUTBOX_QUEUE", "dicase.outbox"))
    # E-mail: "file" (one .eml per message in mail_dir), "console" (the log) or "smtp".
    mail_transport: str = field(default_factory=lambda: _env("MAIL_TRANSPORT", "file"))
    mail_dir: Path = field(
        default_factory=lambda: Path(_env("MAIL_DIR", str(PROJECT_ROOT / "var" / "mail"))))
    mail_from: str = field(
        default_factory=lambda: _env("MAIL_FROM", "DI Case <noreply@dicase.invalid>"))
    smtp_host: str = field(default_factory=lambda: _env("SMTP_HOST", ""))
    smtp_port: int = field(default_factory=lambda: int(_env("SMTP_PORT", "587")))
    smtp_starttls: bool = field(default_factory=lambda: _env("SMTP_STARTTLS", "1") == "1")
    smtp_user: str = field(default_factory=lambda: _env("SMTP_USER", ""))
    smtp_password: str = field(default_factory=lambda: _env("SMTP_PASSWORD", ""), repr=False)
    # CA certificates to verify the SMTP server with (default: the system's).
    smtp_ca_bundle: str = field(default_factory=lambda: _env("SMTP_CA_BUNDLE", ""))
    # Simulators of the external systems are started in-process unless real endpoints are set.
    start_simulators: bool = field(default_factory=lambda: _env("START_SIMULATORS", "1") == "1")
    in_process_workers: bool = field(default_factory=lambda: _env("IN_PROCESS_WORKERS", "1") == "1")
    # Sign-in through Keycloak over OpenID Connect (docs/auth.md). An empty server URL means
    # local accounts only, the embedded default.
    oidc_server_url: str = field(default_factory=lambda: _env("OIDC_SERVER_URL", ""))
    oidc_realm: str = field(default_factory=lambda: _env("OIDC_REALM", "dicase"))
    oidc_client_id: str = field(default_factory=lambda: _env("OIDC_CLIENT_ID", "dicase"))
    oidc_client_secret: str = field(default_factory=lambda: _env("OIDC_CLIENT_SECRET", ""))
    # Realm role "<prefix><role>" grants the product role <role>, e.g. dicase-caseworker.
    oidc_role_prefix: str = field(default_factory=lambda: _env("OIDC_ROLE_PREFIX", "dicase-"))
    # Keycloak group paths: /org/<code> is the organisation, /group/<name> a candidate group.
    oidc_organisation_group_prefix: str = field(
        default_factory=lambda: _env("OIDC_ORGANISATION_GROUP_PREFIX", "/org/"))
    oidc_candidate_group_prefix: str = field(
        default_factory=lambda: _env("OIDC_CANDIDATE_GROUP_PREFIX", "/group/"))
    # The address people reach DI Case at (https://dicase.example.lv); the callback and the
    # address to return to after signing out derive from it. Empty: taken from each request.
    oidc_app_url: str = field(default_factory=lambda: _env("OIDC_APP_URL", ""))
    oidc_ca_bundle: str = field(default_factory=lambda: _env("OIDC_CA_BUNDLE", ""))
    oidc_timeout: int = field(default_factory=lambda: int(_env("OIDC_TIMEOUT", "10")))
    # A signed-in session ends after this long without a request, and this long after sign-in.
    session_idle_minutes: int = field(default_factory=lambda: int(_env("SESSION_IDLE_MINUTES", "30")))
    session_max_hours: int = field(default_factory=lambda: int(_env("SESSION_MAX_HOURS", "10")))
    # Password sign-in is refused for a while after this many failures for one username, or
    # from one address (0 turns the per-address limit off), within the window.
    login_max_failures: int = field(default_factory=lambda: int(_env("LOGIN_MAX_FAILURES", "5")))
    login_ip_max_failures: int = field(
        default_factory=lambda: int(_env("LOGIN_IP_MAX_FAILURES", "5")))
    login_window_minutes: int = field(
        default_factory=lambda: int(_env("LOGIN_WINDOW_MINUTES", "15")))

    # Pseudonyms for statistics (app/pseudonyms.py): the HMAC key is read from this file, or
    # from DICASE_PSEUDONYM_KEY when no file is named; never stored in the database.
    pseudonym_key_file: str = field(default_factory=lambda: _env("PSEUDONYM_KEY_FILE", ""))
    pseudonym_key: str = field(default_factory=lambda: _env("PSEUDONYM_KEY", ""), repr=False)
    # With neither set, the embedded default's own key file, made by `dicase demo-data`.
    pseudonym_demo_key_file: Path = DEMO_KEY_FILE
    # Where pseudonymised statistics exports are written (the statistics side).
    statistics_dir: Path = field(default_factory=lambda: Path(_env(
        "STATISTICS_DIR", str(PROJECT_ROOT / "var" / "statistics"))))
    # The register extracts the statistics store is loaded from (docs/statistics-store.md); the
    # embedded default is where `dicase demo-data --scale N` writes its synthetic population.
    opendata_extracts_dir: Path = field(default_factory=lambda: Path(_env(
        "OPENDATA_EXTRACTS_DIR", str(PROJECT_ROOT / "var" / "population"))))
    # The public address of the product (https://dicase.example.lv): the open-data download
    # links in data packages, DCAT-AP and the portal are built on it. Defaults to OIDC_APP_URL.
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", _env("OIDC_APP_URL", "")))
    # Upload of the published data sets to the national open data portal (a CKAN site,
    # docs/opendata-publication.md). An empty URL keeps it off, the default. The API key is read
    # from the file only when uploading, never kept in the database nor written to a log.
    ckan_url: str = field(default_factory=lambda: _env("CKAN_URL", ""))
    ckan_api_key_file: str = field(default_factory=lambda: _env("CKAN_API_KEY_FILE", ""))
    ckan_organisation: str = field(default_factory=lambda: _env("CKAN_ORGANISATION", ""))

    # Largest file a form accepts; a request may carry a few of them and the form itself.
    attachment_max_bytes: int = field(
        default_factory=lambda: int(_env("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))))

    # Operations (docs/operations.md): log lines as text or one JSON object per line; who may
    # read /metrics: these addresses or networks (comma-separated), or anyone presenting the
    # token as "Authorization: Bearer <token>" when one is set.
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "text"))
    metrics_allow: str = field(default_factory=lambda: _env("METRICS_ALLOW", "127.0.0.1,::1"))
    metrics_token: str = field(default_factory=lambda: _env("METRICS_TOKEN", ""), repr=False)

    @property
    def request_max_bytes(self) -> int:
        return 4 * self.attachment_max_bytes + 1024 * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def adapter_settings(self) -> dict[str, str]:
        """The endpoint settings an adapter call receives."""
        return {
            f"{system}_{setting}": getattr(self, f"{system}_{setting}")
            for system in ("npais", "pmlp", "vdeavk", "sopa", "sais")
            for setting in ("url", "client_cert", "client_key", "ca_bundle")
        }
