{#-
    pipeline_flow reconciles to the cent, in two ways:
    1. every row: start + new + increase - decrease - won - lost - moved_out + moved_in
       = end, so every sum of rows (any period, segment or movement) reconciles too;
    2. every period's start and end equal the open pipeline computed independently:
       the end from marts.opportunities (the deals open tonight, by their close date's
       period), the start from the deal versions in force at the comparison's start.
    Returns the rows or periods that do not.
-#}

with

flow as (

    select * from {{ ref('pipeline_flow') }}
    where snapshot_date = {{ business_date() }}

),

unbalanced_rows as (

    select
        'row ' || opportunity_id as what,
        comparison,
        grain,
        period_start,
        start_amount + new_amount + increase_amount - decrease_amount - won_amount
            - lost_amount - moved_out_amount + moved_in_amount as expected,
        end_amount as actual
    from flow
    where abs(
        start_amount + new_amount + increase_amount - decrease_amount - won_amount
        - lost_amount - moved_out_amount + moved_in_amount - end_amount
    ) > 0.005

),

flow_totals as (

    select
        comparison,
        grain,
        period_start,
        any_value(compared_with_date) as compared_with_date,
        sum(start_amount) as start_amount,
        sum(end_amount) as end_amount
    from flow
    group by comparison, grain, period_start

),

grains as (

    select distinct comparison, grain, compared_with_date from flow

),

open_tonight as (

    select
        grains.comparison,
        grains.grain,
        cast(date_trunc(grains.grain, opportunities.close_date) as date) as period_start,
        sum(coalesce(opportunities.amount_in_default_currency, 0)) as amount
    from {{ ref('opportunities') }} as opportunities
    cross join grains
    where not opportunities.is_closed
        and opportunities.close_date is not null
    group by all

),

open_at_start as (

    select
        grains.comparison,
        grains.grain,
        cast(date_trunc(grains.grain, versions.close_date) as date) as period_start,
        sum(coalesce(versions.amount_in_default_currency, 0)) as amount
    from {{ ref('int_opportunity_versions_sequenced') }} as versions
    inner join grains
        on versions.valid_from < grains.compared_with_date + interval 1 day
        and (versions.valid_to is null or versions.valid_to >= grains.compared_with_date + interval 1 day)
    where not versions.is_closed
        and versions.close_date is not null
    group by all

),

unbalanced_periods as (

    select
        'period end' as what,
        coalesce(flow_totals.comparison, open_tonight.comparison) as comparison,
        coalesce(flow_totals.grain, open_tonight.grain) as grain,
        coalesce(flow_totals.period_start, open_tonight.period_start) as period_start,
        coalesce(open_tonight.amount, 0) as expected,
        coalesce(flow_totals.end_amount, 0) as actual
    from flow_totals
    full outer join open_tonight
        on flow_totals.comparison = open_tonight.comparison
        and flow_totals.grain = open_tonight.grain
        and flow_totals.period_start = open_tonight.period_start
    where abs(coalesce(open_tonight.amount, 0) - coalesce(flow_totals.end_amount, 0)) > 0.005

    union all

    select
        'period start',
        coalesce(flow_totals.comparison, open_at_start.comparison),
        coalesce(flow_totals.grain, open_at_start.grain),
        coalesce(flow_totals.period_start, open_at_start.period_start),
        coalesce(open_at_start.amount, 0),
        coalesce(flow_totals.start_amount, 0)
    from flow_totals
    full outer join open_at_start
        on flow_totals.comparison = open_at_start.comparison
        and flow_totals.grain = open_at_start.grain
        and flow_totals.period_start = open_at_start.period_start
    where abs(coalesce(open_at_start.amount, 0) - coalesce(flow_totals.start_amount, 0)) > 0.005

)

select * from unbalanced_rows
union all
select * from unbalanced_periods
