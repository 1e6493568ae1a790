"""Bring your own CRM export: a YAML mapping turns it into a contract-shaped landing zone.

    spec = load_mapping(Path("mapping.yml"))       # checks the YAML and the files it names
    result = apply_mapping(spec, Path("landing"))  # <landing>/<table>/<date>/<table>.csv

The mapping file (every scalar is read as text, exactly as written)::

    delivery_date: 2024-03-31      # the one delivery the whole export lands under; if left
                                   # out, the latest mapped updated_at (never the clock)
    missing: ["", "N/A"]           # values that mean "no value", every table (default: "")
    formats: {date: "%d-%m-%Y", decimal: ",", thousands: "."}   # how the export writes them
    stages: [...]                  # the stage order, if not the contract's default
    tables:
      leads:                       # a contract table (a list of such blocks: rows concatenated)
        files: [leads.csv]         # CSV or Parquet, relative to the mapping; concatenated
        rows: {column: Type, in: [Lead]}        # keep only rows with these values (trimmed)
        join:                      # another file's columns, by key, as <file stem>.<column>
          - {file: won_deals.csv, on: mql_id, columns: [won_date]}
        missing: ["", "N/A", "Select", "-"]     # replaces the default for this table
        columns:                   # contract column -> where its value comes from
          lead_id: Lead ID                      # a source column
          source: {constant: web}               # {constant: ""}: left empty, on purpose
          updated_at: {column: Modified, fallback: [Created, {delivery_date: true}]}
          status:
            column: Lead Status
            value_map: {New: open, Won: converted}  # unlisted values pass unchanged
            missing: ["", "Select"]             # replaces the table's list for this column
          company: {column: Account, lookup: {file: accounts.csv, key: id, value: name}}
          converted_at: {column: won_deals.won_date, date_format: "%d-%m-%Y %H:%M"}
          status: {column: won_deals.won_date, when_present: converted,
                   fallback: [{constant: open}]}
        custom_fields:             # attr_<snake_case> -> same forms as columns
          attr_budget_confirmed: {column: "Budget?", value_map: {Yes: yes, No: no}}
        leakage: [Notes after call]             # source or landing columns no model may use

A source column's text is trimmed; ``missing`` values become null; ``value_map``
rewrites the values it lists; ``lookup`` replaces the value by another file's (and its
own ``value_map`` rewrites what it found); ``when_present`` replaces any value left by
one text; the date or number format turns the value into ISO 8601 or ``1234.5``; the
first non-null of the column and its ``fallback`` list wins. Rows whose key columns end
up empty are left out, and so are rows the block's ``rows`` filter does not keep (the
notes count both). ``MappedExport.notes`` (and ``<out>/_mapping.json``) say what
every such rule did. docs/mapping.md is the reference; examples/maven_crm/ is a worked
example.
"""

from ml.mapping.apply import MappedExport, apply_mapping
from ml.mapping.spec import MappingError, MappingSpec
from ml.mapping.validate import load_mapping

__all__ = ["MappedExport", "MappingError", "MappingSpec", "apply_mapping", "load_mapping"]
