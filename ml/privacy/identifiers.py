"""The keyed hash of a personal value, exactly as dbt staging computes it.

``sha256(key || '|' || lower(trim(value)))`` in hex (dbt_project/macros/pii.sql, on
``nullif(trim(value), '')``). Erasure finds a person by the hash of their email, and the
erasure log and suppression list keep hashes only, never the identifier itself.
"""

from __future__ import annotations

import hashlib


def keyed_hash(key: str, value: str) -> str:
    """The keyed hash of ``value`` (hex), as staging's ``pii_hash`` gives it.

    Raises:
        ValueError: ``key`` is empty.
    """
    if not key:
        raise ValueError("The personal-data key is empty: cannot hash identifiers.")
    return hashlib.sha256(f"{key}|{value.strip().lower()}".encode()).hexdigest()


def hash_sql(column: str) -> str:
    """A DuckDB expression giving the keyed hash of ``column``; the key is the first ``?``.

    Mirrors :func:`keyed_hash` and the dbt macro (null or blank stays null).
    """
    return f"sha256(? || '|' || lower(trim(nullif(trim({column}), ''))))"


def normalise_email(text: str) -> str:
    """A trimmed email address.

    Raises:
        ValueError: it does not look like one.
    """
    email = text.strip()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email):
        raise ValueError(f"{text!r} is not an email address (expected name@domain.tld).")
    return email
