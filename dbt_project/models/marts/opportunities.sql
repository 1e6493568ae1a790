{#- One row per opportunity: its state at the end of the business date. -#}

with

opportunities as (

    select * from {{ ref('int_opportunities_joined_as_of_business_date') }}

),

final as (

    select
        opportunity_id,
        created_at,
        updated_at,
        account_id,
        account_name,
        account_industry,
        region,
        owner_rep_id,
        owner_rep_name,
        owner_rep_team,
        lead_id,
        product,
        stage,
        stage_order,
        amount,
        currency,
        amount_in_default_currency,
        close_date,
        is_closed,
        is_won,
        closed_at,
        days_open,
        stage_changes

    from opportunities

)

select * from final
