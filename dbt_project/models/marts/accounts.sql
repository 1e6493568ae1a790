{#-
    The accounts, one row per account: a dimension BI tools join to on account_id,
    with how many opportunities each has, open and won, by the business date. The
    load's bookkeeping columns stay in staging.
-#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunities as (

    select * from {{ ref('opportunities') }}

),

opportunity_counts as (

    select
        account_id,
        count(*) as opportunities,
        count(*) filter (where not is_closed) as open_opportunities,
        count(*) filter (where is_won) as won_opportunities

    from opportunities
    group by account_id

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.employees,
        accounts.annual_revenue,
        accounts.country,
        accounts.region,
        accounts.created_at,
        accounts.updated_at,
        coalesce(opportunity_counts.opportunities, 0) as opportunities,
        coalesce(opportunity_counts.open_opportunities, 0) as open_opportunities,
        coalesce(opportunity_counts.won_opportunities, 0) as won_opportunities

    from accounts
    left join opportunity_counts
        on accounts.account_id = opportunity_counts.account_id

)

select * from final
