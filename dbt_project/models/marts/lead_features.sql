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
    select
        cast(unnest(generate_series(
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
    where cast(lead_versions.created_at as date) + cast(ages.age_days as integer)
        <= {{ business_date() }}
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
        and (
            lead_versions.valid_to is null
            or lead_versions.valid_to >= as_of_dates.as_of_date + interval 1 day
        )
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
        and (
            lead_versions.valid_to is null
            or lead_versions.valid_to >= life_points_off_grid.as_of_date + interval 1 day
        )
        and lead_versions.created_at < life_points_off_grid.as_of_date + interval 1 day
    where lead_versions.is_open
    {%- endif %}

),

activity_known_days as (

    -- An activity counts on an as-of date D once it had happened and been delivered,
    -- both by D (its known_date): one row per lead per day something became known.
    select
        lead_id,
        known_date,
        max(activity_date) as last_activity_date,
        {%- for activity_type in var('activity_types') %}
        sum(activities_{{ activity_type }}) as activities_{{ activity_type }},
        {%- endfor %}
        sum(activities_total) as activities_total

    from activity_days
    group by lead_id, known_date

),

activity_running_totals as (

    -- running totals per lead over the days its activities became known, so that one
    -- as-of join returns everything known by a date
    select
        lead_id,
        known_date,
        max(last_activity_date) over lead_days as last_activity_date,
        -- BIGINT, not the HUGEINT a sum gives: many ODBC/JDBC drivers cannot read HUGEINT
        {%- for activity_type in var('activity_types') %}
        cast(sum(activities_{{ activity_type }}) over lead_days as bigint)
            as activities_{{ activity_type }},
        {%- endfor %}
        cast(sum(activities_total) over lead_days as bigint) as activities_total

    from activity_known_days
    window lead_days as (partition by lead_id order by known_date rows unbounded preceding)

),

late_activity_days as (

    -- activities delivered after the day they happened: the only ones that can be known
    -- by D although they happened before D - 14 yet became known after it
    select lead_id, activity_date, known_date, activities_total
    from activity_days
    where known_date > activity_date

),

lead_dates as (

    select lead_id, as_of_date from open_leads_as_of

),

late_before_window as (

    select
        lead_dates.lead_id,
        lead_dates.as_of_date,
        cast(sum(late_activity_days.activities_total) as bigint) as activities_total

    from lead_dates
    inner join late_activity_days
        on lead_dates.lead_id = late_activity_days.lead_id
        and late_activity_days.activity_date <= lead_dates.as_of_date - 14
        and late_activity_days.known_date > lead_dates.as_of_date - 14
        and late_activity_days.known_date <= lead_dates.as_of_date
    group by lead_dates.lead_id, lead_dates.as_of_date

),

activity_as_of as (

    -- the as-of joins run on the narrow (lead_id, as_of_date) keys only: they sort
    -- their inputs, which is much cheaper without the wide lead columns
    select
        lead_dates.lead_id,
        lead_dates.as_of_date,
        to_date.last_activity_date,
        to_date.activities_total,
        {%- for activity_type in var('activity_types') %}
        to_date.activities_{{ activity_type }},
        {%- endfor %}
        coalesce(before_window.activities_total, 0)
        + coalesce(late_before_window.activities_total, 0)
            as activities_total_before_window

    from lead_dates
    -- everything known by the end of D (so happened by then too)
    asof left join activity_running_totals as to_date
        on lead_dates.lead_id = to_date.lead_id
        and lead_dates.as_of_date >= to_date.known_date
    -- what happened by D - 14 (before the 14 days ending on D) and was known by D: all
    -- that was known by D - 14, plus what happened by then but became known later
    asof left join activity_running_totals as before_window
        on lead_dates.lead_id = before_window.lead_id
        and lead_dates.as_of_date - 14 >= before_window.known_date
    left join late_before_window
        on lead_dates.lead_id = late_before_window.lead_id
        and lead_dates.as_of_date = late_before_window.as_of_date

),

with_activity as (

    select
        open_leads.*,
        activity_as_of.last_activity_date,
        coalesce(activity_as_of.activities_total, 0) as activities_total,
        {%- for activity_type in var('activity_types') %}
        coalesce(activity_as_of.activities_{{ activity_type }}, 0)
            as activities_{{ activity_type }},
        {%- endfor %}
        coalesce(activity_as_of.activities_total, 0) - activity_as_of.activities_total_before_window
            as activities_last_14_days

    from open_leads_as_of as open_leads
    inner join activity_as_of
        on open_leads.lead_id = activity_as_of.lead_id
        and open_leads.as_of_date = activity_as_of.as_of_date

),

final as (

    select
        lead_id,
        as_of_date,
        created_at,
        date_diff('day', cast(created_at as date), as_of_date) as lead_age_days,
        updated_at as lead_version_updated_at,
        source,
        status,
        title,
        title_seniority,
        employees,
        company_size_band,
        industry,
        country,
        owner_rep_id,
        account_id,
        -- is_free_email_domain, then every custom attr_* column (DuckDB's COLUMNS()
        -- must match at least one column, so the pattern includes one that always exists)
        columns('^(is_free_email_domain|attr_.+)$'),
        activities_total,
        {%- for activity_type in var('activity_types') %}
        activities_{{ activity_type }},
        {%- endfor %}
        activities_last_14_days,
        date_diff('day', last_activity_date, as_of_date) as days_since_last_activity

    from with_activity

)

select * from final
