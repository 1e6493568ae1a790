{#-
    What became of every lead by the end of the business date: one row per lead.
    The label source for lead scoring (a row of lead_features for date D converted
    if converted_at falls after D), kept apart from lead_features so that no outcome
    can leak into the features.

    Labels may use everything delivered by the business date, so versions are ordered
    here by when they happened (updated_at), not by when they became known (valid_from,
    which serves the features' point-in-time history).
-#}

with

lead_versions as (

    select * from {{ ref('int_lead_versions_classified') }}
    where updated_at < {{ business_date() }} + interval 1 day

),

current_version as (

    select * from lead_versions
    qualify row_number() over (partition by lead_id order by updated_at desc) = 1

),

milestones as (

    select
        lead_id,
        min(updated_at) as first_seen_at,
        min(updated_at) filter (where is_converted) as first_converted_version_at,
        min(updated_at) filter (where status = 'disqualified') as first_disqualified_version_at,
        min(converted_at) filter (where converted_at < {{ business_date() }} + interval 1 day)
            as crm_converted_at,
        count(*) as versions

    from lead_versions
    group by lead_id

),

final as (

    select
        current_version.lead_id,
        current_version.created_at,
        milestones.first_seen_at,
        current_version.status,
        current_version.is_open,
        current_version.is_converted,
        case
            when current_version.is_converted
                then coalesce(milestones.crm_converted_at, milestones.first_converted_version_at)
        end as converted_at,
        current_version.converted_opportunity_id,
        current_version.status = 'disqualified' as is_disqualified,
        case
            when
                current_version.status = 'disqualified'
                then milestones.first_disqualified_version_at
        end as disqualified_at,
        cast(milestones.versions as integer) as versions

    from current_version
    inner join milestones
        on current_version.lead_id = milestones.lead_id

)

select * from final
