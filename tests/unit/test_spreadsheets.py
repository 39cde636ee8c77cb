"""CSV as spreadsheets read and write it: the header decides the delimiter, records
keep the physical line they start on, every written cell that a spreadsheet would
run as a formula is text, and what is written reads back."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import spreadsheets as sh


@pytest.mark.parametrize(
    "header,delimiter",
    [
        ("name;email;country", ";"),  # German and French Excel
        ("name,email,country", ","),
        ("name", ","),  # one column: nothing to tell, the default
        ('"Name, full";email', ";"),  # a comma inside quotes does not count
        ('"a;b",c', ","),
        ("name;email,country", ","),  # both: ',' (the columns then come out unknown)
    ],
)
def test_the_header_line_decides_the_delimiter(header, delimiter):
    assert sh.header_delimiter(header + "\r\nx;y,z\r\n") == delimiter


def test_records_keep_the_line_they_start_on():
    text = 'name;org\r\n"Jonas\r\nWeber";"Köln;\nNord"\r\n\r\nنور;x\r\n'
    header, records = sh.read(text)
    assert header == ["name", "org"]
    assert [(r.line, r.cells) for r in records] == [
        (2, ["Jonas\r\nWeber", "Köln;\nNord"]),
        (6, ["نور", "x"]),
    ]


def test_decode_takes_a_bom_and_refuses_other_encodings():
    assert sh.decode("\ufeffname\n".encode()) == "name\n"
    with pytest.raises(sh.NotUtf8, match="CSV UTF-8"):
        sh.decode("name\nJürgen\n".encode("cp1252"))


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+1", "-x", "@x", "\tx", "\rx"])
def test_formula_cells_are_written_as_text(cell):
    assert sh.escape_cell(cell) == "'" + cell


@given(
    st.lists(st.lists(st.text(), min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([",", ";"]),
)
def test_what_is_written_reads_back_escaped(rows, delimiter):
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = [f"c{i}" for i in range(width)]
    data = sh.write(header, rows, delimiter)
    assert data.startswith(b"\xef\xbb\xbf")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    assert back == [header] + [[sh.escape_cell(c) for c in r] for r in rows]


def test_a_new_token_survives_a_spreadsheet_export(monkeypatch):
    """One token in 64 began with ``-``; the export's formula guard then wrote it as
    ``'-…``, and the token read back from the file was not the person's."""
    from server import auth

    drawn = iter(["-starts-like-a-formula", "plain_token"])
    monkeypatch.setattr(auth.secrets, "token_urlsafe", lambda n: next(drawn))
    token = auth.new_token()
    assert token == "plain_token"
    assert not token.startswith(sh.FORMULA_STARTS)
