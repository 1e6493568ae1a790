{#- lead_final_states computes the lead features for one date with a plain aggregate,
    lead_features for many with as-of joins: on the business date, a lead open then has
    the same row in both, so a model trained on one scores the other's rows alike. -#}
{{ config(enabled=var('final_state_leads', false)) }}

with

open_on_business_date as (

    select * from {{ ref('lead_features') }}
    where as_of_date = {{ business_date() }}

),

final_states_of_open_leads as (

    select * from {{ ref('lead_final_states') }}
    where lead_id in (select lead_id from open_on_business_date)

),

final as (

    (select * from final_states_of_open_leads except all select * from open_on_business_date)
    union all
    (select * from open_on_business_date except all select * from final_states_of_open_leads)

)

select * from final
