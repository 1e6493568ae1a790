{#-
    Stage periods of every opportunity, as known at the end of the business date:
    consecutive history rows in the same stage form one period (gaps and islands);
    each period is valid from its first change until the next period starts.
-#}

with

stage_changes as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}
    where changed_at < {{ business_date() }} + interval 1 day

),

flagged as (

    select
        *,
        -- not (a is distinct from b): sqlfluff's DuckDB dialect cannot parse `is not distinct from`
        case
            when not (lag(stage, 1, '<start>') over changes_in_order is distinct from stage) then 0
            else 1
        end as is_new_period
    from stage_changes
    window changes_in_order as (partition by opportunity_id order by changed_at)

),

numbered as (

    select
        *,
        sum(is_new_period) over (
            partition by opportunity_id order by changed_at rows unbounded preceding
        ) as period_number
    from flagged

),

periods as (

    select
        opportunity_id,
        period_number,
        any_value(stage) as stage,
        min(changed_at) as valid_from,
        -- the latest values recorded while the opportunity was in this stage
        arg_max(amount, changed_at) filter (where amount is not null) as amount,
        arg_max(close_date, changed_at) filter (where close_date is not null) as close_date,
        count(*) as changes_in_period

    from numbered
    group by opportunity_id, period_number

),

bounded as (

    select
        *,
        lead(valid_from) over (partition by opportunity_id order by valid_from) as valid_to,
        lag(stage) over (partition by opportunity_id order by valid_from) as previous_stage
    from periods

),

final as (

    select
        opportunity_id,
        cast(period_number as integer) as stage_sequence,
        stage,
        {{ stage_order('stage') }} as stage_order,
        previous_stage,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        amount,
        close_date,
        date_diff(
            'day', cast(valid_from as date), coalesce(cast(valid_to as date), {{ business_date() }})
        ) as days_in_stage,
        cast(changes_in_period as integer) as changes_in_period

    from bounded

)

select * from final
