"""Reading bytes: where an unbalanced quote opens, and what counts as one."""

from __future__ import annotations

import pytest

from ml.quality.text import fingerprint, unclosed_quote_line


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'a,b\n1,"x"\n', None),
        (b'a,b\n1,"x ""quoted"" y"\n', None),  # doubled quotes are escaped quotes
        (b'a,b\n1,"two\nlines"\n', None),  # a quoted line break is data
        (b'a,b\n1,12" screen\n', None),  # a quote inside a field is a character
        (b'a,b\n1,2\n3,"open\n4,5\n', 3),
        (b'a,b\r\n1,2\r\n"3,4\r\n', 3),
        (b'"a,b\n', 1),
    ],
)
def test_an_unclosed_quote_is_found_on_the_line_it_opens(data, line):
    assert unclosed_quote_line(data) == line


def test_the_fingerprint_counts_quotes_across_chunks(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'"' * 5 + b"x" * 10)

    sha, quotes = fingerprint(path, chunk_bytes=3)

    assert quotes == 5 and len(sha) == 64
