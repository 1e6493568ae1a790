{#-
    Every opportunity as it stood at the end of the business date (its latest version
    updated by then), joined to its account, its owning rep and its stage periods, with
    the closing facts derived from them (closed_at, days_open, stage_changes).
    Computing it as of the business date keeps a backfill from seeing later changes.
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

stage_periods as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

as_of_business_date as (

    select * from opportunity_versions
    qualify row_number() over (partition by opportunity_id order by updated_at desc) = 1

),

first_closed_version as (

    select
        opportunity_id,
        min(updated_at) as first_closed_version_at
    from opportunity_versions
    where stage in {{ sql_string_list(closed_stages) }}
    group by opportunity_id

),

stage_summary as (

    select
        opportunity_id,
        count(*) - 1 as stage_changes,
        min(valid_from) filter (where stage in {{ sql_string_list(closed_stages) }})
            as first_closed_stage_at
    from stage_periods
    group by opportunity_id

),

joined as (

    select
        opportunities.opportunity_id,
        opportunities.created_at,
        opportunities.updated_at,
        opportunities.account_id,
        accounts.account_name,
        accounts.industry as account_industry,
        coalesce(accounts.region, sales_reps.region) as region,
        opportunities.owner_rep_id,
        sales_reps.rep_name as owner_rep_name,
        sales_reps.team as owner_rep_team,
        opportunities.lead_id,
        opportunities.product,
        opportunities.stage,
        {{ stage_order('opportunities.stage') }} as stage_order,
        opportunities.amount,
        coalesce(opportunities.currency, '{{ var("default_currency") }}') as currency,
        {{ to_default_currency('opportunities.amount', 'opportunities.currency') }}
            as amount_in_default_currency,
        opportunities.close_date,
        -- stage is authoritative (vars won_stages / lost_stages); the CRM's own flags
        -- are used only when the stage is missing
        case
            when opportunities.stage is null then coalesce(opportunities.is_closed, false)
            else opportunities.stage in {{ sql_string_list(closed_stages) }}
        end as is_closed,
        case
            when opportunities.stage is null then coalesce(opportunities.is_won, false)
            else opportunities.stage in {{ sql_string_list(var('won_stages')) }}
        end as is_won,
        opportunities.closed_at as crm_closed_at,
        stage_summary.first_closed_stage_at,
        first_closed_version.first_closed_version_at,
        coalesce(stage_summary.stage_changes, 0) as stage_changes

    from as_of_business_date as opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join sales_reps
        on opportunities.owner_rep_id = sales_reps.rep_id
    left join stage_summary
        on opportunities.opportunity_id = stage_summary.opportunity_id
    left join first_closed_version
        on opportunities.opportunity_id = first_closed_version.opportunity_id

),

final as (

    select
        * exclude (crm_closed_at, first_closed_stage_at, first_closed_version_at),
        case
            when is_closed
                then coalesce(
                        crm_closed_at, first_closed_stage_at, first_closed_version_at, updated_at
                    )
        end as closed_at,
        date_diff(
            'day',
            cast(created_at as date),
            case
                when is_closed
                    then cast(
                            coalesce(
                                crm_closed_at,
                                first_closed_stage_at,
                                first_closed_version_at,
                                updated_at
                            ) as date
                        )
                else {{ business_date() }}
            end
        ) as days_open

    from joined

)

select * from final
