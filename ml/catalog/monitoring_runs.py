"""The ``monitoring.*`` tables about runs and people: what each night did, which stages
finished, who did what, every alias move and every erasure."""

from __future__ import annotations

from ml.catalog.declare import Table, columns
from ml.catalog.ml_tables import MODEL_NAME

RUN_DATE = "The business date of the run."

PIPELINE_RUNS = Table(
    "monitoring.pipeline_runs",
    "One row per nightly run: its status and the reconciled row counts of every "
    "delivery processed (rows_in = rows_out + rows_quarantined + rows_rejected + "
    "rows_repeated).",
    columns(
        ("run_date", "date", RUN_DATE),
        ("started_at", "timestamp", "When the run started (UTC)."),
        ("finished_at", "timestamp", "When the run finished (UTC); null while running."),
        ("status", "varchar", "running, success or failed."),
        ("rows_in", "bigint", "Rows delivered in the files processed for the date."),
        ("rows_quarantined", "bigint", "Rows held in quarantine for breaking a row rule."),
        ("rows_out", "bigint", "Rows loaded into the raw layer."),
        ("rows_rejected", "bigint", "Rows of files refused as a whole."),
        ("rows_repeated", "bigint", "Rows of files delivered again unchanged (not loaded "
         "twice)."),
        ("files_in", "bigint", "Delivery files processed."),
        ("files_rejected", "bigint", "Delivery files refused as a whole."),
        ("message", "varchar", "Why the run failed, or what it reported (a stage it "
         "skipped, and why)."),
        ("data_docs", "varchar", "Path of the Great Expectations Data Docs of the run."),
        ("paths_skipped", "bigint", "Landing-zone entries ingest did not read (not a "
         "delivery folder, a symlink out of the landing zone...)."),
        ("skipped", "varchar", "Each skipped landing-zone entry and why."),
    ),
    grain=("run_date",),
    partition_by=("run_date",),
)  # fmt: skip

PIPELINE_RUN_TABLES = Table(
    "monitoring.pipeline_run_tables",
    "One row per run and landing table: the reconciled counts behind pipeline_runs.",
    columns(
        ("run_date", "date", RUN_DATE),
        ("table_name", "varchar", "The landing table (leads, opportunities, ...)."),
        ("files", "bigint", "Delivery files processed."),
        ("files_rejected", "bigint", "Files refused as a whole."),
        ("files_repeated", "bigint", "Files delivered again unchanged."),
        ("rows_delivered", "bigint", "Rows in the files."),
        ("rows_loaded", "bigint", "Rows loaded into raw."),
        ("rows_quarantined", "bigint", "Rows held in quarantine."),
        ("rows_rejected", "bigint", "Rows of refused files."),
        ("rows_repeated", "bigint", "Rows of repeated files."),
    ),
    grain=("run_date", "table_name"),
    partition_by=("run_date",),
)

PIPELINE_STAGES = Table(
    "monitoring.pipeline_stages",
    "One row per run and stage of the night (warehouse, lead_scoring, opportunity_scoring, "
    "revenue_forecast): when it finished, and whether it ran or was skipped. A night is "
    "published only when every stage has a row.",
    columns(
        ("run_date", "date", RUN_DATE),
        ("stage", "varchar", "warehouse, lead_scoring, opportunity_scoring or revenue_forecast."),
        ("finished_at", "timestamp", "When the stage finished (UTC)."),
        ("status", "varchar", "done, or skipped (nothing to do, or switched off in "
         "salespipe.yml)."),
        ("detail", "varchar", "Why a skipped stage was skipped, e.g. no revenue data on or "
         "before the business date; null when it ran."),
    ),
    grain=("run_date", "stage"),
    partition_by=("run_date", "stage"),
)  # fmt: skip

AUDIT_LOG = Table(
    "monitoring.audit_log",
    "Who did what: one row per state-changing salespipe command, DAG run, training, "
    "promotion, rollback and erasure. Personal data in the arguments is a keyed hash.",
    columns(
        ("at", "timestamp", "When it happened (UTC)."),
        ("actor", "varchar", "Who: the OS user, or the Airflow or MLflow user in a team "
         "deployment."),
        ("action", "varchar", "What: a command, a DAG run, training, promotion, rollback, "
         "erasure."),
        ("target", "varchar", "What it acted on: a business date, a model, a DAG."),
        ("arguments", "varchar", "Its arguments as JSON, personal values replaced by their "
         "keyed hash."),
        ("outcome", "varchar", "How it ended: success, failed, or the gate's verdict."),
        ("source", "varchar", "Where the row comes from: the CLI, Airflow, the registry, an "
         "erasure."),
    ),
    grain=("at", "actor", "action", "target"),
    partition_by=(),  # rebuilt whole from its sources every night
)  # fmt: skip

MODEL_PROMOTIONS = Table(
    "monitoring.model_promotions",
    "Every move of a model alias (champion, challenger): by the promotion gate, by hand "
    "in MLflow, or by rollback, with who and why.",
    columns(
        ("moved_at", "timestamp", "When the move was recorded (UTC)."),
        ("run_date", "date", "The business date of the run that made or noticed the move."),
        ("model_name", "varchar", MODEL_NAME),
        ("alias", "varchar", "champion or challenger."),
        ("action", "varchar", "challenger, promote, rollback, manual or refused."),
        ("from_version", "varchar", "Version the alias pointed to before; null for a first "
         "move."),
        ("to_version", "varchar", "Version the alias points to after."),
        ("moved_by", "varchar", "The gate, salespipe models rollback, or the MLflow UI/API."),
        ("reason", "varchar", "The gate's decision or the reason given."),
    ),
    grain=("model_name", "alias", "moved_at"),
    partition_by=("model_name", "alias", "moved_at"),  # each move is its own partition
)  # fmt: skip

ERASURES = Table(
    "monitoring.erasures",
    "The erasure log: one row per erasure and place a person was erased from (a table, "
    "an MLflow artifact, a report), with how many rows and what was done.",
    columns(
        ("erasure_id", "varchar", "The erasure (one salespipe privacy erase)."),
        ("erased_at", "timestamp", "When it ran (UTC)."),
        ("erased_by", "varchar", "Who ran it."),
        ("identifier_hashes", "varchar[]", "Keyed hashes of the lead ids and emails given."),
        ("leads_found", "integer", "Leads the identifiers matched."),
        ("location", "varchar", "The table, mlflow:<artifact> or report:<page> erased from."),
        ("action", "varchar", "What was done there (deleted, unlinked, blanked, redacted)."),
        ("rows", "bigint", "Rows erased there."),
    ),
    grain=("erasure_id", "location"),
    partition_by=("erasure_id",),
)

RUN_TABLES = (
    PIPELINE_RUNS, PIPELINE_RUN_TABLES, PIPELINE_STAGES, AUDIT_LOG, MODEL_PROMOTIONS, ERASURES,
)  # fmt: skip
