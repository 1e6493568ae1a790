"""Assets the salespipe DAGs hand each other, named after what they stand for.

Not a DAG file (listed in .airflowignore); DAG files import it from the dags folder.
"""

from airflow.sdk import Asset

WAREHOUSE_MARTS = (
    "lead_features",
    "opportunities",
    "opportunity_stage_history",
    "daily_revenue",
    "market_indicators_daily",
)

MART_ASSETS = {name: Asset(f"duckdb://warehouse/marts/{name}") for name in WAREHOUSE_MARTS}
PUBLISHED_WAREHOUSE = Asset("duckdb://warehouse/published")
