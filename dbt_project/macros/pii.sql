{#-
    Personal data (CONTRACT.md section 4). `email`, `first_name`, `last_name` and
    `phone` leave staging only as a keyed hash:

        sha256(<SALESPIPE_PII_KEY> || '|' || lower(trim(value)))     (hex; null stays null)

    Anyone holding the key can compute the same hash for a known value (e.g. to erase
    a person by email); without it the hash cannot be reversed by guessing values.
    The key reaches DuckDB as the session variable `salespipe_pii_key`, set by
    profiles.yml on every connection, so it never appears in compiled SQL, logs or the
    view definitions stored in the warehouse. Outside a dbt session the variable is
    unset and reading a hashed column raises an error instead of returning nulls.
-#}
{% macro pii_hash(expression) -%}
    sha256(
        coalesce(
            nullif(getvariable('salespipe_pii_key'), ''),
            -- cast: an untyped error() would be folded away into a silent null
            cast(error('salespipe_pii_key is not set: hashed personal columns can only be computed inside a dbt run with SALESPIPE_PII_KEY set; read the marts instead') as varchar)
        )
        || '|' || lower(trim({{ expression }}))
    )
{%- endmacro %}

{#-
    on-run-start hook: stop before any model runs if SALESPIPE_PII_KEY is empty or
    unset. Checked in SQL against the session variable, so the key itself is never
    rendered anywhere. Commands that hash nothing (parse, ls, docs, source freshness)
    are not blocked.
-#}
{% macro require_pii_key() -%}
    {%- if execute and flags.WHICH in ['run', 'build', 'test', 'show', 'retry'] -%}
        select case
            when coalesce(getvariable('salespipe_pii_key'), '') = ''
                then error('SALESPIPE_PII_KEY is not set or empty. It is the secret key that hashes personal data (email, first_name, last_name, phone) in staging; set it in the environment of the dbt run, e.g. export SALESPIPE_PII_KEY=<secret>.')
        end as pii_key_check
    {%- endif -%}
{%- endmacro %}
