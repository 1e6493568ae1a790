with

{{ crm_accounts_keyed() }}

deduplicated as (

    -- Change data capture: the latest updated_at wins, ties go to the latest delivery.
    select * from keyed
    qualify row_number() over (
            partition by account_id
            order by
                updated_at desc nulls last, _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
