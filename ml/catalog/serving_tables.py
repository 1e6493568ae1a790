"""The tables of acting on scores: next-best actions, and the scoring API's inputs."""

from __future__ import annotations

from ml.catalog.declare import Table, columns
from ml.catalog.ml_tables import MODEL_NAME, MODEL_VERSION

NEXT_BEST_ACTIONS = Table(
    "ml.next_best_actions",
    "Next-best actions: one row per open lead and per open deal per date, leads and deals "
    "ranked apart, with the action, the reason in words, the factors and the rule behind "
    "it (ml/actions/rules.yml for leads, ml/actions/deal_rules.yml for deals). Lead rows "
    "come from nightly_lead_scoring, deal rows from nightly_opportunity_scoring; "
    "re-running either replaces only its own rows of the date.",
    columns(
        ("action_date", "date", "The business date the action is for."),
        ("entity_type", "varchar", "lead or deal: what entity_id names."),
        ("entity_id", "varchar", "The lead id (marts.lead_features.lead_id) or, for a deal, "
         "the opportunity id (marts.opportunity_features.opportunity_id)."),
        ("owner_rep_id", "varchar", "The lead's or deal's owner (marts.sales_reps.rep_id)."),
        ("rank", "bigint", "1 = do first, among the date's rows of the same entity_type: by "
         "the rule's order (urgency), then the lead's probability or the deal's expected "
         "value."),
        ("rep_rank", "bigint", "The same order within the owner's leads (or deals)."),
        ("action", "varchar", "The action's id (leads: call_today, book_demo, re_engage, ...; "
         "deals: escalate, push_to_close, re_qualify, re_engage, advance)."),
        ("action_label", "varchar", "The action in words."),
        ("reason", "varchar", "Why, in words, with the lead's or deal's own values."),
        ("rule_conditions", "varchar", "JSON list of the matched rule's conditions, each with "
         "the lead's or deal's value."),
        ("top_factors", "varchar", "JSON list of the factors that raised the score "
         "(ml.lead_scores.top_factors or ml.opportunity_scores.top_factors positive)."),
        ("conversion_probability", "double", "The lead's score that night (ml.lead_scores); "
         "null for a deal."),
        ("grade", "varchar", "The lead's grade that night; null for a stale lead and a deal."),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", MODEL_VERSION),
        ("association_rate_with_action", "double", "Of past leads (deals) in this action's "
         "situation whose label is known, the share that converted (were won) when the action "
         "happened within its window: an association, not an effect. Null without enough "
         "history."),
        ("association_rate_without_action", "double", "The same share when it did not happen."),
        ("association_leads_with_action", "bigint", "Past leads (deals) behind the rate with "
         "the action."),
        ("association_leads_without_action", "bigint", "Past leads (deals) behind the rate "
         "without it."),
        ("association_note", "varchar", "The association in words, or why there is none."),
        ("negative_factors", "varchar", "JSON list of the factors that lowered the score "
         "(top_factors negative of ml.lead_scores or ml.opportunity_scores)."),
        ("win_probability", "double", "The deal's win probability that night "
         "(ml.opportunity_scores); null for a lead."),
        ("slip_probability", "double", "The deal's probability of slipping past its close "
         "date that night (ml.opportunity_scores); null for a lead."),
        ("expected_value", "double", "The deal's win probability times its amount, in the "
         "default currency (ml.opportunity_scores); null for a lead."),
    ),
    grain=("action_date", "entity_type", "entity_id"),
    partition_by=("action_date", "entity_type"),
    suite="ml.next_best_actions",
)  # fmt: skip

ONLINE_LEAD_INPUTS = Table(
    "monitoring.online_lead_inputs",
    "Leads scored online by the scoring API (salespipe serve): one row per lead per "
    "request, with the model inputs it saw, for the drift monitor. Kept in its own file, "
    "<home>/serving/online_inputs.duckdb, which the service writes every few seconds.",
    columns(
        ("request_id", "varchar", "The API request (one id per POST /v1/leads/score)."),
        ("received_at", "timestamp", "When the lead was scored (UTC)."),
        ("as_of_date", "date", "The as_of date of the request: the night the lead was scored as."),
        ("lead_id", "varchar", "The lead's CRM id, as sent."),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", MODEL_VERSION),
        ("conversion_probability", "double", "The probability the API answered."),
        ("inputs", "varchar", "JSON object of the model's input columns and the values it saw "
         "(ml.serving.online_log.read_online_inputs turns them back into columns)."),
    ),
    grain=("request_id", "lead_id"),
    partition_by=("request_id",),
)  # fmt: skip

ONLINE_DRIFT = Table(
    "monitoring.online_drift",
    "Drift of the scoring API's inputs: one row per date, model and feature (feature = "
    "'prediction' for the probabilities), the leads scored online for that date "
    "(monitoring.online_lead_inputs, each lead's latest score) against the champion's "
    "reference sample, with the nightly drift's tests and thresholds.",
    columns(
        ("run_date", "date", "The as_of date of the online scores compared."),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", "The champion version whose reference was used; online "
         "scores by other versions are left out (and counted in note)."),
        ("feature", "varchar", "The model input, or 'prediction'."),
        ("drift_score", "double", "The test's statistic; null when not compared."),
        ("threshold", "double", "The test's threshold."),
        ("drifted", "boolean", "True when the feature drifted by its test and threshold."),
        ("stattest", "varchar", "The statistical test (as in monitoring.drift)."),
        ("kind", "varchar", "numeric or categorical; empty when not compared."),
        ("reference_rows", "bigint", "Rows of the reference sample compared."),
        ("current_rows", "bigint", "Online values compared."),
        ("online_rows", "bigint", "Leads scored online for the date by that version."),
        ("note", "varchar", "How many leads were compared, and why a feature was not."),
    ),
    grain=("run_date", "model_name", "feature"),
    partition_by=("run_date", "model_name"),
)  # fmt: skip

SERVING_TABLES = (NEXT_BEST_ACTIONS, ONLINE_LEAD_INPUTS, ONLINE_DRIFT)
