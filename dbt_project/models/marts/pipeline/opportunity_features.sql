{#-
    Deal features: one row per open opportunity per as-of date, point-in-time correct.
    A row for as-of date D sees only what had happened by the end of D (UTC): the
    deal's latest version updated by then, its stage periods begun by then, its and
    its account's activities up to D, and, for its owner's track record and the
    stages' typical durations, only deals and stage periods that had ended before D.

    Incremental, one partition per as_of_date, like lead_features: a full build makes a
    history grid (every Sunday from the first deal's creation, plus the business date);
    an incremental run replaces only the business date and drops any later date.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where as_of_date >= {{ business_date() }}{% endif %}",
        ]
    )
}}

with

versions as (

    select * from {{ ref('int_opportunity_versions_sequenced') }}

),

stage_periods as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

account_versions as (

    -- each account version with the time the warehouse knew it, until a newer one was
    -- known: a row for as-of date D shows the account as known at the end of D
    select
        account_id,
        industry,
        employees,
        greatest(updated_at, cast(_first_delivery_date as timestamp)) as known_from,
        min(greatest(updated_at, cast(_first_delivery_date as timestamp))) over (
            partition by account_id order by updated_at
            rows between 1 following and unbounded following
        ) as known_to
    from {{ ref('stg_crm__account_versions') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}
    where occurred_at < {{ business_date() }} + interval 1 day

),

{%- if is_incremental() %}

as_of_dates as (

    select {{ business_date() }} as as_of_date

),

{%- else %}

history_bounds as (

    select cast(min(created_at) as date) as first_date
    from versions
    having min(created_at) is not null

),

as_of_dates as (

    -- week ends: the first Sunday on or after the first creation, then every 7 days
    select
        cast(unnest(generate_series(
            date_trunc('week', first_date) + interval 6 day, {{ business_date() }}, interval 7 day
        )) as date) as as_of_date
    from history_bounds
    union
    select {{ business_date() }}

),

{%- endif %}

open_deals as (

    -- each deal's version in force at the end of the as-of date, if it was then open
    select
        as_of_dates.as_of_date,
        versions.*
    from as_of_dates
    inner join versions
        on versions.valid_from < as_of_dates.as_of_date + interval 1 day
        and (
            versions.valid_to is null
            or versions.valid_to >= as_of_dates.as_of_date + interval 1 day
        )
    where not versions.is_closed

),

current_stage_entered as (

    select
        open_deals.as_of_date,
        open_deals.opportunity_id,
        max(stage_periods.valid_from) as stage_entered_at
    from open_deals
    inner join stage_periods
        on stage_periods.opportunity_id = open_deals.opportunity_id
        and stage_periods.valid_from < open_deals.as_of_date + interval 1 day
    group by all

),

stage_medians as (

    -- how long deals stayed in each stage, over the stage periods that ended in the
    -- year before the as-of date
    select
        as_of_dates.as_of_date,
        stage_periods.stage,
        median(date_diff('day', stage_periods.valid_from, stage_periods.valid_to)) as median_days
    from as_of_dates
    inner join stage_periods
        on stage_periods.valid_to < as_of_dates.as_of_date + interval 1 day
        and stage_periods.valid_to >= as_of_dates.as_of_date - interval 365 day
    group by all

),

deal_activity_days as (

    select
        opportunity_id,
        -- counted from the day the warehouse knew it (a late delivery is not history)
        greatest(cast(occurred_at as date), _first_delivery_date) as activity_date,
        count(*) as activities
    from activities
    where opportunity_id is not null
    group by all

),

account_activity_days as (

    select
        account_id,
        -- counted from the day the warehouse knew it (a late delivery is not history)
        greatest(cast(occurred_at as date), _first_delivery_date) as activity_date,
        count(*) as activities
    from activities
    where account_id is not null
    group by all

),

deal_activity as (

    select
        open_deals.as_of_date,
        open_deals.opportunity_id,
        sum(days.activities) filter (where days.activity_date > open_deals.as_of_date - 7)
            as activities_7d,
        sum(days.activities) filter (where days.activity_date > open_deals.as_of_date - 30)
            as activities_30d,
        date_diff('day', max(days.activity_date), open_deals.as_of_date) as days_since_last_activity
    from open_deals
    inner join deal_activity_days as days
        on days.opportunity_id = open_deals.opportunity_id
        and days.activity_date <= open_deals.as_of_date
    group by open_deals.as_of_date, open_deals.opportunity_id

),

account_activity as (

    select
        open_deals.as_of_date,
        open_deals.opportunity_id,
        sum(days.activities) filter (where days.activity_date > open_deals.as_of_date - 7)
            as account_activities_7d,
        sum(days.activities) filter (where days.activity_date > open_deals.as_of_date - 30)
            as account_activities_30d,
        date_diff('day', max(days.activity_date), open_deals.as_of_date)
            as account_days_since_last_activity
    from open_deals
    inner join account_activity_days as days
        on days.account_id = open_deals.account_id
        and days.activity_date <= open_deals.as_of_date
    group by open_deals.as_of_date, open_deals.opportunity_id

),

closed_deals as (

    -- each deal's closing version: when it closed and how
    select
        opportunity_id,
        arg_min(owner_rep_id, valid_from) as owner_rep_id,
        cast(min(valid_from) as date) as closed_on,
        arg_min(is_won, valid_from) as is_won
    from versions
    where is_closed
    group by opportunity_id

),

owner_record as (

    -- the owner's deals closed before the as-of date
    select
        as_of_dates.as_of_date,
        closed_deals.owner_rep_id,
        count(*) as owner_closed_deals,
        avg(case when closed_deals.is_won then 1.0 else 0.0 end) as owner_win_rate
    from as_of_dates
    inner join closed_deals
        on closed_deals.closed_on < as_of_dates.as_of_date
    group by all

),

final as (

    select
        open_deals.opportunity_id,
        open_deals.as_of_date,
        open_deals.created_at,
        open_deals.account_id,
        open_deals.owner_rep_id,
        open_deals.lead_id,
        open_deals.product,
        open_deals.region,
        account_as_of.industry as account_industry,
        account_as_of.employees as account_employees,
        open_deals.stage,
        open_deals.stage_order as stage_index,
        date_diff(
            'day',
            cast(coalesce(current_stage_entered.stage_entered_at, open_deals.created_at) as date),
            open_deals.as_of_date
        )
            as days_in_stage,
        stage_medians.median_days as stage_median_days,
        date_diff(
            'day',
            cast(coalesce(current_stage_entered.stage_entered_at, open_deals.created_at) as date),
            open_deals.as_of_date
        )
        / nullif(stage_medians.median_days, 0) as days_in_stage_vs_median,
        date_diff('day', cast(open_deals.created_at as date), open_deals.as_of_date) as age_days,
        open_deals.amount_in_default_currency,
        open_deals.first_amount_in_default_currency,
        open_deals.amount_in_default_currency
        - open_deals.first_amount_in_default_currency as amount_change_in_default_currency,
        open_deals.close_date,
        date_diff('day', open_deals.as_of_date, open_deals.close_date) as days_to_close_date,
        open_deals.close_date_pushes,
        open_deals.close_date_days_pushed,
        cast(coalesce(deal_activity.activities_7d, 0) as integer) as activities_7d,
        cast(coalesce(deal_activity.activities_30d, 0) as integer) as activities_30d,
        deal_activity.days_since_last_activity,
        cast(coalesce(account_activity.account_activities_7d, 0) as integer)
            as account_activities_7d,
        cast(coalesce(account_activity.account_activities_30d, 0) as integer)
            as account_activities_30d,
        account_activity.account_days_since_last_activity,
        cast(coalesce(owner_record.owner_closed_deals, 0) as integer) as owner_closed_deals,
        owner_record.owner_win_rate

    from open_deals
    left join account_versions as account_as_of
        on account_as_of.account_id = open_deals.account_id
        and account_as_of.known_from < open_deals.as_of_date + interval 1 day
        and (
            account_as_of.known_to is null
            or account_as_of.known_to >= open_deals.as_of_date + interval 1 day
        )
    left join current_stage_entered
        on open_deals.as_of_date = current_stage_entered.as_of_date
        and open_deals.opportunity_id = current_stage_entered.opportunity_id
    left join stage_medians
        on open_deals.as_of_date = stage_medians.as_of_date
        and open_deals.stage = stage_medians.stage
    left join deal_activity
        on open_deals.as_of_date = deal_activity.as_of_date
        and open_deals.opportunity_id = deal_activity.opportunity_id
    left join account_activity
        on open_deals.as_of_date = account_activity.as_of_date
        and open_deals.opportunity_id = account_activity.opportunity_id
    left join owner_record
        on open_deals.as_of_date = owner_record.as_of_date
        and open_deals.owner_rep_id = owner_record.owner_rep_id

)

select * from final
