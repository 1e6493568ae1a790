{#-
    The CTEs both account staging models start from: the accounts delivered up to the
    business date (point in time), renamed and cast, keyed. stg_crm__accounts keeps each
    account's latest version, stg_crm__account_versions every version.
-#}
{% macro crm_accounts_keyed() -%}
{%- set columns = crm_source_columns('accounts', required=['account_id', 'account_name', 'created_at', 'updated_at']) -%}
source as (

    select * from {{ source('crm', 'accounts') }}
    -- Point in time: a night sees only the deliveries dated on or before its business
    -- date, so a backfill (or a re-run after later nights) never sees the future.
    where _delivery_date <= {{ business_date() }}

),

renamed as (

    select
        {{ crm_text(columns, 'account_id') }} as account_id,
        {{ crm_text(columns, 'account_name') }} as account_name,
        {{ crm_timestamp(columns, 'created_at') }} as created_at,
        {{ crm_timestamp(columns, 'updated_at') }} as updated_at,
        {{ crm_code(columns, 'industry') }} as industry,
        {{ crm_integer(columns, 'employees') }} as employees,
        {{ crm_amount(columns, 'annual_revenue') }} as annual_revenue,
        {{ crm_upper_code(columns, 'country') }} as country,
        {{ crm_upper_code(columns, 'region') }} as region,
        _delivery_date,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

keyed as (

    -- Ingest quarantines rows without a key before they reach raw (quarantine.accounts,
    -- expectations/raw/accounts.yml); this filter is only a defence for a raw table
    -- loaded some other way.
    select * from renamed
    where account_id is not null

),
{%- endmacro %}
