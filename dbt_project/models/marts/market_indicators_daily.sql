{#-
    Market indicators as a daily covariate: one row per indicator per calendar day,
    from the indicator's first observation to the business date, holding the latest
    value observed on or before that day (forward filled across gaps).
-#}

with

observations as (

    select * from {{ ref('stg_crm__market_indicators') }}
    where indicator_value is not null
        and indicator_date <= {{ business_date() }}

),

calendar as (

    select
        indicator,
        cast(
            unnest(
                generate_series(min(indicator_date), {{ business_date() }}, interval 1 day)
            ) as date
        ) as indicator_date
    from observations
    group by indicator

),

filled as (

    select
        calendar.indicator_date,
        calendar.indicator,
        observations.indicator_value,
        observations.indicator_date as observed_on,
        observations.source

    from calendar
    asof left join observations
        on calendar.indicator = observations.indicator
        and calendar.indicator_date >= observations.indicator_date

),

final as (

    select
        indicator_date,
        indicator,
        indicator_value,
        observed_on,
        observed_on = indicator_date as is_observed,
        date_diff('day', observed_on, indicator_date) as days_since_observation,
        source

    from filled

)

select * from final
