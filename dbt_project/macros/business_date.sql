{#-
    The business date every mart is computed "as of", from the required var
    `business_date` (YYYY-MM-DD). There is deliberately no default: guessing a date
    (today, or the latest delivery) would silently compute the wrong partition in a
    backfill. A missing or malformed value stops the model with a message that says
    how to pass it. While dbt parses (execute is false) a placeholder is returned, so
    `dbt parse`, `dbt ls` and `dbt source freshness` work without the var.
-#}
{% macro business_date_value() -%}
    {%- if not execute -%}
        {{ return('1970-01-01') }}
    {%- endif -%}
    {%- set value = var('business_date', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ exceptions.raise_compiler_error(
            "The var `business_date` is required by " ~ model.name ~ " and was not given. "
            ~ "Pass the business date the run is for, e.g. "
            ~ "dbt build --vars '{\"business_date\": \"2024-04-30\"}'."
        ) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error(
            "The var `business_date` must be a date written YYYY-MM-DD; got '" ~ text ~ "'."
        ) }}
    {%- endif -%}
    {%- do modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
    {{ return(text) }}
{%- endmacro %}

{#- The business date as a SQL DATE literal. -#}
{% macro business_date() -%}
    date '{{ business_date_value() }}'
{%- endmacro %}
