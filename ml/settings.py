"""The one place that reads the environment: where state lives and how it is configured.

Everything salespipe keeps (warehouse, MLflow store, Airflow home, reports, the
personal-data key) lives under one folder, ``$SALESPIPE_HOME`` (default
``.salespipe`` in the working directory), so two installs never share state by
accident. Nothing else in the code calls ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent

# Environment variables the settings read; documented in the README.
HOME_VAR = "SALESPIPE_HOME"
LANDING_VAR = "SALESPIPE_LANDING"
PII_KEY_VAR = "SALESPIPE_PII_KEY"
DBT_THREADS_VAR = "SALESPIPE_DBT_THREADS"
DUCKDB_MEMORY_VAR = "SALESPIPE_DUCKDB_MEMORY_LIMIT"
CONFIG_VAR = "SALESPIPE_CONFIG"
FORCE_PUBLISH_VAR = "SALESPIPE_FORCE_PUBLISH"
# Fault injection for the test suite: the process kills itself (SIGKILL) at the named
# point (ml/faults.py). Never set in production.
FAULT_POINT_VAR = "SALESPIPE_FAULT_POINT"
BI_GROUP_VAR = "SALESPIPE_BI_GROUP"
PUBLISHED_MODE_VAR = "SALESPIPE_PUBLISHED_MODE"
AUDIT_ACTOR_VAR = "SALESPIPE_ACTOR"
# A team deployment's MLflow tracking server (docs/deployment.md). Unset: the embedded
# SQLite store under home. The credentials are MLflow's own variables, read here.
MLFLOW_URI_VAR = "SALESPIPE_MLFLOW_TRACKING_URI"
MLFLOW_USER_VAR = "MLFLOW_TRACKING_USERNAME"
MLFLOW_PASSWORD_VAR = "MLFLOW_TRACKING_PASSWORD"
# Set by `salespipe run` for the Airflow processes it starts: the run a publication names.
RUN_ID_VAR = "SALESPIPE_RUN_ID"
# Bearer tokens of the scoring API (`salespipe serve`), comma-separated.
API_TOKENS_VAR = "SALESPIPE_API_TOKENS"

# Nothing salespipe runs phones home. Evidently sends telemetry unless DO_NOT_TRACK is
# set; MLflow only honours DO_NOT_TRACK=true or its own switch; dbt and Airflow have theirs.
TELEMETRY_OPT_OUTS = {
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "SCARF_ANALYTICS": "false",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
}


def disable_telemetry() -> None:
    """Switch off every library's telemetry in this process and the processes it starts.

    Called when ``ml`` is imported, so it runs before evidently or mlflow are.
    """
    os.environ.update(TELEMETRY_OPT_OUTS)


@dataclass(frozen=True)
class Settings:
    """Resolved paths and options for one install. Build it with :func:`load_settings`."""

    home: Path
    landing: Path
    dbt_threads: int = 2
    pii_key_override: str | None = None
    # DuckDB's memory cap for dbt builds (DuckDB's own default is 80% of RAM).
    duckdb_memory_limit: str = "6GB"
    # The per-install YAML configuration (ml.config_file); default <home>/salespipe.yml.
    config_path: Path | None = None
    # Publish even when the publish guard finds the night far short of the last one.
    force_publish: bool = False
    # Test hook: the named point at which the process kills itself (ml/faults.py).
    fault_point: str | None = None
    # The group whose members (BI tools) may read the published warehouse; None: nobody
    # but the owner. The published file's mode: 0o640 with a group, else 0o600 (ml.access).
    bi_group: str | None = None
    published_mode: int | None = None
    # Who is acting, for the audit log, when the OS user is not the person (a team
    # deployment passes its Airflow or MLflow user); default the OS user.
    actor: str | None = None
    # Whether SALESPIPE_HOME chose ``home`` (else it is the default in the working folder):
    # a command that finds no state there says which.
    home_from_environment: bool = False
    # A remote tracking server (http[s]://...) and the account salespipe uses on it.
    mlflow_server_uri: str | None = None
    mlflow_username: str | None = None
    mlflow_password: str | None = field(default=None, repr=False)
    # The `salespipe run` this process works for (its log folder is logs/runs/<run_id>).
    run_id: str | None = None
    # Bearer tokens of the scoring API from SALESPIPE_API_TOKENS (see serving()).
    api_tokens: tuple[str, ...] = field(default=(), repr=False)

    @property
    def config_file(self) -> Path:
        return self.config_path or self.home / "salespipe.yml"

    def section(self, name: str, cls: type[T]) -> T:
        """The ``name`` section of the configuration file as a ``cls``, defaults filled in.

        Each use case and service reads its own section through this (e.g.
        ``ml.lead_scoring.config.lead_scoring_config``), so settings knows none of them.

        Raises:
            ml.config_file.ConfigError: the file is invalid.
        """
        from ml.config_file import load_section

        return load_section(self.config_file, name, cls)

    def serving(self):  # -> ml.serving.config.ServingConfig
        """The serving section of the configuration file, defaults filled in.

        Raises:
            ml.config_file.ConfigError: the file is invalid.
        """
        from ml.config_file import load_section
        from ml.serving.config import ServingConfig

        return load_section(self.config_file, "serving", ServingConfig)

    @property
    def airflow_password_file(self) -> Path:
        """The Airflow UI's ``admin`` password (JSON ``{"admin": "..."}``), made at mode 600
        by salespipe (``ml.access``) so that Airflow never generates and prints one."""
        return self.home / "secrets" / "airflow_passwords.json"

    @property
    def api_token_file(self) -> Path:
        """A bearer token for the local scoring API, made at mode 600 by ``salespipe demo``
        and ``run`` (``ml.access``) so that the hint they print names a file, not a token."""
        return self.home / "secrets" / "api_token"

    @property
    def warehouse(self) -> Path:
        """The published, read-only copy that BI tools open. Replaced atomically each night."""
        return self.home / "warehouse" / "salespipe.duckdb"

    @property
    def work_warehouse(self) -> Path:
        """The file the nightly run writes; no reader should ever open it."""
        return self.home / "warehouse" / "work" / "salespipe_work.duckdb"

    @property
    def run_lock(self) -> Path:
        """The lock that keeps one nightly run at a time on this install (ml/run_lock.py)."""
        return self.home / "run.lock"

    @property
    def run_logs(self) -> Path:
        """One folder per run under here, with one log file per DAG."""
        return self.home / "logs" / "runs"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def mlflow_tracking_uri(self) -> str:
        """The tracking server when one is configured, else the embedded SQLite store."""
        return self.mlflow_server_uri or f"sqlite:///{self.home / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_is_remote(self) -> bool:
        """True when runs and models go to a tracking server (artifacts are its business)."""
        return self.mlflow_server_uri is not None

    def export_mlflow_credentials(self) -> None:
        """Hand the tracking server's account to MLflow's client, which reads it from the
        environment of the process at each request. No-op for the embedded store."""
        if self.mlflow_is_remote and self.mlflow_username and self.mlflow_password:
            os.environ[MLFLOW_USER_VAR] = self.mlflow_username
            os.environ[MLFLOW_PASSWORD_VAR] = self.mlflow_password

    @property
    def mlflow_store(self) -> Path:
        """The SQLite file behind :attr:`mlflow_tracking_uri`."""
        return self.home / "mlflow" / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.home / "mlflow" / "artifacts"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_project_dir(self) -> Path:
        return REPO_ROOT / "dbt_project"

    @property
    def dbt_state(self) -> Path:
        """dbt's target/ and logs/ live under home, never in the repository."""
        return self.home / "dbt"

    @property
    def dags_folder(self) -> Path:
        return REPO_ROOT / "dags"

    @property
    def pii_key_file(self) -> Path:
        return self.home / "secrets" / "pii.key"

    def pii_key(self) -> str:
        """The key for hashing personal fields; created once per install, never committed.

        A key from ``$SALESPIPE_PII_KEY`` wins. Otherwise a random key is made on first use
        and kept in ``<home>/secrets/pii.key`` (mode 600), so hashes stay stable across runs.
        """
        if self.pii_key_override:
            return self.pii_key_override
        if not self.pii_key_file.exists():
            self.pii_key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.pii_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return self.pii_key_file.read_text().strip()

    def as_info(self) -> dict[str, str]:
        """What ``salespipe info`` prints (CONTRACT §2)."""
        return {
            "home": str(self.home),
            "warehouse": str(self.warehouse),
            "work_warehouse": str(self.work_warehouse),
            "landing": str(self.landing),
            "mlflow_tracking_uri": self.mlflow_tracking_uri,
            "airflow_home": str(self.airflow_home),
            "reports": str(self.reports),
            "config_file": str(self.config_file),
            "dbt_project": str(self.dbt_project_dir),
            "dags_folder": str(self.dags_folder),
        }


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the mapping given, for tests).

    Raises:
        ValueError: when ``SALESPIPE_DBT_THREADS`` is not a positive whole number,
            ``SALESPIPE_PUBLISHED_MODE`` not an octal mode, or a tracking server is
            configured without both halves of its credentials.
    """
    env = os.environ if environ is None else environ
    home = Path(env.get(HOME_VAR) or ".salespipe").expanduser().resolve()
    landing = Path(env.get(LANDING_VAR) or home / "landing").expanduser().resolve()
    threads_text = env.get(DBT_THREADS_VAR, "2")
    if not threads_text.isdigit() or int(threads_text) < 1:
        raise ValueError(
            f"{DBT_THREADS_VAR} must be a positive whole number, got {threads_text!r}."
        )
    mode_text = env.get(PUBLISHED_MODE_VAR) or ""
    try:
        published_mode = int(mode_text, 8) if mode_text else None
    except ValueError:
        published_mode = -1
    if published_mode is not None and not 0 <= published_mode <= 0o777:
        raise ValueError(
            f"{PUBLISHED_MODE_VAR} must be an octal file mode such as 640, got {mode_text!r}."
        )
    server_uri = env.get(MLFLOW_URI_VAR) or None
    username, password = env.get(MLFLOW_USER_VAR) or None, env.get(MLFLOW_PASSWORD_VAR) or None
    if server_uri is not None:
        if not server_uri.startswith(("http://", "https://")):
            raise ValueError(
                f"{MLFLOW_URI_VAR} must be the tracking server's http(s):// address, got "
                f"{server_uri!r}. Unset it to use the embedded store under {home}."
            )
        if bool(username) != bool(password):
            raise ValueError(
                f"{MLFLOW_URI_VAR} is set and only one of {MLFLOW_USER_VAR} and "
                f"{MLFLOW_PASSWORD_VAR} is: set both to the account salespipe uses on the "
                "tracking server (the nightly service account, not an admin)."
            )
    return Settings(
        home=home,
        landing=landing,
        dbt_threads=int(threads_text),
        pii_key_override=env.get(PII_KEY_VAR) or None,
        duckdb_memory_limit=env.get(DUCKDB_MEMORY_VAR) or "6GB",
        config_path=Path(env[CONFIG_VAR]).expanduser().resolve() if env.get(CONFIG_VAR) else None,
        force_publish=(env.get(FORCE_PUBLISH_VAR) or "").lower() in ("1", "true", "yes"),
        fault_point=env.get(FAULT_POINT_VAR) or None,
        bi_group=env.get(BI_GROUP_VAR) or None,
        published_mode=published_mode,
        actor=env.get(AUDIT_ACTOR_VAR) or None,
        home_from_environment=bool(env.get(HOME_VAR)),
        mlflow_server_uri=server_uri.rstrip("/") if server_uri else None,
        mlflow_username=username if server_uri else None,
        mlflow_password=password if server_uri else None,
        run_id=env.get(RUN_ID_VAR) or None,
        api_tokens=tuple(filter(None, (t.strip() for t in env.get(API_TOKENS_VAR, "").split(",")))),
    )
