"""AMI adapter: meter-data files as utilities export them (CSV or Parquet).

The file holds ``meter_id``, ``timestamp`` (end of the 15-minute interval, ISO 8601, UTC unless an offset
is given) and ``kwh``. Fields are read as text, so a malformed value reaches validation as it was written
and can be quarantined with it, instead of failing the whole file.

A CSV file is read line by line: one record per line, the first non-blank line the header. A line that
cannot be split into the header's fields (too few, too many, an unbalanced quote) or that holds bytes
that are not UTF-8 becomes a *malformed* row: its fields are empty and its text is kept in
:data:`~gridcore.data.validation.MALFORMED_COLUMN`, so validation quarantines it (``row_malformed``)
with its line number and the other rows go on. Only a file that is not a table at all (no header line,
a header that is not text) is refused. Splitting runs on Arrow over the whole file; lines with a quoted
field holding a comma or a quote go through Python's :mod:`csv` (a quoted field may hold commas, not line
breaks).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import lzma
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridcore.data.validation import LINE_COLUMN, MALFORMED_COLUMN, ContractError

#: Leading bytes of the compressed formats a CSV may come in, read whatever the file's suffix.
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"PK\x03\x04": "zip"}
_NULL = pa.scalar(None, pa.large_string())
#: A line whose fields are bare (no quote, no comma) or wholly quoted (no quote, no comma inside).
_SIMPLY_QUOTED = r'^(?:"[^",]*"|[^",]*)(?:,(?:"[^",]*"|[^",]*))*$'


def read_meter_file(path: str | Path) -> pd.DataFrame:
    """Read a meter-data file.

    Parameters
    ----------
    path : str or Path
        ``.parquet`` (or ``.pq``), otherwise CSV: plain or compressed with gzip, bz2, xz or zip (one
        member), recognised by content.

    Returns
    -------
    pd.DataFrame
        The file's columns in file order. For CSV every field is text (``None`` when empty), and two
        columns are added: :data:`~gridcore.data.validation.LINE_COLUMN` (line number of the row in the
        file, 1 = the first line) and :data:`~gridcore.data.validation.MALFORMED_COLUMN` (the line as
        written for a row that could not be read, else ``None``). Blank lines are not rows.

    Raises
    ------
    ContractError
        In one line naming the file, when it is missing or cannot be read as a table at all.
    """
    p = Path(path)
    if not p.exists():
        raise ContractError(f"{p}: no such file")
    if p.suffix.lower() in {".parquet", ".pq"}:
        try:
            # Arrow without its thread pools: see gridcore.network.grid._read_model (apache/arrow#34314)
            return pd.read_parquet(p, use_threads=False, pre_buffer=False)
        except (ValueError, OSError) as err:
            raise ContractError(f"{p}: not a readable Parquet table ({err})") from err
    try:
        data = _decompress(p.read_bytes(), p)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile) as err:
        raise ContractError(f"{p}: not a readable CSV file ({err})") from err
    return parse_meter_csv(data, str(p))


def _decompress(data: bytes, path: Path) -> bytes:
    """The file's bytes, decompressed when they start like gzip, bz2, xz or zip."""
    kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), None)
    if kind == "gzip":
        return gzip.decompress(data)
    if kind == "bz2":
        return bz2.decompress(data)
    if kind == "xz":
        return lzma.decompress(data)
    if kind == "zip":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise zipfile.BadZipFile(f"the archive holds {len(names)} files, not one")
            return z.read(names[0])
    return data


def parse_meter_csv(data: bytes, source: str = "input") -> pd.DataFrame:
    """Split CSV bytes into rows of text fields, keeping malformed lines as rows (see the module doc).

    Parameters
    ----------
    data : bytes
        The file's content, uncompressed; UTF-8 (a byte-order mark is skipped), lines ending in
        LF, CR LF or CR.
    source : str
        Name of the file, for messages.

    Returns
    -------
    pd.DataFrame
        As :func:`read_meter_file` returns for a CSV file.

    Raises
    ------
    ContractError
        When the file has no header line, its header is not UTF-8 CSV text, or a column name repeats.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\n" not in data:
        data = data.replace(b"\r", b"\n")  # classic Mac line ends (or a single line)
    lines, undecodable = _lines(data)
    text = pc.if_else(undecodable, pa.scalar(b"", pa.large_binary()), lines).cast(pa.large_string())
    text = pc.utf8_rtrim(text, characters="\r\n")
    blank = pc.and_(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), pc.invert(undecodable))
    rows = np.flatnonzero(~blank.to_numpy(zero_copy_only=False))
    if rows.size == 0:
        raise ContractError(f"{source}: empty file, no header line")
    head = int(rows[0])
    if undecodable[head].as_py():
        raise ContractError(f"{source}: line {head + 1} (the header) is not UTF-8 text: not a CSV file")
    columns = _header(text[head].as_py(), source)
    rows = rows[1:]
    bad = undecodable.to_numpy(zero_copy_only=False)[rows]
    fields, ok = _split(text.take(pa.array(rows)), len(columns), bad)
    frame = pd.DataFrame(dict(zip(columns, fields, strict=True)))
    frame[LINE_COLUMN] = rows.astype(np.int64) + 1
    malformed = np.full(rows.size, None, dtype=object)
    if not ok.all():
        rejected = rows[~ok]
        raw_lines = lines.take(pa.array(rejected)).to_pylist()
        malformed[~ok] = [b.rstrip(b"\r\n").decode("utf-8", "backslashreplace") for b in raw_lines]
    frame[MALFORMED_COLUMN] = malformed
    return frame


def _lines(data: bytes) -> tuple[pa.LargeBinaryArray, pa.BooleanArray]:
    """The file's lines as bytes (each with its line end; a view of ``data``), and which are not UTF-8."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if data and (ends.size == 0 or ends[-1] != len(data)):
        ends = np.append(ends, len(data))  # a last line without a line end
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lines = pa.Array.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    undecodable = np.zeros(len(lines), dtype=bool)
    try:
        lines.cast(pa.large_string())  # validates UTF-8 in one pass
    except pa.ArrowInvalid:
        for i, raw in enumerate(lines.to_pylist()):  # only for a file with a bad byte: find its lines
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                undecodable[i] = True
    return lines, pa.array(undecodable)


def _header(line: str, source: str) -> list[str]:
    """Column names of the header line (stripped); refuses a header that is no CSV or repeats a name."""
    try:
        header = next(csv.reader([line]))
    except csv.Error as err:
        raise ContractError(f"{source}: the header cannot be read as CSV ({err})") from err
    names = [n.strip() or f"Unnamed: {i}" for i, n in enumerate(header)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ContractError(f"{source}: column {', '.join(repeated)} appears more than once in the header")
    reserved = [n for n in names if n in {LINE_COLUMN, MALFORMED_COLUMN}]
    if reserved:
        raise ContractError(f"{source}: column name {', '.join(reserved)} is reserved for the reader")
    return names


def _split(text: pa.Array, width: int, undecodable: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Fields of each line (object arrays, ``None`` when empty) and which lines have exactly ``width``.

    Lines whose fields hold no comma or quote (bare or wholly quoted) are split on commas by Arrow; other
    lines with quotes go through :mod:`csv`, and a line with an odd number of quotes (a field left
    open) is malformed.
    """
    n = len(text)
    fields = [np.full(n, None, dtype=object) for _ in range(width)]
    ok = np.zeros(n, dtype=bool)
    quotes = pc.count_substring(text, '"').to_numpy(zero_copy_only=False)
    simple = quotes == 0
    if (quotes > 0).any():  # quoted fields without a comma or quote inside: split on commas too
        simple |= pc.fill_null(pc.match_substring_regex(text, _SIMPLY_QUOTED), False).to_numpy(
            zero_copy_only=False
        )
    plain = np.flatnonzero(simple & ~undecodable)
    if plain.size:
        parts = pc.split_pattern(text.take(pa.array(plain)), ",")
        fits = pc.equal(pc.list_value_length(parts), width).to_numpy(zero_copy_only=False)
        flat = pc.list_flatten(parts.filter(pa.array(fits)))
        if quotes[plain].any():
            unquote = pc.and_(pc.starts_with(flat, '"'), pc.greater(pc.utf8_length(flat), 1))
            flat = pc.if_else(unquote, pc.utf8_slice_codeunits(flat, 1, -1), flat)
        flat = pc.if_else(pc.equal(flat, ""), _NULL, flat)
        keep = plain[fits]
        for j in range(width):
            fields[j][keep] = flat.take(pa.array(np.arange(j, len(flat), width))).to_numpy(
                zero_copy_only=False
            )
        ok[keep] = True
    quoted = np.flatnonzero(~simple & (quotes % 2 == 0) & ~undecodable)
    if quoted.size:
        lines = text.take(pa.array(quoted)).to_pylist()
        for i, record in zip(quoted.tolist(), _csv_records(lines), strict=True):
            if record is not None and len(record) == width:
                ok[i] = True
                for j, value in enumerate(record):
                    fields[j][i] = value or None
    return fields, ok


def _csv_records(lines: list[str]) -> list[list[str] | None]:
    """Each line parsed alone by :mod:`csv` (quotes balanced), ``None`` for a line it rejects."""
    try:
        return list(csv.reader(lines))
    except csv.Error:  # a stray carriage return inside a line: find it line by line
        out: list[list[str] | None] = []
        for line in lines:
            try:
                out.append(next(csv.reader([line])))
            except csv.Error:
                out.append(None)
        return out


def file_digest(path: str | Path) -> str:
    """First 16 hex digits of the file's SHA-256: the run key of an import (same file, same run)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]
