"""CSV as spreadsheets read and write it.

Reading: UTF-8 with or without BOM; the delimiter is the contract's rule, decided
on the header line alone (``;`` when it has ``;`` and no ``,`` outside quotes, else
``,``: German and French Excel write ``;``); quoted fields may hold delimiters and
newlines, and each record keeps the physical line it starts on, for error messages.
A header that mixes both is read with ``,``, so its odd names come back as unknown
columns that the caller names, rather than a guess.

Writing: UTF-8 with BOM (Excel reads anything else as its local code page), and a
cell beginning with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` so a
spreadsheet shows it as text instead of running it as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = {"comma": ",", "semicolon": ";"}


class NotUtf8(ValueError):
    """The bytes are not UTF-8 text."""


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(
            f"the file is not UTF-8 text (byte {exc.start} is not valid UTF-8): in Excel "
            'choose "Save As", file type "CSV UTF-8 (Comma delimited)", and send that file'
        ) from None


def header_delimiter(text: str) -> str:
    """``;`` when the header line has ``;`` and no ``,`` outside quotes, else ``,``."""
    quoted = False
    seen: set[str] = set()
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            break
        elif not quoted and ch in ",;":
            seen.add(ch)
    return ";" if seen == {";"} else ","


@dataclass(frozen=True)
class Record:
    line: int  # the physical line the record starts on; 1 is the header
    cells: list[str]


def read(text: str) -> tuple[list[str], list[Record]]:
    """The header's cells and the records after it (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header_delimiter(text))
    header: list[str] | None = None
    records: list[Record] = []
    start = 1
    for cells in reader:
        if header is None:
            header = cells
        elif any(c.strip() for c in cells):
            records.append(Record(start, cells))
        start = reader.line_num + 1
    return header or [], records


def escape_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write(header: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str = ",") -> bytes:
    """A CSV file for spreadsheets: BOM, CRLF rows, every cell escaped."""
    out = io.StringIO()
    out.write(BOM)
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow([escape_cell(h) for h in header])
    for row in rows:
        w.writerow([escape_cell(c) for c in row])
    return out.getvalue().encode("utf-8")


def wants_csv(accept: str | None) -> bool:
    """Whether the client asked for CSV (``Accept: text/csv``) rather than JSON."""
    return "text/csv" in (accept or "").lower()


def response(header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter=",", name="x"):
    """A CSV download (UTF-8 with BOM) named ``name``.csv."""
    from starlette.responses import Response

    return Response(
        write(header, rows, delimiter),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
