{#-
    Every distinct version of every account: one row per (account_id, updated_at), so a
    mart can read an account as it was known on a past date (opportunity_features'
    history). stg_crm__accounts keeps only the latest version.
-#}

with

{{ crm_accounts_keyed() }}

deduplicated as (

    -- One row per version (account_id, updated_at): the same version delivered again
    -- keeps its latest values, and the date it was first delivered (from then on the
    -- warehouse knew it).
    select
        *,
        min(_delivery_date) over (partition by account_id, updated_at) as _first_delivery_date
    from keyed
    qualify row_number() over (
            partition by account_id, updated_at
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
