{#-
    Reading the raw layer. Every raw data column is VARCHAR, and optional contract
    columns may be missing from a raw table altogether (no delivery had them yet), so
    staging asks the warehouse which columns exist and selects a typed null for the
    missing ones. Bad values become null (try_cast), never a failed load.
-#}

{#-
    Lower-cased column names of raw.<table_name> as the warehouse holds it now.
    The relation is looked up by name in schema `raw` (the schema of source `crm` in
    _crm__sources.yml; keep the two in step) rather than through source(): inside a
    unit test source() points at the fixture CTE, and the graph is not available.
    Stops with a clear message if the table or one of the `required` columns is missing.
-#}
{% macro crm_source_columns(table_name, required=[]) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='raw', identifier=table_name) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "The raw table raw." ~ table_name ~ " does not exist in the warehouse. "
            ~ "Load a landing zone first (salespipe ingest); every raw table must exist, even if empty."
        ) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for column in required + ['_delivery_date', '_source_file', '_source_row', '_loaded_at'] -%}
        {%- if column not in names -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "The raw table raw." ~ table_name ~ " lacks required column(s): "
            ~ missing | join(', ') ~ " (see CONTRACT.md section 1 and docs/landing-and-raw.md)."
        ) }}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}

{#- Names of the custom `attr_*` columns among `columns`, in their order. -#}
{% macro attr_columns(columns) -%}
    {%- set names = [] -%}
    {%- for column in columns -%}
        {%- if column.startswith('attr_') -%}
            {%- do names.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- Trimmed text; empty becomes null; a missing column becomes a null VARCHAR. -#}
{% macro crm_text(columns, name) -%}
    {%- if name in columns -%}
        nullif(trim({{ adapter.quote(name) }}), '')
    {%- else -%}
        cast(null as varchar)
    {%- endif -%}
{%- endmacro %}

{#- A categorical code: trimmed and lower-cased (`' Web '` -> `web`). -#}
{% macro crm_code(columns, name) -%}
    lower({{ crm_text(columns, name) }})
{%- endmacro %}

{#- An upper-case code (regions `NA`/`EMEA`, ISO country and currency codes). -#}
{% macro crm_upper_code(columns, name) -%}
    upper({{ crm_text(columns, name) }})
{%- endmacro %}

{% macro crm_timestamp(columns, name) -%}
    {{ iso_timestamp(crm_text(columns, name)) }}
{%- endmacro %}

{#- A date; a full timestamp is accepted too and cut to its (UTC) date. -#}
{% macro crm_date(columns, name) -%}
    {%- set text = crm_text(columns, name) -%}
    coalesce(try_cast({{ text }} as date), cast({{ iso_timestamp(text) }} as date))
{%- endmacro %}

{% macro crm_integer(columns, name) -%}
    try_cast({{ crm_text(columns, name) }} as bigint)
{%- endmacro %}

{% macro crm_amount(columns, name) -%}
    try_cast({{ crm_text(columns, name) }} as decimal(18, 2))
{%- endmacro %}

{% macro crm_double(columns, name) -%}
    try_cast({{ crm_text(columns, name) }} as double)
{%- endmacro %}

{#- true/false (also t/f, 1/0, yes/no, y/n, any case); anything else is null. -#}
{% macro crm_boolean(columns, name) -%}
    case lower({{ crm_text(columns, name) }})
        when 'true' then true when 't' then true when '1' then true when 'yes' then true when 'y' then true
        when 'false' then false when 'f' then false when '0' then false when 'no' then false when 'n' then false
    end
{%- endmacro %}

{#-
    ISO 8601 text -> TIMESTAMP in UTC. `...Z` and values without a zone are UTC and
    cast directly; a value with an explicit offset (`+02:00`) is converted to UTC.
    Anything unparsable is null. Independent of the session's TimeZone.
-#}
{% macro iso_timestamp(expression) -%}
    case
        when regexp_matches({{ expression }}, '[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*[+-][0-9]{2}(:?[0-9]{2})?$')
            then timezone('UTC', try_cast({{ expression }} as timestamptz))
        else try_cast({{ expression }} as timestamp)
    end
{%- endmacro %}
