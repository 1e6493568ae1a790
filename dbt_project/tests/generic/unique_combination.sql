{#-
    The combination of `columns` is unique in `model` (dbt_utils'
    unique_combination_of_columns, which cannot be installed offline). Nulls compare
    equal, so two rows (x, null) count as duplicates.
-#}
{% test unique_combination(model, columns) %}

with duplicates as (
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select * from duplicates

{% endtest %}
