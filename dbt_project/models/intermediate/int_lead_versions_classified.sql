{#-
    Lead versions ready for point-in-time joins, in both senses of time: each dated
    version with the interval of as-of dates it answers "what was this lead on that
    date, as far as we knew then" (valid_from, valid_to), plus derived, non-personal
    attributes.

    A version counts on an as-of date D only once it had happened (updated_at) and been
    delivered (its first delivery date), both by the end of D. So every as-of date
    depends only on what was delivered by then, whatever the business date of the
    build: a late delivery never rewrites the history of dates before it arrived, and
    a history built by a later night (a backfill after D2, a full refresh) equals the
    one built on the night itself.
-#}

with

lead_versions as (

    select * from {{ ref('stg_crm__lead_versions') }}

),

dated as (

    -- A version without updated_at cannot be placed in time, so no point-in-time
    -- question can use it.
    select * from lead_versions
    where updated_at is not null

),

known as (

    -- when the warehouse knew the version: not before it happened, nor before its
    -- first delivery (a delivery dated D is known on D: as-of D sees it)
    select
        *,
        greatest(updated_at, cast(_first_delivery_date as timestamp)) as known_from
    from dated

),

sequenced as (

    select
        *,
        -- a version stops answering as soon as any newer one (a later updated_at) is
        -- known; a newer version known before this one was means it never answers
        min(known_from) over (
            partition by lead_id
            order by updated_at rows between 1 following and unbounded following
        ) as superseded_at,
        -- first seen: the earliest updated_at among the versions known by the time
        -- this one was (the peers known at the same time included)
        min(updated_at) over (
            partition by lead_id
            order by known_from range between unbounded preceding and current row
        ) as first_seen_at
    from known

),

final as (

    select
        lead_id,
        updated_at,
        known_from as valid_from,
        -- null while no newer version is known; equal to valid_from for a version that
        -- never answered (greatest() would skip a null, hence the case)
        case when superseded_at is not null then greatest(superseded_at, known_from) end
            as valid_to,
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
        -- every custom attr_* column, then _delivery_date and _first_delivery_date
        -- (DuckDB's COLUMNS() must match at least one column, so the pattern includes
        -- one that always exists)
        columns('^(attr_.+|_delivery_date|_first_delivery_date)$')

    from sequenced

)

select * from final
