"""Only ml/catalog issues DDL or DML on ml.*, monitoring.* and quarantine.*: a source scan."""

from __future__ import annotations

import re
from pathlib import Path

ML = Path(__file__).resolve().parents[3] / "ml"
WRITER = ML / "catalog"
# A statement that changes a table or schema of the three output schemas: the schema is
# named right after the verb, literally or through an f-string piece ({QUARANTINE_SCHEMA}).
_SCHEMAS = (
    r"""["']?(?:(?i:ml|monitoring|quarantine)|\{(?-i:QUARANTINE_SCHEMA|SCHEMA)\})["']?\s*\."""
)
_TABLE_WORDS = (
    r"(?:create\s+(?:or\s+replace\s+)?(?:temp\s+)?table(?:\s+if\s+not\s+exists)?"
    r"|alter\s+table|drop\s+table(?:\s+if\s+exists)?|insert\s+into|delete\s+from|update"
    r"|truncate(?:\s+table)?|comment\s+on\s+(?:table|column))"
)
WRITES = re.compile(rf"\b{_TABLE_WORDS}\s+{_SCHEMAS}", re.IGNORECASE)
SCHEMA_DDL = re.compile(
    r"\bcreate\s+schema(?:\s+if\s+not\s+exists)?\s+[\"']?(?:ml|monitoring|quarantine)\b",
    re.IGNORECASE,
)
# Statements that name a table only through a variable holding an output table's name.
CONSTANT_WRITES = re.compile(
    rf"\b{_TABLE_WORDS}\s+\{{(?-i:ERASURES|PROMOTIONS|RUNS|RUN_TABLES|STAGES)\}}",
    re.IGNORECASE,
)


def offenders() -> list[str]:
    found = []
    for path in sorted(ML.rglob("*.py")):
        if WRITER in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (WRITES, SCHEMA_DDL, CONSTANT_WRITES):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ML.parent)}:{line}: {match.group(0)}")
    return found


def test_no_module_but_the_catalog_writes_the_output_schemas():
    assert offenders() == []


def test_the_scan_sees_a_write_and_not_a_read():
    assert WRITES.search('con.execute("insert into ml.lead_scores by name select 1")')
    assert WRITES.search("f'delete from {QUARANTINE_SCHEMA}.{table} where x'")
    assert WRITES.search('"update monitoring.pipeline_runs set status = ?"')
    assert WRITES.search('"create table if not exists monitoring.drift (a int)"')
    assert SCHEMA_DDL.search('"create schema if not exists monitoring"')
    assert CONSTANT_WRITES.search('f"insert into {ERASURES} values (?)"')
    assert not WRITES.search('"select * from ml.lead_scores where score_date = ?"')
    assert not WRITES.search('"delete from raw.leads where _source_file = ?"')
    assert not WRITES.search("ml.lead_scores is updated nightly")
    assert not WRITES.search('f\'create table "{schema}"."{name}" as select\'')  # publish's copy
