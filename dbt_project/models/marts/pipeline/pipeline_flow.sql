{#-
    How the pipeline moved: tonight (the business date) against the previous night
    (comparison 'day') and against a week before (comparison 'week'). One row per deal
    and period it touched; periods are the months and quarters of the deals' close
    dates (grain 'month' / 'quarter'). The pipeline of a period on a date is the
    amount of the deals open at the end of that date whose close date falls in it.

    Every row reconciles on its own, and so any sum of rows does:
        start + new + increase - decrease - won - lost - moved_out + moved_in = end
    - start / end: the deal's amount in this period's pipeline then and now (0 if not in it);
    - new: a deal created since (or reopened) that is in the period now, or that was
      created and closed in between with its close date in the period;
    - increase / decrease: its amount change while it stayed in the period, or until it closed;
    - won / lost: it closed in between, at its closing amount;
    - moved_out / moved_in: its close date moved it to another period (a push to a later
      one, a pull to an earlier one), at its amount then / now.
    The movement column names the main thing that happened to the deal.
    Segments (region, product, owner) are the deal's as of tonight, so a segment's rows
    reconcile too. Incremental: each run replaces its business date's rows.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='snapshot_date',
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where snapshot_date >= {{ business_date() }}{% endif %}",
        ]
    )
}}

with

versions as (

    select * from {{ ref('int_opportunity_versions_sequenced') }}

),

comparisons as (

    select
        'day' as comparison,
        {{ business_date() }} - 1 as start_date,
        {{ business_date() }} as end_date
    union all
    select 'week', {{ business_date() }} - 7, {{ business_date() }}

),

grains as (

    select unnest(['month', 'quarter']) as grain

),

states as (

    -- each deal's version in force at the end of each comparison's start and end date
    select
        comparisons.comparison,
        versions.opportunity_id,
        max(case when versions.valid_from < comparisons.start_date + interval 1 day
                and (
                    versions.valid_to is null
                    or versions.valid_to >= comparisons.start_date + interval 1 day
                )
                then versions.valid_from
        end) as start_version_at,
        max(case when versions.valid_from < comparisons.end_date + interval 1 day
                and (
                    versions.valid_to is null
                    or versions.valid_to >= comparisons.end_date + interval 1 day
                )
                then versions.valid_from
        end) as end_version_at,
        any_value(comparisons.start_date) as start_date
    from comparisons
    cross join versions
    group by comparisons.comparison, versions.opportunity_id

),

paired as (

    select
        states.comparison,
        states.start_date,
        states.opportunity_id,
        cast(start_state.opportunity_id is not null as boolean) as existed_at_start,
        coalesce(not start_state.is_closed, false) as is_open_at_start,
        start_state.close_date as start_close_date,
        start_state.stage_order as start_stage_order,
        coalesce(start_state.amount_in_default_currency, 0) as start_amount,
        end_state.is_closed as is_closed_at_end,
        end_state.is_won as is_won_at_end,
        end_state.close_date as end_close_date,
        end_state.stage_order as end_stage_order,
        coalesce(end_state.amount_in_default_currency, 0) as end_amount,
        end_state.region,
        end_state.product,
        end_state.owner_rep_id
    from states
    inner join versions as end_state
        on end_state.opportunity_id = states.opportunity_id
        and end_state.valid_from = states.end_version_at
    left join versions as start_state
        on start_state.opportunity_id = states.opportunity_id
        and start_state.valid_from = states.start_version_at

),

touched as (

    -- the periods a deal touches: the one it was in at the start (if open then) and the
    -- one it is in now (its close date then and now)
    select
        paired.*,
        grains.grain,
        case when paired.is_open_at_start
                then cast(date_trunc(grains.grain, paired.start_close_date) as date)
        end as start_period,
        cast(date_trunc(grains.grain, paired.end_close_date) as date) as end_period
    from paired
    cross join grains
    -- unchanged closed deals and deals closed before the start touch no pipeline
    where paired.is_open_at_start or not paired.is_closed_at_end
        or not paired.existed_at_start

),

periods as (

    select touched.*, touched.start_period as period_start
    from touched
    where touched.start_period is not null
    union
    select touched.*, touched.end_period as period_start
    from touched
    -- a deal closed in between counts in its start period (where it was); only a deal
    -- that was not open at the start counts, when closed, in its closing period
    where not touched.is_closed_at_end or not touched.is_open_at_start

),

classified as (

    select
        *,
        is_open_at_start and start_period = period_start as was_in_period,
        not is_closed_at_end and end_period = period_start as is_in_period
    from periods

),

amounts as (

    select
        *,
        case when was_in_period then start_amount else 0 end as start_in_period,
        case when is_in_period then end_amount else 0 end as end_in_period,
        -- new: not open at the start, and now in the period or closed with its close date in it
        case when not is_open_at_start then end_amount else 0 end as new_amount,
        -- amount changes count while the deal stays in the period, or up to its close
        case when was_in_period and (is_in_period or is_closed_at_end) and end_amount > start_amount
                then end_amount - start_amount
            else 0
        end as increase_amount,
        case when was_in_period and (is_in_period or is_closed_at_end) and end_amount < start_amount
                then start_amount - end_amount
            else 0
        end as decrease_amount,
        case when is_closed_at_end and is_won_at_end then end_amount else 0 end as won_amount,
        case when is_closed_at_end and not is_won_at_end then end_amount else 0 end as lost_amount,
        case
            when
                was_in_period and not is_in_period and not is_closed_at_end
                then start_amount
            else 0
        end as moved_out_amount,
        case
            when is_open_at_start and not was_in_period and is_in_period then end_amount else 0
        end as moved_in_amount
    from classified
    -- a deal without a close date is in no period's pipeline
    where period_start is not null

),

final as (

    select
        {{ business_date() }} as snapshot_date,
        comparison,
        start_date as compared_with_date,
        grain,
        period_start,
        opportunity_id,
        region,
        product,
        owner_rep_id,
        case
            when not is_open_at_start and is_closed_at_end and is_won_at_end then 'won'
            when not is_open_at_start and is_closed_at_end then 'lost'
            when not is_open_at_start then 'new'
            when is_closed_at_end and is_won_at_end then 'won'
            when is_closed_at_end then 'lost'
            when
                was_in_period and not is_in_period and end_close_date > start_close_date
                then 'pushed_out'
            when was_in_period and not is_in_period then 'pulled_out'
            when
                not was_in_period and is_in_period and end_close_date > start_close_date
                then 'pushed_in'
            when not was_in_period and is_in_period then 'pulled_in'
            when end_stage_order > start_stage_order then 'stage_advanced'
            when end_stage_order < start_stage_order then 'stage_regressed'
            when end_amount > start_amount then 'amount_up'
            when end_amount < start_amount then 'amount_down'
            else 'unchanged'
        end as movement,
        start_in_period as start_amount,
        new_amount,
        increase_amount,
        decrease_amount,
        won_amount,
        lost_amount,
        moved_out_amount,
        moved_in_amount,
        end_in_period as end_amount,
        end_in_period - start_in_period as amount_delta

    from amounts

)

select * from final
