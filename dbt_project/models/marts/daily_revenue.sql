{#-
    Closed-won revenue per day and segment, dense: one row per calendar date x
    (region, product, owner_rep_id) segment, from the first opportunity's creation
    date to the business date, for every segment that has won a deal by the business
    date. Days without a win hold zeros, so forecasters see zeros rather than gaps and
    any roll-up (total, per region, per product, per rep) is a plain group by.
-#}

with

opportunities as (

    select * from {{ ref('int_opportunities_joined_as_of_business_date') }}

),

won_deals as (

    select
        cast(closed_at as date) as revenue_date,
        coalesce(region, 'unknown') as region,
        coalesce(product, 'unknown') as product,
        coalesce(owner_rep_id, 'unknown') as owner_rep_id,
        amount_in_default_currency

    from opportunities
    where is_won
        and closed_at is not null
        and cast(closed_at as date) <= {{ business_date() }}

),

calendar as (

    select
        cast(unnest(generate_series(
            least(cast(min(created_at) as date), {{ business_date() }}),
            {{ business_date() }},
            interval 1 day
        )) as date) as revenue_date
    from opportunities

),

segments as (

    select distinct region, product, owner_rep_id from won_deals
    union all
    -- no win yet at all: one 'unknown' segment keeps the zero-filled total
    select 'unknown', 'unknown', 'unknown'
    where not exists (select 1 from won_deals)

),

revenue_by_day as (

    select
        revenue_date,
        region,
        product,
        owner_rep_id,
        sum(amount_in_default_currency) as won_amount,
        count(*) as won_deals,
        count(*) filter (where amount_in_default_currency is null) as won_deals_without_amount

    from won_deals
    group by revenue_date, region, product, owner_rep_id

),

dense as (

    select
        calendar.revenue_date,
        segments.region,
        segments.product,
        segments.owner_rep_id,
        coalesce(revenue_by_day.won_amount, 0) as won_amount,
        coalesce(revenue_by_day.won_deals, 0) as won_deals,
        coalesce(revenue_by_day.won_deals_without_amount, 0) as won_deals_without_amount

    from calendar
    cross join segments
    left join revenue_by_day
        on calendar.revenue_date = revenue_by_day.revenue_date
        and segments.region = revenue_by_day.region
        and segments.product = revenue_by_day.product
        and segments.owner_rep_id = revenue_by_day.owner_rep_id

),

final as (

    select
        revenue_date,
        region,
        product,
        owner_rep_id,
        cast(won_amount as decimal(18, 2)) as won_amount,
        '{{ var("default_currency") }}' as currency,
        cast(won_deals as integer) as won_deals,
        cast(won_deals_without_amount as integer) as won_deals_without_amount

    from dense

)

select * from final
