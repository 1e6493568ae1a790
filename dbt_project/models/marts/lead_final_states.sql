{#-
    Every lead's final state as of the business date: one row per lead, with the same
    feature columns as lead_features, closed leads included. Built only for a landing
    zone whose leads are a snapshot of outcomes (a mapping's `final_state: true`, dbt
    var final_state_leads): such an export holds each lead once, as it ended, so its
    converted leads were never seen open and never appear in lead_features. Lead scoring
    then trains on these rows (status and outcome columns are never features).
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
        and (lead_versions.valid_to is null or lead_versions.valid_to >= {{ business_date() }} + interval 1 day)
        and lead_versions.created_at < {{ business_date() }} + interval 1 day

),

{{ lead_feature_ctes('leads_as_of_business_date') }}

select * from final
