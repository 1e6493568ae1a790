{#-
    Every version of every opportunity as a validity interval of what the warehouse
    knew, so a mart can read any opportunity's state on any date as it was known then:
    the version with valid_from < date + 1 day and (valid_to is null or valid_to >=
    date + 1 day). A version is known from the later of its updated_at and its first
    delivery, until a newer version (by updated_at) became known; one delivered so late
    that a newer version was already known is never current (valid_to <= valid_from).
    Each version also carries what its history shows up to then: how often and by how
    many days the close date was pushed, the first amount, and whether it is closed.
    Only versions updated by the end of the business date are used.
-#}
{%- set closed_stages = var('won_stages') + var('lost_stages') -%}

with

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}
    where updated_at < {{ business_date() }} + interval 1 day

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

ordered as (

    select
        opportunity_id,
        updated_at,
        greatest(updated_at, cast(_first_delivery_date as timestamp)) as valid_from,
        min(greatest(updated_at, cast(_first_delivery_date as timestamp))) over (
            partition by opportunity_id order by updated_at
            rows between 1 following and unbounded following
        ) as valid_to,
        created_at,
        account_id,
        owner_rep_id,
        lead_id,
        product,
        stage,
        {{ stage_order('stage') }} as stage_order,
        close_date,
        lag(close_date)
            over (partition by opportunity_id order by updated_at)
            as previous_close_date,
        {{ to_default_currency('amount', 'currency') }} as amount_in_default_currency,
        first_value({{ to_default_currency('amount', 'currency') }}) over (
            partition by opportunity_id order by updated_at
        ) as first_amount_in_default_currency,
        -- stage is authoritative (vars won_stages / lost_stages); the CRM's own flags
        -- count only when the stage is missing, as in marts.opportunities
        case
            when stage is null then coalesce(is_closed, false)
            else stage in {{ sql_string_list(closed_stages) }}
        end as is_closed,
        case
            when stage is null then coalesce(is_won, false)
            else stage in {{ sql_string_list(var('won_stages')) }}
        end as is_won

    from opportunity_versions

),

pushes as (

    select
        *,
        -- a push: an open version whose close date is later than the version before it
        (not is_closed and close_date > previous_close_date) as is_close_date_push,
        case
            when not is_closed and close_date > previous_close_date
                then date_diff('day', previous_close_date, close_date)
            else 0
        end as days_pushed

    from ordered

),

final as (

    select
        pushes.opportunity_id,
        pushes.updated_at,
        pushes.valid_from,
        pushes.valid_to,
        pushes.created_at,
        pushes.account_id,
        pushes.owner_rep_id,
        pushes.lead_id,
        pushes.product,
        coalesce(accounts.region, sales_reps.region) as region,
        accounts.industry as account_industry,
        accounts.employees as account_employees,
        pushes.stage,
        pushes.stage_order,
        pushes.close_date,
        pushes.amount_in_default_currency,
        pushes.first_amount_in_default_currency,
        pushes.is_closed,
        pushes.is_won,
        cast(sum(case when pushes.is_close_date_push then 1 else 0 end) over (
            partition by pushes.opportunity_id order by pushes.updated_at rows unbounded preceding
        ) as integer) as close_date_pushes,
        cast(sum(pushes.days_pushed) over (
            partition by pushes.opportunity_id order by pushes.updated_at rows unbounded preceding
        ) as integer) as close_date_days_pushed

    from pushes
    left join accounts
        on pushes.account_id = accounts.account_id
    left join sales_reps
        on pushes.owner_rep_id = sales_reps.rep_id

)

select * from final
