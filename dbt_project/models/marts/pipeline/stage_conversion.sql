{#-
    Where deals stall: for each open stage, how the deals that entered it in a month
    went on, as known at the end of the business date. One row per segment, stage and
    cohort month (the month a deal entered the stage); segments are the whole pipeline
    (segment_type 'all'), and each region, product and owner.

    A stage period ends by advancing (the next stage is later in var stage_order and not
    a lost stage), regressing (earlier), or being lost (a lost stage); the deal's own
    outcome (won, lost, still open) counts separately, so conversion to won is judged
    on closed deals only, and an open deal is never counted as a loss.
-#}
{%- set closed_stages = var('won_stages') + var('lost_stages') -%}

with

stage_periods as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

opportunities as (

    select * from {{ ref('opportunities') }}

),

next_periods as (

    select
        stage_periods.*,
        lead(stage_periods.stage) over (
            partition by stage_periods.opportunity_id order by stage_periods.valid_from
        ) as next_stage,
        lead(stage_periods.stage_order) over (
            partition by stage_periods.opportunity_id order by stage_periods.valid_from
        ) as next_stage_order
    from stage_periods

),

open_stage_periods as (

    select
        next_periods.opportunity_id,
        next_periods.stage,
        next_periods.stage_order,
        cast(date_trunc('month', next_periods.valid_from) as date) as cohort_month,
        next_periods.valid_to is null as is_still_in_stage,
        next_periods.next_stage in {{ sql_string_list(var('lost_stages')) }} as is_lost_from_stage,
        next_periods.next_stage not in {{ sql_string_list(var('lost_stages')) }}
        and next_periods.next_stage_order > next_periods.stage_order as is_advanced,
        next_periods.next_stage not in {{ sql_string_list(var('lost_stages')) }}
        and next_periods.next_stage_order < next_periods.stage_order as is_regressed,
        case
            when next_periods.valid_to is not null
                then date_diff(
                        'day',
                        cast(next_periods.valid_from as date),
                        cast(next_periods.valid_to as date)
                    )
        end as days_in_stage,
        opportunities.is_won,
        opportunities.is_closed and not opportunities.is_won as is_lost,
        not opportunities.is_closed as is_open,
        opportunities.region,
        opportunities.product,
        opportunities.owner_rep_id

    from next_periods
    inner join opportunities
        on next_periods.opportunity_id = opportunities.opportunity_id
    where next_periods.stage not in {{ sql_string_list(closed_stages) }}

),

segmented as (

    select 'all' as segment_type, 'all' as segment, * from open_stage_periods
    union all
    select 'region', coalesce(region, 'unknown'), * from open_stage_periods
    union all
    select 'product', coalesce(product, 'unknown'), * from open_stage_periods
    union all
    select 'owner', coalesce(owner_rep_id, 'unknown'), * from open_stage_periods

),

counted as (

    select
        segment_type,
        segment,
        stage,
        any_value(stage_order) as stage_order,
        cohort_month,
        count(*) as entered,
        count(*) filter (where is_advanced) as advanced,
        count(*) filter (where is_regressed) as regressed,
        count(*) filter (where is_lost_from_stage) as lost_from_stage,
        count(*) filter (where is_still_in_stage) as still_in_stage,
        count(*) filter (where is_won) as won,
        count(*) filter (where is_lost) as lost,
        count(*) filter (where is_open) as still_open,
        median(days_in_stage) as median_days_in_stage,
        quantile_cont(days_in_stage, 0.8) as p80_days_in_stage

    from segmented
    group by segment_type, segment, stage, cohort_month

),

final as (

    select
        segment_type,
        segment,
        stage,
        cast(stage_order as integer) as stage_order,
        cohort_month,
        cast(entered as integer) as entered,
        cast(advanced as integer) as advanced,
        cast(regressed as integer) as regressed,
        cast(lost_from_stage as integer) as lost_from_stage,
        cast(still_in_stage as integer) as still_in_stage,
        cast(won as integer) as won,
        cast(lost as integer) as lost,
        cast(still_open as integer) as still_open,
        -- of the periods that have ended, the share that moved on to a later stage
        advanced / nullif(entered - still_in_stage, 0) as conversion_to_next_stage,
        -- of the deals that have closed, the share won
        won / nullif(won + lost, 0) as conversion_to_won,
        median_days_in_stage,
        p80_days_in_stage

    from counted

)

select * from final
