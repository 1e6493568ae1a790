{#-
    daily_revenue loses and invents nothing: its totals equal the won opportunities
    closed by the business date, in count and in amount.
-#}

with

revenue as (

    select
        sum(won_deals) as won_deals,
        sum(won_amount) as won_amount
    from {{ ref('daily_revenue') }}

),

won as (

    select
        count(*) as won_deals,
        coalesce(sum(amount_in_default_currency), 0) as won_amount
    from {{ ref('opportunities') }}
    where is_won
        and cast(closed_at as date) <= {{ business_date() }}

)

select
    revenue.won_deals as revenue_won_deals,
    won.won_deals as opportunities_won_deals,
    revenue.won_amount as revenue_won_amount,
    won.won_amount as opportunities_won_amount
from revenue
cross join won
where revenue.won_deals != won.won_deals
    or revenue.won_amount != won.won_amount
