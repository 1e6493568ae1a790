"""Reading the export's files: every column as trimmed text, each file read once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class SourceFiles:
    """The export's files under one folder, read on first use and kept.

    ``read`` returns a frame of text (``None`` only where Parquet holds a null), indexed
    by the 1-based data row number (the header is not counted, as in ``raw._source_row``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._frames: dict[str, pd.DataFrame] = {}

    def path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> pd.DataFrame:
        """The file ``name`` (relative to the folder) as text.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: the file cannot be parsed (the message says why).
        """
        if name not in self._frames:
            self._frames[name] = _read(self.path(name))
        return self._frames[name]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(path)
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path)
            frame = pd.DataFrame(
                {
                    name: table.column(name).cast(pa.string()).to_pylist()
                    for name in table.column_names
                },
                dtype=object,
            )
        else:
            # utf-8-sig: spreadsheet exports often start with a byte-order mark, which would
            # otherwise become part of the first column's name
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
            )
    except (pa.ArrowException, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path.name}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.map(_strip)).astype(object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _strip(value: object) -> str | None:
    return value.strip() if isinstance(value, str) else None
