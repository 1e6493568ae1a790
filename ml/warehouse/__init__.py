"""The DuckDB warehouse: loading deliveries, running dbt, publishing a copy for BI."""
