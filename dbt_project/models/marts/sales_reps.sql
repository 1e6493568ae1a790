{#-
    The sales reps, one row per rep: a dimension BI tools join to on owner_rep_id,
    with the manager's name beside the manager's id. Reps are colleagues, not the
    personal data of section 4 of the contract; the load's bookkeeping columns stay in
    staging.
-#}

with

reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

final as (

    select
        reps.rep_id,
        reps.rep_name,
        reps.team,
        reps.region,
        reps.manager_id,
        managers.rep_name as manager_name,
        reps.hired_on,
        reps.updated_at

    from reps
    left join reps as managers
        on reps.manager_id = managers.rep_id

)

select * from final
