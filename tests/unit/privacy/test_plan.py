"""The erasure plan: which tables hold a person's rows and what happens to them."""

from __future__ import annotations

import duckdb
import pytest

from ml.privacy.identifiers import hash_sql, keyed_hash, normalise_email
from ml.privacy.plan import DELETE, HASH_KEY, UNLINK, plan_tables


def test_the_keyed_hash_is_the_one_dbt_staging_computes():
    key = "k3y"
    with duckdb.connect() as con:
        (in_sql,) = con.execute(
            f"select {hash_sql('v')} from (select '  Ana@Example.ORG ' as v)", [key]
        ).fetchone()
    assert in_sql == keyed_hash(key, "ana@example.org") == keyed_hash(key, " ANA@example.org")
    assert keyed_hash("other", "ana@example.org") != in_sql


def test_an_address_that_is_not_an_email_is_refused_with_the_value():
    assert normalise_email("  a.b@example.org ") == "a.b@example.org"
    with pytest.raises(ValueError, match=r"'ana' is not an email address"):
        normalise_email("ana")


def test_rows_go_everywhere_a_lead_id_is_and_opportunities_only_lose_the_link():
    actions = {
        a.name: a
        for a in plan_tables(
            {
                ("raw", "leads"): ["lead_id", "email", "first_name"],
                ("raw", "opportunities"): ["opportunity_id", "lead_id", "amount"],
                ("raw", "accounts"): ["account_id", "account_name"],
                ("quarantine", "leads"): ["lead_id", "email", "_raw_line", "_rules"],
                ("quarantine", "opportunities"): ["opportunity_id", "lead_id", "_raw_line"],
                ("quarantine", "accounts"): ["account_id", "_raw_line"],
                ("marts", "lead_features"): ["lead_id", "as_of_date"],
                ("marts", "opportunities"): ["opportunity_id", "lead_id"],
                ("ml", "lead_scores"): ["lead_id", "score"],
                ("monitoring", "drift"): ["feature", "drift_score"],
            }
        )
    }
    assert set(actions) == {
        "raw.leads", "raw.opportunities", "quarantine.leads", "quarantine.opportunities",
        "quarantine.accounts", "marts.lead_features", "marts.opportunities", "ml.lead_scores",
    }  # fmt: skip
    assert actions["raw.opportunities"].action == actions["marts.opportunities"].action == UNLINK
    assert actions["quarantine.opportunities"].action == DELETE  # nothing uses them
    assert actions["raw.leads"].by_email_hash and not actions["marts.lead_features"].by_email_hash
    unreadable = actions["quarantine.accounts"]
    assert unreadable.by_raw_line and not unreadable.by_lead_id


def test_the_predicate_matches_the_person_and_nobody_else():
    (action,) = plan_tables({("quarantine", "leads"): ["lead_id", "email", "_raw_line"]})
    key = "k"
    where, params = action.predicate(["L12"], [keyed_hash(key, "ana@example.org")], ["L12"])
    params = [key if p is HASH_KEY else p for p in params]
    with duckdb.connect() as con:
        con.execute(
            "create table quarantine_leads as select * from (values "
            "('L12', null, null), ('L123', 'bob@example.org', null), "
            "(null, ' ANA@example.org', null), (null, null, 'L12,\"x\",broken'), "
            "(null, null, 'L123,\"x\",broken')) t(lead_id, email, _raw_line)"
        )
        hits = con.execute(
            f"select coalesce(lead_id, email, _raw_line) from quarantine_leads where {where}",
            params,
        ).fetchall()
    assert sorted(h[0] for h in hits) == [" ANA@example.org", "L12", 'L12,"x",broken']


def test_next_best_actions_lose_the_persons_lead_rows_and_keep_deal_rows_with_the_same_id():
    # ml.next_best_actions names its subject by entity_type/entity_id, not lead_id; a deal
    # may carry the same id text as a lead, and a deal is the company's, not the person's.
    (action,) = plan_tables(
        {("ml", "next_best_actions"): ["action_date", "entity_type", "entity_id", "reason"]}
    )
    assert (action.name, action.action) == ("ml.next_best_actions", DELETE)
    assert action.by_lead_entity and not action.by_lead_id
    where, params = action.predicate(["L12"], [], ["L12"])
    with duckdb.connect() as con:
        con.execute(
            "create table actions as select * from (values ('lead', 'L12'), ('lead', 'L123'), "
            "('deal', 'L12')) t(entity_type, entity_id)"
        )
        hits = con.execute(f"select * from actions where {where}", params).fetchall()
    assert hits == [("lead", "L12")]
