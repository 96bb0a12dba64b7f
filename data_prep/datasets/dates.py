"""Human-written dates -> ISO 8601: a generated transduction task for lab 4 (seq2seq).

No raw corpus: a seeded generator writes each date in one of the `FORMATS`
below (English, French, German and Spanish forms, numeric forms, ordinals,
weekdays, spelled-out days, two-digit years), and the target is `YYYY-MM-DD`.
Conventions a model must learn, as a reader of such dates would: slashes are
American (month/day/year), dots and dashes European (day.month.year); a
two-digit year `'YY` means 1950-2049 (so such forms are drawn only for those
years); a weekday always agrees with its date.

Train and validation come from a fixed seed. The test split is drawn with a
seed kept in the grader-only folder (made once per course by `data_prep`),
and no test source appears in train or val: since any date parser turns
sources into targets, a student who could regenerate the test sources could
train on them. The test split, sources included, lives only in the held-out
file; the grader feeds its sources to the student's saved model.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from data_prep.datasets.base import Built, DatasetSpec
from labs.seq2seq import MAX_SOURCE_LEN  # the translators' input length: no source is longer

GENERATOR_VERSION = "1"
SEED = 20261123
SIZES = {"train": 20_000, "val": 2_000, "test": 2_000}
FIRST, LAST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
TWO_DIGIT_YEARS = (1950, 2049)   # '50 .. '49

MONTHS = {
    "en": "January February March April May June July August September October November "
          "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
          "décembre".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
          "Dezember".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
          "diciembre".split(),
}
WEEKDAYS = {   # Monday first, as date.weekday()
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    "es": "lunes martes miércoles jueves viernes sábado domingo".split(),
}
ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
    "twenty-first twenty-second twenty-third twenty-fourth twenty-fifth twenty-sixth "
    "twenty-seventh twenty-eighth twenty-ninth thirtieth thirty-first").split()


def en_month_abbr(d: dt.date) -> str:
    return MONTHS["en"][d.month - 1][:3]


def en_ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def yy(d: dt.date) -> str:
    return f"{d.year % 100:02d}"


def month(lang: str, d: dt.date) -> str:
    return MONTHS[lang][d.month - 1]


def weekday(lang: str, d: dt.date) -> str:
    return WEEKDAYS[lang][d.weekday()]


# name -> (relative weight, needs a two-digit year, writer). The long and rare forms
# (spelled-out days, weekdays in Spanish) are what a model without attention gets wrong.
FORMATS = {
    "en_d_month_y": (8, False, lambda d: f"{d.day} {month('en', d)} {d.year}"),
    "en_month_d_y": (8, False, lambda d: f"{month('en', d)} {d.day}, {d.year}"),
    "en_mon_d_yy": (5, True, lambda d: f"{en_month_abbr(d)} {d.day}, '{yy(d)}"),
    "en_dth_mon_y": (5, False, lambda d: f"{en_ordinal(d.day)} {en_month_abbr(d)} {d.year}"),
    "en_the_dth_of_month_y": (5, False,
                              lambda d: f"the {en_ordinal(d.day)} of {month('en', d)} {d.year}"),
    "en_weekday_d_month_y": (5, False,
                             lambda d: f"{weekday('en', d)} {d.day} {month('en', d)} {d.year}"),
    "en_weekday_month_d_y": (4, False, lambda d: f"{weekday('en', d)}, {month('en', d)} "
                                                 f"{d.day}, {d.year}"),
    "en_rfc2822": (4, False, lambda d: f"{weekday('en', d)[:3]}, {d.day:02d} "
                                       f"{en_month_abbr(d)} {d.year}"),
    "en_spelled": (3, False, lambda d: f"the {ORDINAL_WORDS[d.day - 1]} of {month('en', d)}, "
                                       f"{d.year}"),
    "dd_mm_yyyy_dots": (6, False, lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}"),
    "d_m_yy_dots": (3, True, lambda d: f"{d.day}.{d.month}.{yy(d)}"),
    "dd_mm_yyyy_dashes": (3, False, lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}"),
    "us_mm_dd_yyyy": (5, False, lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}"),
    "us_m_d_yy": (3, True, lambda d: f"{d.month}/{d.day}/{yy(d)}"),
    "compact_yyyymmdd": (2, False, lambda d: f"{d.year}{d.month:02d}{d.day:02d}"),
    "iso": (2, False, lambda d: d.isoformat()),
    "fr_d_month_y": (4, False, lambda d: f"{'1er' if d.day == 1 else d.day} {month('fr', d)} "
                                         f"{d.year}"),
    "fr_le_weekday_d_month_y": (3, False, lambda d: f"le {weekday('fr', d)} "
                                                    f"{'1er' if d.day == 1 else d.day} "
                                                    f"{month('fr', d)} {d.year}"),
    "de_d_month_y": (4, False, lambda d: f"{d.day}. {month('de', d)} {d.year}"),
    "de_weekday_d_month_y": (3, False, lambda d: f"{weekday('de', d)}, {d.day}. "
                                                 f"{month('de', d)} {d.year}"),
    "es_d_de_month_de_y": (4, False, lambda d: f"{d.day} de {month('es', d)} de {d.year}"),
    "es_weekday_d_de_month_de_y": (2, False, lambda d: f"{weekday('es', d)}, {d.day} de "
                                                       f"{month('es', d)} de {d.year}"),
}
# Words are written as printed most of the time, sometimes in capitals or lower case.
CASES = {"as is": 0.8, "upper": 0.1, "lower": 0.1}


def write_date(d: dt.date, rng: np.random.Generator) -> tuple[str, str]:
    """(source, format name): `d` in a format drawn by weight, in a drawn case."""
    names = [n for n, (_, two_digit, _) in FORMATS.items()
             if not two_digit or TWO_DIGIT_YEARS[0] <= d.year <= TWO_DIGIT_YEARS[1]]
    weights = np.array([FORMATS[n][0] for n in names], dtype=float)
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    text = FORMATS[name][2](d)
    case = rng.choice(list(CASES), p=list(CASES.values()))
    text = text.upper() if case == "upper" else text.lower() if case == "lower" else text
    return text, name


def draw(n: int, seed: int, exclude: set[str] = frozenset()) -> dict:
    """`n` examples with distinct sources (none in `exclude`), dates uniform over the range."""
    rng = np.random.default_rng(seed)
    span = (LAST - FIRST).days + 1
    sources, targets, formats, seen = [], [], [], set(exclude)
    while len(sources) < n:
        d = FIRST + dt.timedelta(days=int(rng.integers(span)))
        source, name = write_date(d, rng)
        if source in seen:
            continue
        seen.add(source)
        sources.append(source)
        targets.append(d.isoformat())
        formats.append(name)
    return {"source": sources, "target": targets, "format": formats}


def build(raw: dict, test_seed: int) -> Built:
    train = draw(SIZES["train"], SEED)
    val = draw(SIZES["val"], SEED + 1, exclude=set(train["source"]))
    test = draw(SIZES["test"], test_seed, exclude=set(train["source"]) | set(val["source"]))
    splits = {"train": train, "val": val, "test": test}
    longest = max(len(s) for split in splits.values() for s in split["source"])
    assert longest <= MAX_SOURCE_LEN, longest
    attrs = {
        "generator_version": GENERATOR_VERSION,
        "split_sizes": {name: len(split["source"]) for name, split in splits.items()},
        "formats": {name: weight for name, (weight, _, _) in FORMATS.items()},
        # train and val only: the students' file says nothing about the course's test draw
        "format_counts": {name: {f: split["format"].count(f) for f in FORMATS}
                          for name, split in splits.items() if name != "test"},
        "date_range": f"{FIRST.isoformat()}..{LAST.isoformat()}",
        "two_digit_years": f"{TWO_DIGIT_YEARS[0]}..{TWO_DIGIT_YEARS[1]}",
        "max_source_chars": MAX_SOURCE_LEN,
    }
    return Built({"train": train, "val": val}, {"test": test}, attrs)


SPEC = DatasetSpec("seq2seq_dates", (), build, secret_test_seed=True,
                   license="CC0-1.0 (generated by data_prep.datasets.dates)",
                   version=GENERATOR_VERSION)
