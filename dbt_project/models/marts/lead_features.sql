{#-
    Lead-scoring features: one row per open lead per as-of date, point-in-time
    correct in both senses of time. A row for as-of date D sees only what had happened
    by the end of D (UTC) and had been delivered by then: the lead's latest version
    with updated_at <= D among those delivered by D, and its activities with
    occurred_at <= D delivered by D. So a partition never depends on the business date
    of the build that wrote it: a full build on a later night (a backfill after a later
    date, a --full-refresh) writes the history partitions the earlier nights would have. Rows: leads created on or before D whose status as of D is open
    (var open_lead_statuses).

    Incremental, one partition per as_of_date:
    - full build (table absent or --full-refresh): a history grid, one as-of date per
      var('lead_feature_history_grain') (week: Sundays) from the first lead's creation
      up to the business date, plus the business date itself, plus each lead at the
      ages in var('lead_life_point_days') (0, 7, 30: its creation day, a week, a month);
    - incremental run: only as_of_date = business date, replacing that date's rows,
      and dropping any later as-of date (left by a later night: a re-run or backfill of
      D gives the table the night of D gave, never partitions from its future).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        pre_hook=[
            "set asof_loop_join_threshold = 0",
            "{% if is_incremental() %}delete from {{ this }} where as_of_date >= {{ business_date() }}{% endif %}",
        ]
    )
}}
{#- Pre-hooks: (1) DuckDB turns an as-of join whose left side it estimates as small
    into a nested-loop join; its estimate for the as-of-date grid is tiny while the
    real side has millions of rows, which made that plan take tens of minutes at 1M
    leads, so the rewrite is switched off. (2) Empty the business date and every later
    one first, also when no lead is open on it any more, a case delete+insert alone
    (which deletes only the dates it inserts) would miss. -#}
{%- set grain = var('lead_feature_history_grain') -%}
{%- if grain not in ['day', 'week', 'month'] -%}
    {{ exceptions.raise_compiler_error("var lead_feature_history_grain must be day, week or month; got '" ~ grain ~ "'") }}
{%- endif -%}

with

lead_versions as (

    select * from {{ ref('int_lead_versions_classified') }}

),

activity_days as (

    select * from {{ ref('int_lead_activities_aggregated_daily') }}

),

{%- if is_incremental() %}

as_of_dates as (

    select {{ business_date() }} as as_of_date

),

{%- else %}

history_bounds as (

    select cast(min(created_at) as date) as first_date
    from lead_versions
    having min(created_at) is not null

),

history_grid as (

    {%- if grain == 'day' %}
    select cast(unnest(generate_series(first_date, {{ business_date() }}, interval 1 day)) as date) as as_of_date
    from history_bounds
    {%- elif grain == 'week' %}
    -- week ends: the first Sunday on or after the first creation, then every 7 days
    select cast(unnest(generate_series(
        date_trunc('week', first_date) + interval 6 day, {{ business_date() }}, interval 7 day
    )) as date) as as_of_date
    from history_bounds
    {%- else %}
    -- month ends
    select last_day(cast(unnest(generate_series(
        date_trunc('month', first_date), {{ business_date() }}, interval 1 month
    )) as date)) as as_of_date
    from history_bounds
    {%- endif %}

),

as_of_dates as (

    select as_of_date from history_grid
    where as_of_date <= {{ business_date() }}
    union
    select {{ business_date() }} as as_of_date

),

life_points as (

    -- Each lead also at fixed ages (var lead_life_point_days: its creation day, a week,
    -- a month), so a lead that converts before the first grid date still has a row, and
    -- models are judged once per lead at comparable points of its life. Points that fall
    -- on a grid date are already there.
    select distinct
        lead_versions.lead_id,
        cast(lead_versions.created_at as date) + cast(ages.age_days as integer) as as_of_date
    from lead_versions
    cross join (select unnest({{ var('lead_life_point_days') }}) as age_days) as ages
    where cast(lead_versions.created_at as date) + cast(ages.age_days as integer) <= {{ business_date() }}
        -- a point only from a version known by then (see int_lead_versions_classified)
        and lead_versions.valid_from
            < cast(lead_versions.created_at as date) + cast(ages.age_days as integer) + interval 1 day

),

life_points_off_grid as (

    select life_points.*
    from life_points
    anti join as_of_dates on life_points.as_of_date = as_of_dates.as_of_date

),

{%- endif %}

open_leads_as_of as (

    -- The version current at the end of D as known then: updated and delivered by
    -- then, and not yet replaced by a newer version updated and delivered by then
    -- (valid_from / valid_to, int_lead_versions_classified).
    select
        as_of_dates.as_of_date,
        lead_versions.*

    from as_of_dates
    inner join lead_versions
        on lead_versions.valid_from < as_of_dates.as_of_date + interval 1 day
        and (lead_versions.valid_to is null or lead_versions.valid_to >= as_of_dates.as_of_date + interval 1 day)
        and lead_versions.created_at < as_of_dates.as_of_date + interval 1 day
    where lead_versions.is_open
    {%- if not is_incremental() %}

    union all

    select
        life_points_off_grid.as_of_date,
        lead_versions.*

    from life_points_off_grid
    inner join lead_versions
        on life_points_off_grid.lead_id = lead_versions.lead_id
        and lead_versions.valid_from < life_points_off_grid.as_of_date + interval 1 day
        and (lead_versions.valid_to is null or lead_versions.valid_to >= life_points_off_grid.as_of_date + interval 1 day)
        and lead_versions.created_at < life_points_off_grid.as_of_date + interval 1 day
    where lead_versions.is_open
    {%- endif %}

),

{{ lead_feature_ctes('open_leads_as_of') }}

select * from final
