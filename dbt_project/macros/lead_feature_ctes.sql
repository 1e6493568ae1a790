{#-
    The feature columns of a lead as of a date, shared by lead_features (open leads, per
    as-of date) and lead_final_states (every lead's final state): one definition, so a
    model trained on one scores the other's rows with the same columns.

    leads_as_of: the name of a CTE holding as_of_date and the columns of
    int_lead_versions_classified (one row per lead per as-of date); a CTE named
    activity_days (int_lead_activities_aggregated_daily) must be in scope. Emits CTEs
    ending in `final`.

    Point in time in both senses: on an as-of date D, a lead's activities are those
    that happened by the end of D and had been delivered by then (known_date <= D), so
    a history row never changes when a late delivery arrives after its date.
-#}
{% macro lead_feature_ctes(leads_as_of) %}
activity_known_days as (

    -- An activity counts on an as-of date D once it had happened and been delivered,
    -- both by D (its known_date): one row per lead per day something became known.
    select
        lead_id,
        known_date,
        max(activity_date) as last_activity_date,
        sum(activities_total) as activities_total
        {%- for activity_type in var('activity_types') %},
        sum(activities_{{ activity_type }}) as activities_{{ activity_type }}
        {%- endfor %}

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
        cast(sum(activities_total) over lead_days as bigint) as activities_total
        {%- for activity_type in var('activity_types') %},
        cast(sum(activities_{{ activity_type }}) over lead_days as bigint) as activities_{{ activity_type }}
        {%- endfor %}

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

    select lead_id, as_of_date from {{ leads_as_of }}

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
        coalesce(before_window.activities_total, 0) + coalesce(late_before_window.activities_total, 0)
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
        coalesce(activity_as_of.activities_{{ activity_type }}, 0) as activities_{{ activity_type }},
        {%- endfor %}
        coalesce(activity_as_of.activities_total, 0) - activity_as_of.activities_total_before_window
            as activities_last_14_days

    from {{ leads_as_of }} as open_leads
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
{% endmacro %}
