"""Bring your own CRM export: a YAML mapping turns it into a contract-shaped landing zone.

    spec = load_mapping(Path("mapping.yml"))       # checks the YAML and the files it names
    result = apply_mapping(spec, Path("landing"))  # <landing>/<table>/<date>/<table>.csv

The mapping file (every scalar is read as text, exactly as written)::

    delivery_date: 2024-03-31      # the one delivery the whole export lands under; if left
                                   # out, the latest mapped updated_at (never the clock)
    missing: ["", "N/A"]           # values that mean "no value", every table (default: "")
    stages: [...]                  # the stage order, if not the contract's default
    tables:
      leads:                       # a contract table (a list of such blocks: rows concatenated)
        files: [leads.csv]         # CSV or Parquet, relative to the mapping; concatenated
        missing: ["", "N/A", "Select", "-"]     # replaces the default for this table
        columns:                   # contract column -> where its value comes from
          lead_id: Lead ID                      # a source column
          source: {constant: web}
          updated_at: {column: Modified, fallback: [Created, {delivery_date: true}]}
          status:
            column: Lead Status
            value_map: {New: open, Won: converted}  # unlisted values pass unchanged
            missing: ["", "Select"]             # replaces the table's list for this column
          company: {column: Account, lookup: {file: accounts.csv, key: id, value: name}}
        custom_fields:             # attr_<snake_case> -> same forms as columns
          attr_budget_confirmed: {column: "Budget?", value_map: {Yes: yes, No: no}}
        leakage: [Notes after call]             # source or landing columns no model may use

A source column's text is trimmed; ``missing`` values become null; ``value_map``
rewrites the values it lists; ``lookup`` replaces the value by another file's; the
first non-null of the column and its ``fallback`` list wins. Rows whose key columns end
up empty are left out. ``MappedExport.notes`` (and ``<out>/_mapping.json``) say what
every such rule did. examples/maven_crm/ is a worked example.
"""

from ml.mapping.apply import MappedExport, apply_mapping
from ml.mapping.spec import MappingError, MappingSpec
from ml.mapping.validate import load_mapping

__all__ = ["MappedExport", "MappingError", "MappingSpec", "apply_mapping", "load_mapping"]
