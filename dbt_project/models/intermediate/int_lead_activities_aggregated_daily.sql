{#-
    Activity counts per lead per UTC day and type, and per day they became known.
    Aggregating first keeps the point-in-time windows of lead_features small (days with
    activity, not activities).
-#}

with

activities as (

    select * from {{ ref('stg_crm__activities') }}
    where lead_id is not null
        and occurred_at is not null

),

dated as (

    select
        *,
        cast(occurred_at as date) as activity_date,
        -- the day the warehouse knew the activity: the day it happened, or its first
        -- delivery if that came later (an as-of date sees it from then on)
        greatest(cast(occurred_at as date), _first_delivery_date) as known_date
    from activities

),

aggregated as (

    select
        lead_id,
        activity_date,
        known_date,
        count(*) as activities_total,
        {%- for activity_type in var('activity_types') %}
        count(*) filter (where activity_type = '{{ activity_type }}')
            as activities_{{ activity_type }},
        {%- endfor %}
        min(occurred_at) as first_activity_at,
        max(occurred_at) as last_activity_at

    from dated
    group by lead_id, activity_date, known_date

),

final as (

    select * from aggregated

)

select * from final
