"""The sourced demographic, income, labour and hukou series in ``calibration/data/`` (issue 18).

These tables are targets and validation data, not model inputs yet, so the tests check what makes them usable
and honest: the tidy schema, a source and an allowed confidence on every row, a value exactly when the row is not
a gap, no year after 2020, the check points issue 18 quotes, the accounting identities the bulletins obey, and
that the age pyramids derived from the census county tables are what those tables hold.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim.data import DATA_DIR

CONFIDENCE = {"sourced", "recalled", "gap"}
YEARLY = ["year", "indicator", "value", "unit", "source", "confidence", "note"]
#: file -> (columns, the key that identifies a row, first year allowed)
FILES = {
    "demography_2010_2020.csv": (YEARLY, ["year", "indicator"], 2010),
    "income_2010_2020.csv": (YEARLY, ["year", "indicator"], 2010),
    "labour_2010_2020.csv": (YEARLY, ["year", "indicator"], 2010),
    # survey facts and benchmarks may predate 2010 (e.g. the 1995 return-migration estimate)
    "hukou_migration_facts.csv": (["geography", "year", "indicator", "value", "unit", "source", "confidence",
                                   "note"], ["geography", "year", "indicator"], 1990),
    "census_age_2010_2020.csv": (["year", "indicator", "age_band", "sex", "value", "unit", "source", "confidence",
                                  "note"], ["year", "indicator", "age_band", "sex"], 2010),
}
LAST_OBSERVATION_YEAR = 2020


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype={"source": str, "note": str, "confidence": str})


@pytest.mark.parametrize("name", sorted(FILES))
def test_schema_source_confidence_and_years(name: str) -> None:
    columns, key, first_year = FILES[name]
    df = _load(name)
    assert list(df.columns) == columns
    assert len(df) > 0
    assert df["source"].notna().all() and (df["source"].str.strip() != "").all(), "every row names its source"
    assert set(df["confidence"]) <= CONFIDENCE
    years = pd.to_numeric(df["year"], errors="raise")
    assert (years == years.round()).all()
    assert years.max() <= LAST_OBSERVATION_YEAR, "no observation after 2020"
    assert years.min() >= first_year
    assert not df.duplicated(key).any(), f"one row per {key}"
    values = pd.to_numeric(df["value"], errors="coerce")
    gap = df["confidence"] == "gap"
    # a gap row has no value; every other row has a number
    assert values[gap].isna().all()
    assert values[~gap].notna().all()
    assert (df["unit"].str.strip() != "").all()


def _series(name: str) -> dict[tuple[int, str], float]:
    df = _load(name)
    df = df[df["confidence"] != "gap"]
    return {(int(y), ind): float(v) for y, ind, v in zip(df["year"], df["indicator"], df["value"], strict=True)}


def test_the_check_points_of_issue_18() -> None:
    """2011: birth rate 13.35 ‰, death rate 6.8 ‰; 2019: 0.718 M births, 0.503 M deaths (10k persons here)."""
    s = _series("demography_2010_2020.csv")
    assert s[(2011, "birth_rate")] == pytest.approx(13.35)
    assert s[(2011, "death_rate")] == pytest.approx(6.8)
    assert s[(2019, "births")] == pytest.approx(71.8)
    assert s[(2019, "deaths")] == pytest.approx(50.3)


def test_birth_minus_death_rate_is_the_natural_growth_rate() -> None:
    s = _series("demography_2010_2020.csv")
    checked = 0
    for year in range(2010, LAST_OBSERVATION_YEAR + 1):
        keys = [(year, k) for k in ("birth_rate", "death_rate", "natural_growth_rate")]
        if all(k in s for k in keys):
            b, d, n = (s[k] for k in keys)
            assert b - d == pytest.approx(n, abs=0.011), year   # the bulletins round each rate to 0.01 ‰
            checked += 1
    assert checked >= 8   # 2010-2012, 2014-2016, 2018-2019 (2013 and 2017: natural growth only; 2020: birth rate only)


def test_births_and_deaths_agree_with_their_rates() -> None:
    """Count ≈ rate × mean population of the year (the bulletins' definition), within rounding of 0.1 (10k)."""
    s = _series("demography_2010_2020.csv")
    checked = 0
    for year in range(2011, LAST_OBSERVATION_YEAR + 1):
        for count, rate in (("births", "birth_rate"), ("deaths", "death_rate")):
            ends = [(year - 1, "resident_population_yearend"), (year, "resident_population_yearend")]
            if (year, count) in s and (year, rate) in s and all(k in s for k in ends):
                mean_pop = (s[ends[0]] + s[ends[1]]) / 2
                assert s[(year, count)] == pytest.approx(s[(year, rate)] / 1000 * mean_pop, abs=0.15), (year, count)
                checked += 1
    assert checked >= 14   # births and deaths of 2011, 2012, 2014, 2015, 2016, 2018, 2019


def test_incomes_are_consistent_with_the_published_ratios() -> None:
    s = _series("income_2010_2020.csv")
    df = _load("income_2010_2020.csv")
    ratios = df[df["indicator"] == "urban_rural_income_ratio"]
    # a ratio published on the old basis (urban disposable / rural net income) cannot check new-basis incomes
    old_basis = {int(y) for y, n in zip(ratios["year"], ratios["note"].fillna(""), strict=True) if "old basis" in n}
    checked = 0
    for year in range(2013, LAST_OBSERVATION_YEAR + 1):
        keys = [(year, "urban_disposable_income"), (year, "rural_disposable_income"),
                (year, "urban_rural_income_ratio")]
        if year not in old_basis and all(k in s for k in keys):
            urban, rural, ratio = (s[k] for k in keys)
            assert urban / rural == pytest.approx(ratio, abs=0.006), year
            checked += 1
    assert checked >= 3
    # rural net income (纯收入, to 2012) and rural disposable income (from 2013) are different measures:
    # never both in one year, and never the net income after the switch
    assert not ((df["indicator"] == "rural_net_income") & (df["year"] > 2013)).any()
    assert not ((df["indicator"] == "rural_disposable_income") & (df["year"] < 2013)).any()


GROWTH_DERIVED = re.compile(r"derived: (\d{4}) value (\d+) / \(1 \+ ([\d.]+)%\)")


def test_incomes_derived_from_growth_rates_reproduce_the_following_year() -> None:
    """A level derived as next year's value / (1 + stated growth) names a next-year value that is in the file."""
    df = _load("income_2010_2020.csv")
    s = _series("income_2010_2020.csv")
    derived = 0
    for year, ind, value, note in zip(df["year"], df["indicator"], df["value"], df["note"].fillna(""), strict=True):
        m = GROWTH_DERIVED.search(note)
        if not m:
            continue
        next_year, next_value, growth = int(m[1]), float(m[2]), float(m[3])
        assert next_year == int(year) + 1, (year, ind)
        assert s[(next_year, ind)] == next_value, (year, ind)   # the input is the file's own sourced value
        assert float(value) == round(next_value / (1 + growth / 100)), (year, ind)
        # the stated growth is rounded to 0.1 %: the derived level is uncertain by less than 0.05 % of it
        assert abs(next_value / float(value) - 1 - growth / 100) <= 0.0005 + 1 / float(value), (year, ind)
        derived += 1
    assert derived >= 6   # urban and rural, 2013, 2017, 2019


@pytest.mark.parametrize(("name", "indicator"), [
    ("demography_2010_2020.csv", "natural_growth_rate"),
    ("labour_2010_2020.csv", "registered_urban_unemployment_rate"),
])
def test_series_complete_2010_2020(name: str, indicator: str) -> None:
    """These series have a sourced value every year 2010-2019 (2020's natural growth is not published in 2020)."""
    s = _series(name)
    assert [y for y in range(2010, LAST_OBSERVATION_YEAR) if (y, indicator) not in s] == []


def test_rates_and_shares_are_in_plausible_ranges() -> None:
    s = _series("demography_2010_2020.csv")
    for (_, ind), v in s.items():
        if ind.endswith("_rate"):
            assert 0 < v < 30, ind
        elif ind.startswith("resident_population"):
            assert 6000 < v < 7500, ind
    lab = _series("labour_2010_2020.csv")
    for (_, ind), v in lab.items():
        if "unemployment_rate" in ind:
            assert 0 < v < 15, ind


@pytest.mark.parametrize(("year", "census", "total_column"), [
    (2010, "census/hunan_county_census_2010.csv", "合计"),
    (2020, "census/hunan_county_census_2020.csv", "人口数_合计"),
])
def test_age_pyramid_is_the_census_province_row(year: int, census: str, total_column: str) -> None:
    """The derived pyramid is the census table's own province row, band by band, and sums to its total."""
    age = _load("census_age_2010_2020.csv")
    pyramid = age[(age["year"] == year) & (age["indicator"] == "population")]
    assert len(pyramid) == 19 * 2
    row = pd.read_csv(DATA_DIR / census).iloc[0]
    assert int(float(row["区划代码"])) == 430000   # the province row
    for column, value in zip(pyramid["note"].str.extract(r"column '(.+)'")[0], pyramid["value"], strict=True):
        assert float(row[column]) == float(value), column
    assert pyramid["value"].sum() == float(row[total_column])
    shares = age[(age["year"] == year) & (age["indicator"] == "population_share")]
    assert shares["value"].sum() == pytest.approx(100, abs=0.02)
    # the 65+ share rises between the censuses: the ageing the model has to reproduce
    if year == 2020:
        old = age[(age["indicator"] == "population_share") & (age["age_band"] == "65+")].set_index("year")["value"]
        assert old[2020] > old[2010] + 4


def test_gap_rows_say_so() -> None:
    """A gap is explicit: named 'not found' (or the partial source) and never carries a number."""
    for name in FILES:
        df = _load(name)
        gaps = df[df["confidence"] == "gap"]
        assert all(isinstance(v, float) and math.isnan(v) for v in pd.to_numeric(gaps["value"], errors="coerce"))


@pytest.mark.parametrize("name", sorted(FILES))
def test_gap_rows_record_what_was_searched(name: str) -> None:
    """Every gap says in its note why it is one (where it was looked for, or what partial facts exist)."""
    df = _load(name)
    notes = df.loc[df["confidence"] == "gap", "note"].fillna("")
    assert (notes.str.strip().str.len() >= 20).all(), list(df.loc[notes.index[notes.str.len() < 20], "indicator"])


@pytest.mark.parametrize("name", sorted(FILES))
def test_sourced_rows_name_a_real_source(name: str) -> None:
    """A row with a value cites an address (URL, GitHub repository or the plan), never the gap placeholder."""
    df = _load(name)
    sources = df.loc[df["confidence"] != "gap", "source"].str.strip()
    assert not sources.str.lower().isin(["not found", ""]).any()
    cited = sources.str.contains(r"https?://|GitHub|规划|plan_indicators", regex=True)
    assert cited.all(), list(sources[~cited])


#: a value labelled with a year after 2020 ("2021年", "end of 2021", "in 2022"); publication dates such as
#: "2021-01-19" are allowed, they date the release of 2020 values
LATER_YEAR_LABEL = re.compile(r"20(?:2[1-9]|[3-9]\d)\s*年|\b(?:in|end of|year|since) 20(?:2[1-9]|[3-9]\d)\b")


@pytest.mark.parametrize("name", sorted(FILES))
def test_notes_quote_no_observation_after_2020(name: str) -> None:
    """Notes and sources quote no value labelled with a year after 2020 (reserved for out-of-sample validation)."""
    df = _load(name)
    for column in ("note", "source"):
        text = df[column].fillna("")
        hits = text[text.str.contains(LATER_YEAR_LABEL)]
        assert hits.empty, list(hits)
    assert LATER_YEAR_LABEL.search("2021年出生人口") and LATER_YEAR_LABEL.search("at the end of 2022")
    assert not LATER_YEAR_LABEL.search("(国家统计局湖南调查总队 2021-01-19)")


def _facts() -> dict[tuple[str, int, str], float]:
    df = _load("hukou_migration_facts.csv")
    df = df[df["confidence"] != "gap"]
    return {(g, int(y), i): float(v)
            for g, y, i, v in zip(df["geography"], df["year"], df["indicator"], df["value"], strict=True)}


PRODUCT_DERIVED = re.compile(r"derived: ([\d.]+) x ([\d.]+) / 100 = ([\d.]+)")


def test_cmds_willingness_is_the_stated_product_of_sourced_shares() -> None:
    """CMDS 2016: 29.7 % of migrants intend to stay >= 5 years AND would transfer hukou = 60.9 % x 48.7 %."""
    df = _load("hukou_migration_facts.csv")
    f = _facts()
    row = df[df["indicator"] == "migrants_long_term_stay_and_hukou_transfer_willing_share"].iloc[0]
    m = PRODUCT_DERIVED.search(row["note"])
    assert m, row["note"]
    stay, willing, product = (float(x) for x in m.groups())
    # the conditional share is the file's own sourced row, the stay share is quoted in that row's note
    assert f[("全国", 2016, "migrants_long_term_stayers_hukou_transfer_willingness_share")] == willing
    assert f"{stay}%的流动人口" in df.loc[df["indicator"] == "migrants_long_term_stayers_hukou_transfer_willingness_share",
                                        "note"].iloc[0]
    assert product == pytest.approx(stay * willing / 100, abs=0.005)
    assert float(row["value"]) == round(stay * willing / 100, 1)
    # the share of ALL migrants willing stays a gap: the source gives only the conditional share
    gap = df[(df["indicator"] == "migrants_hukou_transfer_willingness_share") & (df["year"] == 2016)]
    assert list(gap["confidence"]) == ["gap"]


def test_national_hukou_urbanization_rates() -> None:
    """National hukou urbanization comparators rise year by year, stay below the resident rate, match the census."""
    f = _facts()
    years = sorted(y for g, y, i in f if g == "全国" and i == "hukou_urbanization_rate")
    assert years == [2015, 2016, 2018, 2020]
    values = [f[("全国", y, "hukou_urbanization_rate")] for y in years]
    assert values == sorted(values) and 35 < values[0] and values[-1] < 50
    ts = pd.read_csv(DATA_DIR / "province_timeseries.csv")
    census = ts[(ts["year"] == 2020) & (ts["indicator"] == "urbanization_rate_hukou_NATIONAL")]["value"]
    assert float(census.iloc[0]) == f[("全国", 2020, "hukou_urbanization_rate")]
    # Hunan's own rate is still a gap (not found for any year to 2020)
    df = _load("hukou_migration_facts.csv")
    hunan = df[(df["geography"] == "湖南省") & (df["indicator"] == "hukou_urbanization_rate")]
    assert set(hunan["confidence"]) == {"gap"}
