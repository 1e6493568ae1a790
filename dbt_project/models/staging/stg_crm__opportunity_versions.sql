{#-
    Every distinct version of every opportunity: one row per (opportunity_id,
    updated_at). Lets the marts compute an opportunity's state as of a business date.
-#}
{%- set columns = crm_source_columns(
    'opportunities',
    required=[
        'opportunity_id',
        'account_id',
        'created_at',
        'updated_at',
        'stage',
        'amount',
        'close_date',
    ]
) -%}

with

source as (

    select * from {{ source('crm', 'opportunities') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'opportunity_id') }} as opportunity_id,
        {{ crm_timestamp(columns, 'updated_at') }} as updated_at,
        {{ crm_timestamp(columns, 'created_at') }} as created_at,
        {{ crm_text(columns, 'account_id') }} as account_id,
        {{ crm_text(columns, 'owner_rep_id') }} as owner_rep_id,
        {{ crm_text(columns, 'lead_id') }} as lead_id,
        {{ crm_code(columns, 'stage') }} as stage,
        {{ crm_code(columns, 'product') }} as product,
        {{ crm_amount(columns, 'amount') }} as amount,
        {{ crm_upper_code(columns, 'currency') }} as currency,
        {{ crm_date(columns, 'close_date') }} as close_date,
        {{ crm_boolean(columns, 'is_closed') }} as is_closed,
        {{ crm_boolean(columns, 'is_won') }} as is_won,
        {{ crm_timestamp(columns, 'closed_at') }} as closed_at,
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.opportunities,
    -- expectations/raw/opportunities.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where opportunity_id is not null

),

deduplicated as (

    -- The same version delivered again keeps its latest values, and the date it was
    -- first delivered: from then on the warehouse knew it (point-in-time history).
    select
        *,
        min(_delivery_date) over (partition by opportunity_id, updated_at) as _first_delivery_date
    from keyed
    qualify row_number() over (
            partition by opportunity_id, updated_at
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
