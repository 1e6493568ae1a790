{#-
    Activity counts per lead per UTC day and type. Aggregating first keeps the
    point-in-time windows of lead_features small (days with activity, not activities).
-#}

with

activities as (

    select * from {{ ref('stg_crm__activities') }}
    where lead_id is not null
        and occurred_at is not null

),

aggregated as (

    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        count(*) as activities_total,
        {%- for activity_type in var('activity_types') %}
        count(*) filter (where activity_type = '{{ activity_type }}') as activities_{{ activity_type }},
        {%- endfor %}
        min(occurred_at) as first_activity_at,
        max(occurred_at) as last_activity_at

    from activities
    group by lead_id, cast(occurred_at as date)

),

final as (

    select * from aggregated

)

select * from final
