{#-
    Every distinct version of every lead: one row per (lead_id, updated_at). The base
    of point-in-time work (int_lead_versions_classified). Personal columns are
    hashed here (macros/pii.sql); nothing past raw ever sees them in clear text.
-#}
{%- set columns = crm_source_columns(
    'leads', required=['lead_id', 'created_at', 'updated_at', 'source', 'status']
) -%}

with

source as (

    select * from {{ source('crm', 'leads') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'lead_id') }} as lead_id,
        {{ crm_timestamp(columns, 'updated_at') }} as updated_at,
        {{ crm_timestamp(columns, 'created_at') }} as created_at,
        {{ crm_code(columns, 'source') }} as source,
        {{ crm_code(columns, 'status') }} as status,
        {{ crm_text(columns, 'company') }} as company,
        {{ crm_text(columns, 'title') }} as title,
        {{ crm_upper_code(columns, 'country') }} as country,
        {{ crm_code(columns, 'industry') }} as industry,
        {{ crm_integer(columns, 'employees') }} as employees,
        {{ crm_text(columns, 'owner_rep_id') }} as owner_rep_id,
        {{ crm_text(columns, 'account_id') }} as account_id,
        {{ crm_timestamp(columns, 'converted_at') }} as converted_at,
        {{ crm_text(columns, 'converted_opportunity_id') }} as converted_opportunity_id,

        -- personal data: only a non-personal derivative and keyed hashes leave this model
        {{ email_domain(crm_text(columns, 'email')) }} as email_domain,
        {{ is_free_email_domain(email_domain(crm_text(columns, 'email'))) }}
            as is_free_email_domain,
        {{ pii_hash(crm_text(columns, 'email')) }} as email_hash,
        {{ pii_hash(crm_text(columns, 'first_name')) }} as first_name_hash,
        {{ pii_hash(crm_text(columns, 'last_name')) }} as last_name_hash,
        {{ pii_hash(crm_text(columns, 'phone')) }} as phone_hash,

        -- custom fields, discovered in the raw table, passed through as text
        {%- for column in attr_columns(columns) %}
        {{ crm_text(columns, column) }} as {{ adapter.quote(column) }},
        {%- endfor %}

        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.leads,
    -- expectations/raw/leads.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where lead_id is not null

),

deduplicated as (

    -- One row per version: a version delivered more than once (a repeated or
    -- corrected delivery) keeps the latest delivery, then file, then row, and the
    -- date it was first delivered: from then on the warehouse knew it (the
    -- point-in-time history of lead_features asks what was known on each date).
    select
        *,
        min(_delivery_date) over (partition by lead_id, updated_at) as _first_delivery_date
    from keyed
    qualify row_number() over (
            partition by lead_id, updated_at
            order by _delivery_date desc, _source_file desc, _source_row desc
        ) = 1

),

final as (

    select * from deduplicated

)

select * from final
