"""
### nightly_next_best_actions

Tells reps what to do next with each open lead, every night once lead scoring has
written and published `ml.lead_scores` (data-aware: scheduled on its Asset).

1. **write_next_best_actions**: one row per open lead in `ml.next_best_actions` for the
   business date: the first rule of `ml/actions/rules.yml` (or
   `$SALESPIPE_HOME/next_best_actions.yml`) that the lead's score and features match
   gives its action, a reason in words and the conditions and factors behind it; leads
   are ranked by how urgent the action is, then by probability, overall and per rep.
   Where past nights allow, each action carries how often leads in that situation
   converted when the action happened against when it did not (an association, not an
   effect). A missing or invalid rule stops the task before anything is written.
   Deals get no action until a deal model scores them.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from salespipe_assets import BUSINESS_DATE_PARAMS, LEAD_SCORES, WAREHOUSE_POOL, business_date_of


@dag(
    dag_id="nightly_next_best_actions",
    schedule=[LEAD_SCORES],
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params=BUSINESS_DATE_PARAMS,
    doc_md=__doc__,
    tags=["salespipe", "next_best_actions", "nightly"],
    default_args={
        "owner": "ml-engineering",
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    },
)
def nightly_next_best_actions():
    @task
    def write_next_best_actions(params=None, triggering_asset_events=None) -> int:
        from ml.actions.steps import write_next_best_actions

        return write_next_best_actions(business_date_of(params, triggering_asset_events))

    write_next_best_actions()


nightly_next_best_actions()
