{%- set columns = crm_source_columns(
    'activities', required=['activity_id', 'occurred_at', 'activity_type']
) -%}

with

source as (

    select * from {{ source('crm', 'activities') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'activity_id') }} as activity_id,
        {{ crm_timestamp(columns, 'occurred_at') }} as occurred_at,
        {{ crm_code(columns, 'activity_type') }} as activity_type,
        {{ crm_text(columns, 'lead_id') }} as lead_id,
        {{ crm_text(columns, 'opportunity_id') }} as opportunity_id,
        {{ crm_text(columns, 'account_id') }} as account_id,
        {{ crm_text(columns, 'rep_id') }} as rep_id,
        {{ crm_code(columns, 'channel') }} as channel,
        {{ crm_integer(columns, 'duration_seconds') }} as duration_seconds,
        -- `subject` and `body_text` are free text that can name or quote people; they
        -- stay in raw until a use needs them (with scrubbing), so nothing reads them.
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.activities,
    -- expectations/raw/activities.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where activity_id is not null

),

deduplicated as (

    -- Activities carry no updated_at: the latest delivery of an activity wins. The
    -- date it was first delivered is kept: from then on the warehouse knew it.
    select
        *,
        min(_delivery_date) over (partition by activity_id) as _first_delivery_date
    from keyed
    qualify row_number() over (
            partition by activity_id
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
