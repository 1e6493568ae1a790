"""What every published table, view and column means: the descriptions BI tools show.

The published file (:mod:`ml.warehouse.publish`) carries a DuckDB ``COMMENT`` on every
table, view and column, so a BI tool's schema browser explains what it holds:

- ``marts.*``: dbt's yml descriptions, which dbt writes into the working warehouse as
  comments (``persist_docs``) and :func:`describe_published` copies over;
- ``ml.*``, ``monitoring.*`` and ``meta.*``: declared here, once, in :data:`TABLES`;
- custom CRM fields (``attr_*``), whose names only the data knows: a generic description;
- the views of :data:`VIEWS`, made for BI: one row per open lead tonight with its score
  and the lead's, owner's and account's attributes, so nobody needs a two-key join.

:func:`undocumented` lists what still lacks a description; the tests keep it empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableDoc:
    """A table's description and its columns' descriptions."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


_RUN_DATE = "The business date of the run."
_MODEL_NAME = "The registered MLflow model (lead_scoring, revenue_forecast)."
_MODEL_VERSION = "The MLflow model version."

TABLES: dict[str, TableDoc] = {
    "ml.lead_scores": TableDoc(
        "Lead scores: one row per open lead per scoring date, from the lead_scoring "
        "champion (or the source prior without one). Re-scoring a date replaces its rows.",
        {
            "lead_id": "The lead (marts.lead_features.lead_id).",
            "score_date": "The business date the lead was scored as of; the lead's features "
            "are marts.lead_features at as_of_date = score_date.",
            "conversion_probability": "Calibrated probability that the lead converts within "
            "the label window (default 90 days from its creation).",
            "score": "conversion_probability on a 0-100 scale, rounded: 40 means 40% likely.",
            "percentile": "Share (0-100) of the date's active (not stale) leads scored at or "
            "below this lead; null for a stale lead.",
            "grade": "A-D among the date's active leads: by rank (default; A = top 10%, "
            "B next 20%, C next 30%, D the rest) or by probability bands, as configured "
            "(lead_scoring.grade_method); null for a stale lead.",
            "top_factors": "JSON {positive: [...], negative: [...]}: the top features that "
            "raised and lowered this lead's score, each with feature, label, the lead's "
            "value, impact (log-odds) and probability_effect (change in probability, "
            "0.05 = 5 points).",
            "model_name": "The model that scored: lead_scoring, or source_prior without a "
            "champion.",
            "model_version": "The model version that scored (the prior: date and lead count).",
            "scoring_method": "model (a registered champion) or prior (the fallback).",
            "scored_at": "When the scores were computed (UTC).",
            "is_stale": "True when the lead is open but had no activity for more than "
            "lead_scoring.stale_after_days (default 30): scored, but not graded.",
        },
    ),
    "ml.revenue_forecasts": TableDoc(
        "Revenue forecasts: one row per forecast date, segment and period (13 weeks and "
        "6 months ahead), reconciled so regions, products and reps add up to the total.",
        {
            "forecast_date": "The business date the forecast was made on.",
            "segment": "total, or region:<code>, product:<name>, rep:<rep_id>.",
            "grain": "week or month.",
            "period_start": "First day of the forecast period.",
            "period_end": "Last day of the forecast period.",
            "forecast": "Forecast won revenue in the period, in the default currency.",
            "lower": "Lower bound of the interval_level (80%) prediction interval.",
            "upper": "Upper bound of the interval_level (80%) prediction interval.",
            "interval_level": "Coverage of lower/upper (0.8).",
            "lower_95": "Lower bound of the 95% prediction interval.",
            "upper_95": "Upper bound of the 95% prediction interval.",
            "existing_pipeline": "Expected revenue from opportunities open on forecast_date "
            "and expected to close in the period.",
            "new_business": "forecast minus existing_pipeline: revenue still to be found.",
            "method": "The forecasting method that won the backtest for this series.",
            "series_status": "ok, or why the series got a fallback (e.g. short history).",
            "model_name": _MODEL_NAME,
            "model_version": _MODEL_VERSION,
            "model_alias": "The alias the version was loaded by (champion).",
            "forecast_at": "When the forecast was computed (UTC).",
        },
    ),
    "monitoring.pipeline_runs": TableDoc(
        "One row per nightly run: its status and the reconciled row counts of every "
        "delivery processed (rows_in = rows_out + rows_quarantined + rows_rejected + "
        "rows_repeated).",
        {
            "run_date": _RUN_DATE,
            "started_at": "When the run started (UTC).",
            "finished_at": "When the run finished (UTC); null while running.",
            "status": "running, success or failed.",
            "rows_in": "Rows delivered in the files processed for the date.",
            "rows_quarantined": "Rows held in quarantine for breaking a row rule.",
            "rows_out": "Rows loaded into the raw layer.",
            "rows_rejected": "Rows of files refused as a whole.",
            "rows_repeated": "Rows of files delivered again unchanged (not loaded twice).",
            "files_in": "Delivery files processed.",
            "files_rejected": "Delivery files refused as a whole.",
            "message": "Why the run failed, or what it reported (a stage it skipped, and why).",
            "data_docs": "Path of the Great Expectations Data Docs of the run.",
            "paths_skipped": "Landing-zone entries ingest did not read (not a delivery "
            "folder, a symlink out of the landing zone...).",
            "skipped": "Each skipped landing-zone entry and why.",
        },
    ),
    "monitoring.pipeline_stages": TableDoc(
        "One row per run and stage of the night (warehouse, lead_scoring, "
        "revenue_forecast): when it finished, and whether it ran or was skipped. A night is "
        "published only when every stage has a row.",
        {
            "run_date": _RUN_DATE,
            "stage": "warehouse, lead_scoring or revenue_forecast.",
            "finished_at": "When the stage finished (UTC).",
            "status": "done, or skipped (nothing to do, or switched off in salespipe.yml).",
            "detail": "Why a skipped stage was skipped, e.g. no revenue data on or before "
            "the business date; null when it ran.",
        },
    ),
    "monitoring.audit_log": TableDoc(
        "Who did what: one row per state-changing salespipe command, DAG run, training, "
        "promotion, rollback and erasure. Personal data in the arguments is a keyed hash.",
        {
            "at": "When it happened (UTC).",
            "actor": "Who: the OS user, or the Airflow or MLflow user in a team deployment.",
            "action": "What: a command, a DAG run, training, promotion, rollback, erasure.",
            "target": "What it acted on: a business date, a model, a DAG.",
            "arguments": "Its arguments as JSON, personal values replaced by their keyed hash.",
            "outcome": "How it ended: success, failed, or the gate's verdict.",
            "source": "Where the row comes from: the CLI, Airflow, the registry, an erasure.",
        },
    ),
    "monitoring.pipeline_run_tables": TableDoc(
        "One row per run and landing table: the reconciled counts behind pipeline_runs.",
        {
            "run_date": _RUN_DATE,
            "table_name": "The landing table (leads, opportunities, ...).",
            "files": "Delivery files processed.",
            "files_rejected": "Files refused as a whole.",
            "files_repeated": "Files delivered again unchanged.",
            "rows_delivered": "Rows in the files.",
            "rows_loaded": "Rows loaded into raw.",
            "rows_quarantined": "Rows held in quarantine.",
            "rows_rejected": "Rows of refused files.",
            "rows_repeated": "Rows of repeated files.",
        },
    ),
    "monitoring.model_promotions": TableDoc(
        "Every move of a model alias (champion, challenger): by the promotion gate, by hand "
        "in MLflow, or by rollback, with who and why.",
        {
            "moved_at": "When the move was recorded (UTC).",
            "run_date": "The business date of the run that made or noticed the move.",
            "model_name": _MODEL_NAME,
            "alias": "champion or challenger.",
            "action": "challenger, promote, rollback or manual.",
            "from_version": "Version the alias pointed to before; null for a first move.",
            "to_version": "Version the alias points to after.",
            "moved_by": "The gate, salespipe models rollback, or the MLflow UI/API.",
            "reason": "The gate's decision or the reason given.",
        },
    ),
    "monitoring.drift": TableDoc(
        "Data and prediction drift: one row per run, model and feature (feature = "
        "'prediction' for the scores), tonight's scored population against the champion's "
        "reference sample.",
        {
            "run_date": _RUN_DATE,
            "model_name": _MODEL_NAME,
            "model_version": "The champion version whose reference was used.",
            "feature": "The model input, or 'prediction'.",
            "drift_score": "The test's statistic or p-value (see stattest).",
            "threshold": "The test's threshold.",
            "drifted": "True when the feature drifted by its test and threshold.",
            "stattest": "The statistical test Evidently chose or was configured with.",
            "kind": "numerical, categorical or prediction.",
            "reference_rows": "Rows of the reference sample.",
            "current_rows": "Rows of tonight's sample.",
            "note": "Why a feature was skipped, if it was.",
        },
    ),
    "monitoring.drift_runs": TableDoc(
        "One row per run and model: the drift verdict, realised performance, alerts and "
        "whether retraining was requested.",
        {
            "run_date": _RUN_DATE,
            "model_name": _MODEL_NAME,
            "model_version": "The champion version monitored.",
            "features": "Features compared.",
            "drifted_features": "Features that drifted.",
            "share_drifted": "drifted_features / features.",
            "share_threshold": "Share of drifted features that raises an alert.",
            "prediction_drift_score": "Drift score of the predictions.",
            "prediction_drifted": "True when the predictions drifted.",
            "realised_auc": "AUC of past scores whose labels have matured.",
            "realised_score_date": "The score date realised_auc was measured on.",
            "promotion_auc": "The holdout AUC the version was promoted with.",
            "alerts": "The alerts raised, comma-separated; empty when quiet.",
            "retraining_requested": "True when the night asked for retraining.",
            "suppressed_by_cooldown": "True when an alert did not retrain (cooldown).",
            "report_path": "Path of the night's Evidently HTML report.",
            "note": "Anything the run had to say (e.g. no champion yet).",
        },
    ),
    "monitoring.model_performance": TableDoc(
        "Realised performance: one row per model, version and score date whose labels "
        "have matured, recomputed as outcomes arrive.",
        {
            "model_name": _MODEL_NAME,
            "model_version": "The version that made the scores.",
            "score_date": "The date the scores were made.",
            "evaluated_on": "The business date of the evaluation.",
            "label_window_days": "Days after creation a conversion counted.",
            "rows": "Scored leads evaluated.",
            "positives": "Of them, converted within the window.",
            "roc_auc": "Area under the ROC curve.",
            "pr_auc": "Area under the precision-recall curve.",
            "log_loss": "Log loss of the probabilities.",
            "brier": "Brier score of the probabilities.",
            "expected_calibration_error": "Expected calibration error (10 bins).",
            "top_decile_lift": "Conversion rate of the top 10% over the overall rate.",
            "rows_excluded": "Scored leads left out (label not known yet or lead gone).",
        },
    ),
    "monitoring.forecast_performance": TableDoc(
        "Realised forecast accuracy: one row per model, forecast date, grain and segment "
        "once its periods have happened.",
        {
            "model_name": _MODEL_NAME,
            "forecast_date": "The date the forecast was made.",
            "grain": "week or month.",
            "segment": "total, or region:/product:/rep: segment.",
            "evaluated_on": "The business date of the evaluation.",
            "periods": "Completed periods compared.",
            "mae": "Mean absolute error, in the default currency.",
            "scale": "The seasonal-naive in-sample error MASE divides by.",
            "mase": "Mean absolute scaled error (below 1 beats seasonal naive).",
            "coverage_80": "Share of actuals inside the 80% interval.",
            "coverage_95": "Share of actuals inside the 95% interval.",
        },
    ),
    # --- serving (ml/serving, ml/actions): the scoring API's inputs, next-best actions ---
    "monitoring.online_lead_inputs": TableDoc(
        "Leads scored online by the scoring API (salespipe serve): one row per lead per "
        "request, with the model inputs it saw, for the drift monitor. Kept in its own file, "
        "<home>/serving/online_inputs.duckdb, which the service writes every few seconds.",
        {
            "request_id": "The API request (one id per POST /v1/leads/score).",
            "received_at": "When the lead was scored (UTC).",
            "as_of_date": "The as_of date of the request: the night the lead was scored as.",
            "lead_id": "The lead's CRM id, as sent.",
            "model_name": _MODEL_NAME,
            "model_version": _MODEL_VERSION,
            "conversion_probability": "The probability the API answered.",
            "inputs": "JSON object of the model's input columns and the values it saw "
            "(ml.serving.online_log.read_online_inputs turns them back into columns).",
        },
    ),
    "ml.next_best_actions": TableDoc(
        "Next-best actions: one row per open lead per date (deals once a deal model "
        "scores them), ranked, with the action, the reason in words and the rule behind it "
        "(ml/actions/rules.yml). Re-running a date replaces its rows.",
        {
            "action_date": "The business date the action is for.",
            "entity_type": "lead (deal once deal scores exist).",
            "entity_id": "The lead id (marts.lead_features.lead_id).",
            "owner_rep_id": "The lead's owner (marts.sales_reps.rep_id).",
            "rank": "1 = do first: by the rule's order (urgency), then probability.",
            "rep_rank": "The same order within the owner's leads.",
            "action": "The action's id (call_today, book_demo, re_engage, ...).",
            "action_label": "The action in words.",
            "reason": "Why, in words, with the lead's own values.",
            "rule_conditions": "JSON list of the matched rule's conditions, each with the "
            "lead's value.",
            "top_factors": "JSON list of the factors that raised the lead's score "
            "(ml.lead_scores.top_factors positive).",
            "conversion_probability": "The lead's score that night (ml.lead_scores).",
            "grade": "The lead's grade that night; null for a stale lead.",
            "model_name": _MODEL_NAME,
            "model_version": _MODEL_VERSION,
            "association_rate_with_action": "Of past leads in this action's situation whose "
            "label is known, the share that converted when the action happened within its "
            "window: an association, not an effect. Null without enough history.",
            "association_rate_without_action": "The same share when it did not happen.",
            "association_leads_with_action": "Past leads behind the rate with the action.",
            "association_leads_without_action": "Past leads behind the rate without it.",
            "association_note": "The association in words, or why there is none.",
        },
    ),
    "meta.publication": TableDoc(
        "Which night this file shows: one row.",
        {
            "business_date": "The business date the published tables are as of.",
            "published_at": "When this file was published (UTC).",
            "status": "complete: only a night whose every stage finished is published.",
            "run_id": "The run that published it (its log folder under logs/runs).",
        },
    ),
}

_CUSTOM_FIELD = "Custom CRM field {name!r} of the lead (attr_* in the landing zone), as text."

# Views for BI, with their columns' descriptions. Each is created when its tables exist.
CURRENT_LEAD_SCORES_SQL = """
    select
        scores.lead_id,
        scores.score_date,
        scores.conversion_probability,
        scores.score,
        scores.percentile,
        scores.grade,
        scores.is_stale,
        scores.top_factors,
        features.created_at as lead_created_at,
        features.lead_age_days,
        features.days_since_last_activity,
        features.activities_total,
        features.activities_last_14_days,
        features.source,
        features.status,
        features.title_seniority,
        features.company_size_band,
        features.employees,
        features.industry,
        features.country,{custom_fields}
        features.owner_rep_id,
        reps.rep_name as owner_rep_name,
        reps.team as owner_rep_team,
        reps.region as owner_rep_region,
        reps.manager_name as owner_manager_name,
        features.account_id,
        accounts.account_name,
        accounts.industry as account_industry,
        accounts.region as account_region,
        scores.model_name,
        scores.model_version,
        scores.scoring_method,
        scores.scored_at
    from ml.lead_scores as scores
    inner join meta.publication
        on scores.score_date = publication.business_date
    left join marts.lead_features as features
        on scores.lead_id = features.lead_id and scores.score_date = features.as_of_date
    left join marts.sales_reps as reps
        on features.owner_rep_id = reps.rep_id
    left join marts.accounts as accounts
        on features.account_id = accounts.account_id
"""


@dataclass(frozen=True)
class ViewDoc:
    """A view's SQL, the tables it needs, and its descriptions (columns not listed take
    the description of the same-named column of the table in ``borrows``)."""

    sql: str
    needs: tuple[str, ...]
    description: str
    columns: dict[str, str]
    borrows: tuple[str, ...]


VIEWS: dict[str, ViewDoc] = {
    "ml.current_lead_scores": ViewDoc(
        CURRENT_LEAD_SCORES_SQL,
        ("ml.lead_scores", "marts.lead_features", "marts.sales_reps", "marts.accounts"),
        "Tonight's lead scores, one row per lead open on the published business date, with "
        "the lead's, its owner's and its account's attributes: start here for a call list "
        "(filter is_stale = false, order by score desc).",
        {
            "lead_created_at": "When the lead was created (UTC).",
            "owner_rep_name": "Name of the rep owning the lead.",
            "owner_rep_team": "Team of the rep owning the lead.",
            "owner_rep_region": "Region of the rep owning the lead.",
            "owner_manager_name": "Name of the owning rep's manager.",
            "account_name": "Company name of the lead's account.",
            "account_industry": "Industry of the lead's account.",
            "account_region": "Sales region of the lead's account.",
        },
        ("ml.lead_scores", "marts.lead_features"),
    ),
}


def describe_published(con: duckdb.DuckDBPyConnection, catalog: str, source: str) -> None:
    """Make the copied tables of ``catalog`` ready for BI: counts as BIGINT, a comment on
    every table and column, and the BI views.

    HUGEINT (what a SQL ``sum`` of integers gives) is narrowed to BIGINT, because many
    ODBC/JDBC drivers cannot read it; a value beyond BIGINT fails the publish loudly.

    ``source`` is the attached working warehouse the tables were copied from: its
    comments (dbt's descriptions of the marts) are carried over first, then
    :data:`TABLES` and the generic description of custom fields apply.
    """
    tables = _tables(con, catalog)
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and data_type = 'HUGEINT'",
        [catalog],
    ).fetchall():
        con.execute(
            f'alter table "{catalog}"."{schema}"."{table}" alter column "{column}" type bigint'
        )
    for (schema, table), comment in _comments(con, source, tables).items():
        _comment(con, catalog, schema, table, None, comment)
    for (schema, table, column), comment in _column_comments(con, source, tables).items():
        _comment(con, catalog, schema, table, column, comment)
    for name, doc in TABLES.items():
        schema, table = name.split(".")
        if (schema, table) not in tables:
            continue
        _comment(con, catalog, schema, table, None, doc.description)
        for column in _columns(con, catalog, schema, table):
            if column in doc.columns:
                _comment(con, catalog, schema, table, column, doc.columns[column])
    for schema, table in tables:
        for column in _columns(con, catalog, schema, table):
            if column.startswith("attr_"):
                _comment(con, catalog, schema, table, column, _CUSTOM_FIELD.format(name=column))
    for name, view in VIEWS.items():
        if all(tuple(n.split(".")) in tables for n in view.needs):
            _create_view(con, catalog, name, view)
    missing = undocumented(con, catalog)
    if missing:
        log.warning("published without a description: %s", ", ".join(missing))


def undocumented(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Every table, view (``schema.name``) and column (``schema.name.column``) of
    ``catalog`` without a description."""
    relations = con.execute(
        """
        select schema_name || '.' || table_name from duckdb_tables()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        union all
        select schema_name || '.' || view_name from duckdb_views()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        """,
        [catalog, catalog],
    ).fetchall()
    columns = con.execute(
        """
        select schema_name || '.' || table_name || '.' || column_name from duckdb_columns()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        """,
        [catalog],
    ).fetchall()
    return sorted(r[0] for r in relations + columns)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = ? and not internal",
            [catalog],
        ).fetchall()
    )


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? order by column_index",
            [catalog, schema, table],
        ).fetchall()
    ]


def _comments(con, source: str, tables: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    rows = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = ? and coalesce(comment, '') <> ''",
        [source],
    ).fetchall()
    return {(s, t): c for s, t, c in rows if (s, t) in tables}


def _column_comments(
    con, source: str, tables: set[tuple[str, str]]
) -> dict[tuple[str, str, str], str]:
    rows = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and coalesce(comment, '') <> ''",
        [source],
    ).fetchall()
    return {(s, t, col): c for s, t, col, c in rows if (s, t) in tables}


def _create_view(con: duckdb.DuckDBPyConnection, catalog: str, name: str, view: ViewDoc) -> None:
    schema, table = name.split(".")
    # The lead's custom fields, which only the data names, follow its fixed attributes.
    custom = [c for c in _columns(con, catalog, "marts", "lead_features") if c.startswith("attr_")]
    sql = view.sql.format(custom_fields="".join(f'\n        features."{c}",' for c in custom))
    # The view's SQL names its tables without a catalog, so it resolves in whichever
    # file a reader opens; create it with that file as the default catalog.
    previous = con.execute("select current_database()").fetchone()[0]
    con.execute(f'use "{catalog}"')
    try:
        con.execute(f'create or replace view "{schema}"."{table}" as {sql}')
    finally:
        con.execute(f'use "{previous}"')
    _comment(con, catalog, schema, table, None, view.description, kind="view")
    borrowed: dict[str, str] = {}
    for source in view.borrows:
        source_schema, source_table = source.split(".")
        borrowed.update(
            {
                column: comment
                for column, comment in con.execute(
                    "select column_name, comment from duckdb_columns() where database_name = ? "
                    "and schema_name = ? and table_name = ? and coalesce(comment, '') <> ''",
                    [catalog, source_schema, source_table],
                ).fetchall()
                if column not in borrowed
            }
        )
    for column in _columns(con, catalog, schema, table):
        comment = view.columns.get(column) or borrowed.get(column)
        if comment:
            _comment(con, catalog, schema, table, column, comment)


def _comment(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    schema: str,
    table: str,
    column: str | None,
    comment: str,
    kind: str = "table",
) -> None:
    target = f'"{catalog}"."{schema}"."{table}"'
    what = f'column {target}."{column}"' if column else f"{kind} {target}"
    con.execute(f"comment on {what} is '{_quote(comment)}'")


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("'", "''")
