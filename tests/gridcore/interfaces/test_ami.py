"""Meter files as utilities send them: row-level problems quarantined with their line, valid rows kept."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile

import numpy as np
import pandas as pd
import pytest

from gridcore.data.contracts import MALFORMED_TEXT_MAX
from gridcore.data.meters import validate_readings
from gridcore.data.quality import quarantine_table
from gridcore.data.validation import LINE_COLUMN, MALFORMED_COLUMN, ContractError
from gridcore.interfaces.ami import parse_meter_csv, read_meter_file

NOW = pd.Timestamp("2016-11-01T00:00Z")
HEADER = "meter_id,timestamp,kwh\n"


def _ingest(path, fleet) -> tuple[pd.DataFrame, object]:
    raw = read_meter_file(path)
    return raw, validate_readings(raw, fleet, NOW, source=path.name)


def _valid(res) -> list[tuple[int, str, float]]:
    """Valid readings as (fleet code, UTC time, kWh), sorted."""
    v = res.valid
    return sorted(
        zip(
            v["code"].tolist(),
            v["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").tolist(),
            v["kwh"].tolist(),
            strict=True,
        )
    )


def test_the_acceptance_file_mixed_offsets_naive_and_a_millisecond(tmp_path, system) -> None:
    mixed = tmp_path / "t.csv"
    mixed.write_text(
        HEADER + "M000061,2016-10-30T02:30:00+02:00,0.1\nM000061,2016-10-30T02:30:00+01:00,0.2\n"
        "M000061,2016-10-30T02:30:00,0.3\nM000062,2016-10-30T01:45:00Z,0.4\nM000062,2016-10-30T03:00:00.001Z,0.5\n"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(
        HEADER + "M000061,2016-10-30T00:30:00Z,0.1\nM000061,2016-10-30T01:30:00Z,0.2\n"
        "M000061,2016-10-30T02:30:00Z,0.3\nM000062,2016-10-30T01:45:00Z,0.4\n"
    )
    _, res = _ingest(mixed, system.fleet)
    assert (res.readings_in, res.readings_valid, res.quarantined) == (5, 4, {"timestamp_off_15min_grid": 1})
    assert _valid(res) == [
        (60, "2016-10-30T00:30:00.000000", 0.1),
        (60, "2016-10-30T01:30:00.000000", 0.2),
        (60, "2016-10-30T02:30:00.000000", 0.3),
        (61, "2016-10-30T01:45:00.000000", 0.4),
    ]
    assert _valid(res) == _valid(_ingest(plain, system.fleet)[1])
    q = res.quarantine.iloc[0]
    assert (q["row"], q["line"], q["value"]) == (4, 6, "2016-10-30T03:00:00.001Z")


def _local_day(day: str, zone: str) -> pd.DatetimeIndex:
    """Every quarter hour of a local day (interval ends), in UTC."""
    start = pd.Timestamp(day, tz=zone)
    end = pd.Timestamp(pd.Timestamp(day) + pd.Timedelta(days=1), tz=zone)  # local midnight: 23, 24 or 25 h on
    return pd.date_range(start, end, freq="15min", inclusive="right").tz_convert("UTC")


@pytest.mark.parametrize(("day", "hours"), [("2016-10-30", 25), ("2016-03-27", 23)])
def test_a_dst_day_in_local_offsets_lands_on_unique_utc_times(tmp_path, system, day: str, hours: int) -> None:
    utc = _local_day(day, "Europe/Berlin")
    assert len(utc) == 4 * hours
    local = utc.tz_convert("Europe/Berlin").strftime("%Y-%m-%dT%H:%M:%S%z")  # +0200 / +0100
    kwh = np.round(np.linspace(0.01, 0.99, len(utc)), 3)
    lines = [f"M000005,{t[:-2]}:{t[-2:]},{k}" for t, k in zip(local, kwh, strict=True)]
    path = tmp_path / "dst.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    _, res = _ingest(path, system.fleet)
    assert res.readings_valid == len(utc) and res.quarantined == {}
    assert res.valid["timestamp"].tolist() == list(utc.tz_convert(None))
    assert res.valid["kwh"].tolist() == kwh.tolist()


def test_a_naive_time_in_a_spring_file_is_utc_not_the_previous_offset(tmp_path, system) -> None:
    path = tmp_path / "spring.csv"
    path.write_text(
        HEADER + "M000007,2016-03-27T01:45:00+01:00,0.1\nM000007,2016-03-27T03:00:00+02:00,0.2\n"
        "M000007,2016-03-27T02:30:00,0.3\nM000007,2016-03-27T03:15:00+0200,0.4\n"
    )
    _, res = _ingest(path, system.fleet)
    assert _valid(res) == [
        (6, "2016-03-27T00:45:00.000000", 0.1),
        (6, "2016-03-27T01:00:00.000000", 0.2),
        (6, "2016-03-27T01:15:00.000000", 0.4),
        (6, "2016-03-27T02:30:00.000000", 0.3),  # was stored at 00:30Z, with the +02:00 of the row before
    ]


def test_malformed_rows_are_quarantined_with_their_line_and_the_rest_go_on(tmp_path, system) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"meter_id,timestamp,kwh\n"  # line 1
        b"M000001,2016-10-30T10:00:00Z,0.1\n"  # 2 valid
        b"\n"  # 3 blank: not a row
        b"M000002,2016-10-30T10:00:00Z,0.2,0.9\n"  # 4 one field too many
        b"M000003,2016-10-30T10:00:00Z\n"  # 5 one field short
        b"M000004,2016-10-30T10:00:00Z,0.\xe94\n"  # 6 not UTF-8 (latin-1)
        b'"M000005","2016-10-30T10:00:00Z","0.5"\n'  # 7 quoted: valid
        b'M000006,"2016-10-30T10:00:00Z,0.6\n'  # 8 a quote left open
        b"M000007,2016-10-30T10:00:00Z,-1\n"  # 9 negative: an ordinary quarantine, with its line
        b"M000008,2016-10-30T10:00:00Z,0.8"  # 10 valid, no line end
    )
    raw, res = _ingest(path, system.fleet)
    assert raw[LINE_COLUMN].tolist() == [2, 4, 5, 6, 7, 8, 9, 10]
    assert res.readings_in == 8 and res.readings_valid == 3
    assert res.quarantined == {"row_malformed": 4, "kwh_negative": 1}
    assert res.readings_valid + sum(res.quarantined.values()) == res.readings_in
    assert _valid(res) == [
        (0, "2016-10-30T10:00:00.000000", 0.1),
        (4, "2016-10-30T10:00:00.000000", 0.5),
        (7, "2016-10-30T10:00:00.000000", 0.8),
    ]
    q = res.quarantine
    assert q[["row", "line", "reason", "value"]].values.tolist() == [
        [1, 4, "row_malformed", "M000002,2016-10-30T10:00:00Z,0.2,0.9"],
        [2, 5, "row_malformed", "M000003,2016-10-30T10:00:00Z"],
        [3, 6, "row_malformed", "M000004,2016-10-30T10:00:00Z,0.\\xe94"],
        [5, 8, "row_malformed", 'M000006,"2016-10-30T10:00:00Z,0.6'],
        [6, 9, "kwh_negative", "-1"],
    ]
    assert set(q.loc[q["reason"] == "row_malformed", "expectation"]) == {
        "expect_column_values_to_be_in_set(row_wellformed)"
    }
    # the store's quarantine table carries the line
    table = quarantine_table(res, "ingest/abc", "broken.csv")
    assert table["line"].values.tolist() == [4, 5, 6, 8, 9]
    assert table["value"].values[2] == "M000004,2016-10-30T10:00:00Z,0.\\xe94"


def test_a_feed_without_lines_records_line_minus_one(system) -> None:
    raw = pd.DataFrame([("M000001", "2016-10-30T10:07:00Z", "0.1")], columns=["meter_id", "timestamp", "kwh"])
    res = validate_readings(raw, system.fleet, NOW)
    assert res.quarantine[["row", "line", "reason"]].values.tolist() == [[0, -1, "timestamp_off_15min_grid"]]


def test_a_very_long_malformed_line_is_cut_in_the_record(system) -> None:
    long = "M000001,2016-10-30T10:00:00Z," + "9" * 1000 + ",x"
    res = validate_readings(parse_meter_csv((HEADER + long).encode()), system.fleet, NOW)
    value = res.quarantine["value"].iloc[0]
    assert value == long[:MALFORMED_TEXT_MAX] + "…" and res.quarantine["line"].iloc[0] == 2


def test_quoted_fields_lose_their_quotes_on_either_path() -> None:
    raw = parse_meter_csv(
        b'meter_id,timestamp,kwh\n"M1","2016-10-30T10:00:00Z","0.1"\n"M2",2016-10-30T10:00:00Z,""\n'
        b'"M3","2016-10-30T10:00:00Z","0,3"\n"M4","2016-10-30T10:00:00Z",0.4,""\n"M5","x""y",0.5\n'
    )
    assert raw.drop(columns=[LINE_COLUMN]).values.tolist() == [
        ["M1", "2016-10-30T10:00:00Z", "0.1", None],
        ["M2", "2016-10-30T10:00:00Z", None, None],
        ["M3", "2016-10-30T10:00:00Z", "0,3", None],
        [None, None, None, '"M4","2016-10-30T10:00:00Z",0.4,""'],
        ["M5", 'x"y', "0.5", None],
    ]


def test_fields_are_text_as_written(tmp_path) -> None:
    raw = parse_meter_csv(
        b"\xef\xbb\xbf meter_id ,timestamp,kwh,note\r\n"  # byte-order mark, blanks around a name
        b"M000001,2016-10-30T10:00:00Z, 0.1 ,\r\n"
        b'M000002,2016-10-30T10:00:00Z,"1,5","say ""hi"""\r\n'
        b"   \r\n"  # blanks only: not a row
        b"M000003,,abc,x\r\n"
    )
    assert list(raw.columns) == ["meter_id", "timestamp", "kwh", "note", LINE_COLUMN, MALFORMED_COLUMN]
    assert raw.drop(columns=[LINE_COLUMN]).values.tolist() == [
        ["M000001", "2016-10-30T10:00:00Z", " 0.1 ", None, None],
        ["M000002", "2016-10-30T10:00:00Z", "1,5", 'say "hi"', None],
        ["M000003", None, "abc", "x", None],
    ]
    assert raw[LINE_COLUMN].tolist() == [2, 3, 5]


def test_carriage_returns_alone_end_lines_and_a_stray_one_is_malformed() -> None:
    raw = parse_meter_csv(b"meter_id,timestamp,kwh\rM1,2016-10-30T10:00:00Z,0.1\rM2,2016-10-30T10:00:00Z,0.2")
    assert raw["meter_id"].tolist() == ["M1", "M2"] and raw[LINE_COLUMN].tolist() == [2, 3]
    stray = parse_meter_csv(
        b'meter_id,timestamp,kwh\nM1,"2016-10-30T10:00:00Z","0,1"\nM2,"2016-10-30T10:00:00Z","0,2"\r2\n'
        b'M3,"2016-10-30T10:00:00Z\r",0.3\nM4,2016-10-30T10:00:00Z,0.\r4\nM5,"2016-10-30T10:00:00Z",0.\r5\n'
    )
    # csv rejects a bare carriage return after a quoted comma; elsewhere it is a character of the field
    assert stray[MALFORMED_COLUMN].tolist() == [None, 'M2,"2016-10-30T10:00:00Z","0,2"\r2', None, None, None]
    assert stray["meter_id"].tolist() == ["M1", None, "M3", "M4", "M5"]
    assert stray["timestamp"].tolist()[2:] == ["2016-10-30T10:00:00Z\r"] + ["2016-10-30T10:00:00Z"] * 2
    assert stray["kwh"].tolist() == ["0,1", None, "0.3", "0.\r4", "0.\r5"]  # validation: not numeric


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "zip"])
def test_compressed_files_read_like_the_plain_file(tmp_path, system, kind: str) -> None:
    text = (
        HEADER + "M000001,2016-10-30T10:00:00+01:00,0.1\nM000002,2016-10-30T10:00:00Z,0.2,extra\n"
    ).encode()
    plain = tmp_path / "m.csv"
    plain.write_bytes(text)
    packed = tmp_path / f"m.csv.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(packed, "w") as z:
            z.writestr("m.csv", text)
    else:
        packed.write_bytes({"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](text))
    pd.testing.assert_frame_equal(read_meter_file(packed), read_meter_file(plain))
    _, res = _ingest(packed, system.fleet)
    assert _valid(res) == [(0, "2016-10-30T09:00:00.000000", 0.1)]
    assert res.quarantine[["line", "reason"]].values.tolist() == [[3, "row_malformed"]]


def test_a_file_that_is_no_table_is_refused_in_one_line_naming_it(tmp_path, system) -> None:
    cases = {
        "empty.csv": b"",
        "blank.csv": b"\n  \n\r\n",
        "image.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
        "twice.csv": b"meter_id,timestamp,kwh,kwh\nM1,2016-10-30T10:00:00Z,1,2\n",
        "reserved.csv": f"meter_id,timestamp,kwh,{LINE_COLUMN}\n".encode(),
        "stray.csv": b'meter_id,"timestamp",kw\rh\nM1,2016-10-30T10:00:00Z,1\n',
        "truncated.csv.gz": gzip.compress(HEADER.encode() * 50)[:30],
    }
    messages = {
        "empty.csv": "empty file, no header line",
        "blank.csv": "empty file, no header line",
        "image.csv": "line 1 (the header) is not UTF-8 text",
        "twice.csv": "column kwh appears more than once in the header",
        "reserved.csv": f"column name {LINE_COLUMN} is reserved",
        "stray.csv": "the header cannot be read as CSV",
        "truncated.csv.gz": "not a readable CSV file",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ContractError) as err:
            read_meter_file(path)
        assert messages[name] in str(err.value) and name in str(err.value) and "\n" not in str(err.value)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.csv", HEADER)
        z.writestr("b.csv", HEADER)
    with pytest.raises(ContractError, match="two.zip: not a readable CSV file .*holds 2 files"):
        read_meter_file(two)
    # a text file without the contract's columns: refused by name, the reader's columns not listed
    other = tmp_path / "other.csv"
    other.write_text('{"meter": "M1", "kwh": 1}\n')
    with pytest.raises(ContractError, match=r"other.csv: missing required column\(s\) meter_id, timestamp"):
        _ingest(other, system.fleet)
    with pytest.raises(ContractError, match=r"found \{\"meter\": \"M1\", \"kwh\": 1\} \("):
        _ingest(other, system.fleet)


def test_a_header_alone_is_a_file_of_no_readings(tmp_path, system) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER + "\n")
    raw, res = _ingest(path, system.fleet)
    assert len(raw) == 0 and (res.readings_in, res.readings_valid, res.quarantined) == (0, 0, {})


def test_a_file_of_only_malformed_rows_is_read_and_wholly_quarantined(tmp_path, system) -> None:
    path = tmp_path / "all_bad.csv"
    path.write_text(HEADER + "M1,2016-10-30T10:00:00Z\nM2\n")
    raw, res = _ingest(path, system.fleet)
    assert res.readings_in == 2 and res.readings_valid == 0 and res.quarantined == {"row_malformed": 2}
    assert res.quarantine["line"].tolist() == [2, 3]
