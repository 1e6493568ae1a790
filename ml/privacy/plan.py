"""Which rows of which table an erasure touches, and how: a pure plan over the catalog.

Rules, for every base table of the working warehouse (views hold no rows):

- a table with a ``lead_id`` column holds the person's rows, which are deleted, except
  opportunity tables: an opportunity is the company's business, not the person's, so
  there the link is cut (``lead_id`` set to null) and the opportunity stays (quarantined
  opportunity rows are deleted: nothing uses them);
- in ``raw`` and ``quarantine``, where personal columns are still in clear text, a row
  also goes when the keyed hash of its ``email`` matches (a lead quarantined without a
  usable id), and in ``quarantine`` when the text of an unreadable line (``_raw_line``)
  holds one of the identifiers;
- a table that names its subject by ``entity_type`` and ``entity_id`` (next-best
  actions, one row per lead or deal) holds the person's rows where the entity is a lead
  with their id; those rows are deleted, a deal's rows stay;
- tables without any of those columns hold nothing of the person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml.privacy.identifiers import hash_sql

DELETE, UNLINK = "delete", "unlink"
CLEAR_TEXT_SCHEMAS = ("raw", "quarantine")


@dataclass(frozen=True)
class TableAction:
    """What happens to ``schema.table``: ``delete`` the matching rows or ``unlink`` them."""

    schema: str
    table: str
    action: str
    by_lead_id: bool
    by_email_hash: bool
    by_raw_line: bool
    by_lead_entity: bool = False

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def predicate(self, lead_ids: Sequence[str], email_hashes: Sequence[str],
                  clear_values: Sequence[str]) -> tuple[str, list]:  # fmt: skip
        """SQL ``where`` text and its parameters: the rows of the person.

        ``clear_values`` are the identifiers as given (lead ids, emails), only ever
        compared with ``_raw_line`` of quarantined lines that could not be parsed.
        The key of the keyed hash is *not* among the parameters: callers put it first.
        """
        parts: list[str] = []
        params: list = []
        if self.by_lead_id and lead_ids:
            parts.append("lead_id in (select unnest(?::varchar[]))")
            params.append(list(lead_ids))
        if self.by_lead_entity and lead_ids:
            parts.append("entity_type = 'lead' and entity_id in (select unnest(?::varchar[]))")
            params.append(list(lead_ids))
        if self.by_email_hash and email_hashes:
            parts.append(f"{hash_sql('email')} in (select unnest(?::varchar[]))")
            params.append(HASH_KEY)
            params.append(list(email_hashes))
        if self.by_raw_line and clear_values:
            edge = "[^A-Za-z0-9_.@-]"  # the value stands alone: L12 is not inside L123
            parts.append(
                "list_bool_or(list_transform(?::varchar[], lambda v: regexp_matches(_raw_line, "
                f"'(^|{edge})' || regexp_escape(v) || '($|{edge})', 'i')))"
            )
            params.append(list(clear_values))
        return " or ".join(f"({p})" for p in parts) or "false", params


# Placeholder in predicate parameters for the personal-data key; the steps swap it in,
# so the key never sits in a plan that may be printed.
HASH_KEY = object()


def plan_tables(columns: Mapping[tuple[str, str], Sequence[str]]) -> list[TableAction]:
    """The tables an erasure touches, given ``(schema, table) -> column names`` of every
    base table. Sorted by schema and table; tables holding nothing are left out."""
    actions = []
    for (schema, table), names in sorted(columns.items()):
        lowered = {n.lower() for n in names}
        clear = schema in CLEAR_TEXT_SCHEMAS
        by_lead_id = "lead_id" in lowered
        by_email = clear and "email" in lowered
        by_line = schema == "quarantine" and "_raw_line" in lowered
        by_entity = {"entity_type", "entity_id"} <= lowered
        if not (by_lead_id or by_email or by_line or by_entity):
            continue
        unlink = "opportunit" in table and by_lead_id and schema != "quarantine"
        actions.append(
            TableAction(
                schema,
                table,
                UNLINK if unlink else DELETE,
                by_lead_id,
                by_email,
                by_line and not unlink,
                by_entity,
            )  # fmt: skip
        )
    return actions
