{#-
    Lead versions ready for point-in-time joins: each dated version with the time it
    stopped being current (valid_to), plus derived, non-personal attributes.
-#}

with

lead_versions as (

    select * from {{ ref('stg_crm__lead_versions') }}

),

dated as (

    -- A version without updated_at cannot be placed in time, so no point-in-time
    -- question can use it (it still shows in stg_crm__leads if it is all there is).
    select * from lead_versions
    where updated_at is not null

),

sequenced as (

    select
        *,
        lead(updated_at) over (partition by lead_id order by updated_at) as valid_to,
        min(updated_at) over (partition by lead_id) as first_seen_at
    from dated

),

final as (

    select
        lead_id,
        updated_at as valid_from,
        valid_to,
        -- a lead whose created_at is missing or unparsable counts as created when first seen
        coalesce(created_at, first_seen_at) as created_at,
        source,
        status,
        status in {{ sql_string_list(var('open_lead_statuses')) }} as is_open,
        status = 'converted' or converted_at is not null as is_converted,
        converted_at,
        converted_opportunity_id,
        title,
        {{ title_seniority('title') }} as title_seniority,
        employees,
        {{ company_size_band('employees') }} as company_size_band,
        industry,
        country,
        owner_rep_id,
        account_id,
        email_domain,
        is_free_email_domain,
        -- every custom attr_* column, then _delivery_date (DuckDB's COLUMNS() must
        -- match at least one column, so the pattern includes one that always exists)
        columns('^(attr_.+|_delivery_date)$')

    from sequenced

)

select * from final
