{#-
    How every opportunity ended, as known at the end of the business date: won, lost,
    or still open. An open deal is censored (its outcome is not known yet), never
    counted as a loss. Labels for the deal models: win (won vs lost among closed deals)
    and slip (closed won after the close date the deal had on a given as-of date, which
    the model joins from opportunity_features).
-#}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

first_versions as (

    select
        opportunity_id,
        arg_min(close_date, updated_at) as first_close_date,
        arg_min(amount_in_default_currency, updated_at) as first_amount_in_default_currency
    from {{ ref('int_opportunity_versions_sequenced') }}
    group by opportunity_id

),

final as (

    select
        opportunities.opportunity_id,
        opportunities.created_at,
        opportunities.owner_rep_id,
        opportunities.region,
        opportunities.product,
        case
            when opportunities.is_won then 'won'
            when opportunities.is_closed then 'lost'
            else 'open'
        end as outcome,
        opportunities.is_closed,
        opportunities.is_won,
        not opportunities.is_closed as is_censored,
        opportunities.closed_at,
        case when opportunities.is_closed then cast(opportunities.closed_at as date) end
            as closed_on,
        case
            when opportunities.is_closed
                then date_diff(
                        'day',
                        cast(opportunities.created_at as date),
                        cast(opportunities.closed_at as date)
                    )
        end as days_to_close,
        opportunities.amount_in_default_currency,
        case when opportunities.is_won then opportunities.amount_in_default_currency end
            as won_amount_in_default_currency,
        first_versions.first_close_date,
        first_versions.first_amount_in_default_currency,
        opportunities.close_date as last_close_date

    from opportunities
    left join first_versions
        on opportunities.opportunity_id = first_versions.opportunity_id

)

select * from final
