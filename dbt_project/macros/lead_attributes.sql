{#-
    Derived lead attributes. Kept as macros so the CASE logic lives in one place and
    is unit tested through the model that uses it (int_lead_versions_classified).
-#}

{#- Domain part of an e-mail address, lower-cased; null if there is none. -#}
{% macro email_domain(expression) -%}
    nullif(lower(regexp_extract(trim({{ expression }}), '@([^@[:space:]]+)$', 1)), '')
{%- endmacro %}

{#- Consumer mailbox providers: a lead writing from one of these gave no company domain. -#}
{% macro free_email_domains() -%}
    {{ return([
        'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'ymail.com', 'hotmail.com',
        'hotmail.co.uk', 'outlook.com', 'live.com', 'msn.com', 'aol.com', 'icloud.com', 'me.com',
        'mac.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.de', 'gmx.net', 'web.de',
        'mail.com', 'yandex.com', 'yandex.ru', 'zoho.com', 'qq.com', '163.com', 'fastmail.com'
    ]) }}
{%- endmacro %}

{% macro is_free_email_domain(domain_expression) -%}
    case
        when {{ domain_expression }} is null then null
        else {{ domain_expression }} in ('{{ free_email_domains() | join("', '") }}')
    end
{%- endmacro %}

{#-
    Seniority from a free-text job title. First match wins, in this order, so that
    "Vice President" is a vp (not c_level through "president") and "Director of
    Engineering" a director (not individual through "engineer"):
      unknown     no title
      vp          vp, svp, evp, avp, vice president
      c_level     chief ..., ceo/cto/cfo/coo/cmo/cio/ciso/cro/cpo, founder, owner, president, partner
      director    director, head of
      manager     manager, team lead, lead ..., supervisor
      individual  anything else
-#}
{% macro title_seniority(title_expression) -%}
    case
        when nullif(trim({{ title_expression }}), '') is null then 'unknown'
        when regexp_matches(lower({{ title_expression }}), '\b(vp|svp|evp|avp)\b|vice[ -]?president')
            then 'vp'
        when regexp_matches(lower({{ title_expression }}), '\b(chief|ceo|cto|cfo|coo|cmo|cio|ciso|cro|cpo|founder|co-founder|cofounder|owner|president|partner)\b')
            then 'c_level'
        when regexp_matches(lower({{ title_expression }}), '\bdirector\b|\bhead of\b')
            then 'director'
        when regexp_matches(lower({{ title_expression }}), '\bmanager\b|\bteam lead\b|^lead\b|\bsupervisor\b')
            then 'manager'
        else 'individual'
    end
{%- endmacro %}

{#- Employee-count bands: 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+, unknown. -#}
{% macro company_size_band(employees_expression) -%}
    case
        when {{ employees_expression }} is null or {{ employees_expression }} < 1 then 'unknown'
        when {{ employees_expression }} <= 10 then '1-10'
        when {{ employees_expression }} <= 50 then '11-50'
        when {{ employees_expression }} <= 200 then '51-200'
        when {{ employees_expression }} <= 1000 then '201-1000'
        when {{ employees_expression }} <= 5000 then '1001-5000'
        else '5001+'
    end
{%- endmacro %}

{#- Position of a stage in var('stage_order'), 1-based; null for an unknown stage. -#}
{% macro stage_order(stage_expression) -%}
    case {{ stage_expression }}
    {%- for stage in var('stage_order') %}
        when '{{ stage }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}

{#- SQL list literal of strings, e.g. ('closed_won', 'closed_lost'). -#}
{% macro sql_string_list(values) -%}
    ({%- for value in values -%}'{{ value }}'{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
{%- endmacro %}

{#-
    An amount in `currency` converted into var('default_currency') with the rates in
    var('fx_rates_to_default_currency'); null when no rate is known.
-#}
{% macro to_default_currency(amount_expression, currency_expression) -%}
    case
        when coalesce({{ currency_expression }}, '{{ var("default_currency") }}') = '{{ var("default_currency") }}'
            then {{ amount_expression }}
    {%- for currency, rate in var('fx_rates_to_default_currency').items() %}
        when {{ currency_expression }} = '{{ currency | upper }}' then cast({{ amount_expression }} * {{ rate }} as decimal(18, 2))
    {%- endfor %}
    end
{%- endmacro %}
