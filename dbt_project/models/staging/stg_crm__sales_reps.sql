{%- set columns = crm_source_columns(
    'sales_reps', required=['rep_id', 'rep_name', 'updated_at']
) -%}

with

source as (

    select * from {{ source('crm', 'sales_reps') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'rep_id') }} as rep_id,
        {{ crm_text(columns, 'rep_name') }} as rep_name,
        {{ crm_timestamp(columns, 'updated_at') }} as updated_at,
        {{ crm_code(columns, 'team') }} as team,
        {{ crm_upper_code(columns, 'region') }} as region,
        {{ crm_text(columns, 'manager_id') }} as manager_id,
        {{ crm_date(columns, 'hired_at') }} as hired_on,
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.sales_reps,
    -- expectations/raw/sales_reps.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where rep_id is not null

),

deduplicated as (

    -- Change data capture: the latest updated_at wins, ties go to the latest delivery.
    select * from keyed
    qualify row_number() over (
            partition by rep_id
            order by
                updated_at desc nulls last, _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
