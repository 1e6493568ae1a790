{#-
    Custom schema names are used literally (`staging`, `intermediate`, `marts`), not
    prefixed with the target schema: the rest of the project and BI tools read fixed
    schema names (CONTRACT.md section 3).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
