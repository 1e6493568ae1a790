{%- set columns = crm_source_columns(
    'opportunity_stage_history', required=['opportunity_id', 'stage', 'changed_at']
) -%}

with

source as (

    select * from {{ source('crm', 'opportunity_stage_history') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'opportunity_id') }} as opportunity_id,
        {{ crm_timestamp(columns, 'changed_at') }} as changed_at,
        {{ crm_code(columns, 'stage') }} as stage,
        {{ crm_amount(columns, 'amount') }} as amount,
        {{ crm_date(columns, 'close_date') }} as close_date,
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw
    -- (quarantine.opportunity_stage_history, expectations/raw/opportunity_stage_history.yml);
    -- this filter is only a defence for a raw table loaded some other way.
    select * from renamed
    where opportunity_id is not null
        and changed_at is not null

),

deduplicated as (

    -- The same change delivered again keeps the latest delivery, and the date it was
    -- first delivered: from then on the warehouse knew it (point-in-time history).
    select
        *,
        min(_delivery_date) over (partition by opportunity_id, changed_at) as _first_delivery_date
    from keyed
    qualify row_number() over (
            partition by opportunity_id, changed_at
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
