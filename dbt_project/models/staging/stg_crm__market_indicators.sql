{%- set columns = crm_source_columns(
    'market_indicators', required=['date', 'indicator', 'value']
) -%}

with

source as (

    select * from {{ source('crm', 'market_indicators') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_code(columns, 'indicator') }} as indicator,
        {{ crm_date(columns, 'date') }} as indicator_date,
        {{ crm_double(columns, 'value') }} as indicator_value,
        {{ crm_code(columns, 'source') }} as source,
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.market_indicators,
    -- expectations/raw/market_indicators.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where indicator is not null
        and indicator_date is not null

),

deduplicated as (

    -- A value delivered again (a revision) keeps the latest delivery.
    select * from keyed
    qualify row_number() over (
            partition by indicator, indicator_date
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
