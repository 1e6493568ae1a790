{#- The current state of every opportunity: its latest version (see stg_crm__opportunity_versions). -#}

with

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}

),

latest as (

    -- Change data capture: the latest updated_at wins; a version without
    -- updated_at loses to every dated one.
    select * from opportunity_versions
    qualify row_number() over (
        partition by opportunity_id
        order by updated_at desc nulls last, _delivery_date desc, _source_file desc, _source_row desc
    ) = 1

),

final as (

    select * from latest

)

select * from final
