{#- lead_features holds open leads only (var open_lead_statuses): a row with any other
    status would be scored as open. (lead_final_states has its columns and holds
    every status, so this is a test of its own, not on the shared column list.) -#}
select lead_id, as_of_date, status
from {{ ref('lead_features') }}
where status not in (
    {%- for status in var('open_lead_statuses') %}'{{ status }}'{{ "," if not loop.last }}{% endfor -%}
)
