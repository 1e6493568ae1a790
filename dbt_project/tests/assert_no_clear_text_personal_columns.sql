{#-
    CONTRACT.md section 4: personal columns exist in clear text only in raw. Fails on
    any column named email, first_name, last_name or phone in a schema dbt builds.
    The depends_on refs below make the test run after the models it guards.
-#}
-- depends_on: {{ ref('lead_features') }}, {{ ref('lead_outcomes') }}, {{ ref('opportunities') }}
-- depends_on: {{ ref('opportunity_stage_history') }}, {{ ref('daily_revenue') }}, {{ ref('market_indicators_daily') }}
-- depends_on: {{ ref('stg_crm__lead_versions') }}, {{ ref('stg_crm__accounts') }}, {{ ref('stg_crm__sales_reps') }}
-- depends_on: {{ ref('stg_crm__activities') }}, {{ ref('stg_crm__opportunity_versions') }}

select
    table_schema,
    table_name,
    column_name
from information_schema.columns
where table_schema in ('staging', 'intermediate', 'marts')
    and lower(column_name) in ('email', 'first_name', 'last_name', 'phone')
