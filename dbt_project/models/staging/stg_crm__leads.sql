{#- The current state of every lead: its latest version (see stg_crm__lead_versions). -#}

with

lead_versions as (

    select * from {{ ref('stg_crm__lead_versions') }}

),

latest as (

    -- Change data capture: the latest updated_at wins; a version without
    -- updated_at loses to every dated one. Versions are already unique per
    -- (lead_id, updated_at), the delivery order only breaks ties among nulls.
    select * from lead_versions
    qualify row_number() over (
        partition by lead_id
        order by updated_at desc nulls last, _delivery_date desc, _source_file desc, _source_row desc
    ) = 1

),

final as (

    select * from latest

)

select * from final
