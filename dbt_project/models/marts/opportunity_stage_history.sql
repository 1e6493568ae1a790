{#-
    Type-2 history of opportunity stages: one row per opportunity per stage period.
    Built from the CRM's own change timestamps rather than a dbt snapshot, which would
    date each change by when dbt happened to run and so be wrong for backfills and
    late deliveries.
-#}

with

stage_periods as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

final as (

    select
        opportunity_id,
        stage_sequence,
        stage,
        stage_order,
        previous_stage,
        valid_from,
        valid_to,
        is_current,
        amount,
        close_date,
        days_in_stage

    from stage_periods

)

select * from final
