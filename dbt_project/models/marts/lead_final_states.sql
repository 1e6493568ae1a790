{#-
    Every lead's final state as of the business date: one row per lead, with the same
    feature columns as lead_features, closed leads included. Built only for a landing
    zone whose leads are a snapshot of outcomes (a mapping's `final_state: true`, dbt
    var final_state_leads): such an export holds each lead once, as it ended, so its
    converted leads were never seen open and never appear in lead_features. Lead scoring
    then trains on these rows (status and outcome columns are never features).

    The columns mean what they mean in lead_features, for one as-of date D (the business
    date): an activity counts once it had happened and been delivered by D (known_date
    <= D; known_date is never before activity_date), and the last 14 days are the
    activities that happened after D - 14. With one date a plain aggregate does what
    lead_features needs as-of joins for; the data test
    assert_lead_final_states_match_lead_features holds the two to the same values.
-#}
{{ config(enabled=var('final_state_leads', false)) }}

with

lead_versions as (

    select * from {{ ref('int_lead_versions_classified') }}

),

activity_days as (

    select * from {{ ref('int_lead_activities_aggregated_daily') }}

),

leads_as_of_business_date as (

    -- the version current at the end of the business date, whatever its status
    select
        {{ business_date() }} as as_of_date,
        lead_versions.*

    from lead_versions
    where lead_versions.valid_from < {{ business_date() }} + interval 1 day
        and (
            lead_versions.valid_to is null
            or lead_versions.valid_to >= {{ business_date() }} + interval 1 day
        )
        and lead_versions.created_at < {{ business_date() }} + interval 1 day

),

activity_as_of_business_date as (

    -- BIGINT, not the HUGEINT a sum gives: many ODBC/JDBC drivers cannot read HUGEINT
    select
        lead_id,
        max(activity_date) as last_activity_date,
        cast(sum(activities_total) as bigint) as activities_total,
        {%- for activity_type in var('activity_types') %}
        cast(sum(activities_{{ activity_type }}) as bigint) as activities_{{ activity_type }},
        {%- endfor %}
        cast(
            sum(activities_total) filter (where activity_date > {{ business_date() }} - 14)
            as bigint
        ) as activities_last_14_days

    from activity_days
    where known_date <= {{ business_date() }}
    group by lead_id

),

final as (

    select
        leads.lead_id,
        leads.as_of_date,
        leads.created_at,
        date_diff('day', cast(leads.created_at as date), leads.as_of_date) as lead_age_days,
        leads.updated_at as lead_version_updated_at,
        leads.source,
        leads.status,
        leads.title,
        leads.title_seniority,
        leads.employees,
        leads.company_size_band,
        leads.industry,
        leads.country,
        leads.owner_rep_id,
        leads.account_id,
        -- is_free_email_domain, then every custom attr_* column (DuckDB's COLUMNS()
        -- must match at least one column, so the pattern includes one that always exists)
        columns('^(is_free_email_domain|attr_.+)$'),
        coalesce(activity.activities_total, 0) as activities_total,
        {%- for activity_type in var('activity_types') %}
        coalesce(activity.activities_{{ activity_type }}, 0) as activities_{{ activity_type }},
        {%- endfor %}
        coalesce(activity.activities_last_14_days, 0) as activities_last_14_days,
        date_diff('day', activity.last_activity_date, leads.as_of_date) as days_since_last_activity

    from leads_as_of_business_date as leads
    left join activity_as_of_business_date as activity
        on leads.lead_id = activity.lead_id

)

select * from final
