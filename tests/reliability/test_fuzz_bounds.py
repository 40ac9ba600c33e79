"""10,000 seeded examples per target (issue 13): scenario TOML, experiment TOML and ``--set`` values, each fuzzed
as text through the same parse-and-validate functions the command line uses (in-process, so that 10,000 stay
fast). Every example ends in a validated object or in one InputError naming its source, on one line: never a
traceback. Hostile shapes from the issue are mixed in: a byte-order mark, numbers of 19-5000 digits, nesting up to
3000 deep, dotted keys of up to 5000 parts, 20,000-character strings, thousands of keys."""

from __future__ import annotations

import copy
import os
import math
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.spec import _deep_merge, experiment_from_dict, parse_override
from rel_helpers import TINY_EXPERIMENT
from sim import limits
from sim.data import division_names
from sim.errors import InputError
from sim.limits import parse_toml
from sim.parameters import LEVERS, parameter_names
from sim.parameters_default import POSTERIOR_PATH
from sim.scenario import Scenario

# About 40 s of CPU per target here (75-100 s of wall time on the shared 2-core machine, load 10): marked slow,
# run by .ci/run with the rest of the suite.
N_EXAMPLES = int(os.environ.get("HUNAN_FUZZ_EXAMPLES", "10000"))  # fewer while developing
FUZZ = settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


# ---- values and their TOML text ---------------------------------------------------------------------------

def toml_string(text: str) -> str:
    """A TOML basic string (also a quoted key): control characters escaped, everything else kept as it is."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF:  # surrogates: TOML refuses them
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_text(value: object) -> str:
    """TOML inline text of a value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {toml_text(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def document_text(doc: dict) -> str:
    return "".join(f"{toml_string(k)} = {toml_text(v)}\n" for k, v in doc.items())


YEARS = [0, 1990, 2009, 2010, 2011, 2012, 2020, 2021, 2035, 2100, 2101, 2300, 9999, 10000, -1]
scalars = st.one_of(
    st.integers(-10**6, 10**6), st.integers(-10**400, 10**400), st.sampled_from(YEARS + [2**63 - 1, 2**63, 10**19]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=12),
    st.sampled_from(["baseline", "plan-2021", "all", "calibrated", "latin_hypercube", "sobol", "morris",
                     "sobol_sensitivity", "posterior", "defaults", "full_factorial", "..", "g[1]", "/dev/zero",
                     str(POSTERIOR_PATH), "x" * 20_000, "\ufeff", "a\x00b"]))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                      max_leaves=8)
cities = st.sampled_from(division_names() + ["长沙市", "Atlantis", ""])
lever_names = st.sampled_from(list(LEVERS)) | st.text(max_size=8)


@st.composite
def hostile_lines(draw) -> str:
    """A line (or lines) of the shapes the issue found: long numbers, deep nesting, long dotted keys, many keys."""
    key = draw(st.sampled_from(["from", "until", "name", "replications", "master_seed", "scale", "x"]))
    kind = draw(st.sampled_from(["digits", "deep_array", "deep_table", "dotted", "long_string", "many_keys"]))
    size = draw(st.sampled_from([3, 11, 19, 20, 150, 400, 3000, 5000]))
    if kind == "digits":
        return f"{key} = {'9' * size}\n"
    if kind == "deep_array":
        return f"{key} = {'[' * size}{']' * size}\n"
    if kind == "deep_table":
        return f"{key} = {'{a = ' * size}1{'}' * size}\n"
    if kind == "dotted":
        return f"{key}{'.a' * size} = 1\n"
    if kind == "long_string":
        return f'{key} = "{"y" * (size * 7)}"\n'
    return "".join(f"k{i} = {i}\n" for i in range(size * 4))


def mutate(text: str, draw) -> str:
    """Text damaged the ways the issue tried: a BOM in front, a hostile line added, a slice cut out or repeated."""
    how = draw(st.sampled_from(["none"] * 5 + ["bom", "hostile", "hostile", "cut", "insert"]))
    if how == "bom":
        return "\ufeff" + text
    if how == "hostile":
        return draw(hostile_lines()) + text if draw(st.booleans()) else text + draw(hostile_lines())
    if how == "cut" and text:
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + text[i + draw(st.integers(1, 20)):]
    if how == "insert":
        i = draw(st.integers(0, len(text)))
        return text[:i] + draw(st.text(max_size=8)) + text[i:]
    return text


def _assert_one_clear_line(exc: InputError, *sources: str) -> None:
    msg = str(exc)
    assert "\n" not in msg and "\r" not in msg, msg
    assert len(msg) < 3000, msg[:300]
    assert any(s in msg for s in sources), msg[:300]


# ---- scenario TOML ----------------------------------------------------------------------------------------

blocks = st.fixed_dictionaries({}, optional={
    "from": scalars, "until": scalars, "cities": st.lists(cities | scalars, max_size=3) | values,
    "levers": st.dictionaries(lever_names, scalars, max_size=3) | values,
    "by_city": st.dictionaries(lever_names, st.dictionaries(cities, scalars, max_size=2) | values, max_size=2),
    "source": values, "note": values, "bogus": values})
scenario_docs = st.fixed_dictionaries({}, optional={
    "name": st.text(max_size=8) | values, "description": values, "title_zh": values,
    "extends": st.sampled_from(["baseline", "plan-2021", "nope", "../experiments/transport"]) | values,
    "policy": st.lists(blocks, max_size=3) | values, "surprise": values})


@st.composite
def scenario_texts(draw) -> str:
    doc = draw(scenario_docs)
    policy = doc.pop("policy", None)
    text = document_text(doc)
    if isinstance(policy, list) and all(isinstance(b, dict) for b in policy):
        # the usual [[policy]] form, with its levers as a sub-table
        for block in policy:
            levers = block.pop("levers", None)
            text += "[[policy]]\n" + document_text(block)
            if isinstance(levers, dict):
                text += "[policy.levers]\n" + document_text(levers)
    elif policy is not None:
        text += f"policy = {toml_text(policy)}\n"
    return mutate(text, draw)


def _check_policy(scenario: Scenario) -> None:
    for year in (2010, 2021, 2035):
        policy = scenario.policy(year)
        for name, lever in LEVERS.items():
            v = policy[name]
            arr = [float(x) for x in (v if hasattr(v, "__len__") else [v])]
            assert all(math.isfinite(x) and lever.low <= x <= lever.high for x in arr), (name, v)


@pytest.mark.slow
@FUZZ
@given(text=scenario_texts())
def test_fuzz_scenario_toml_10k(text):
    try:
        scenario = Scenario.from_dict(parse_toml(text, source="fuzz.toml"), source="fuzz.toml")
    except InputError as exc:
        _assert_one_clear_line(exc, "fuzz.toml", "scenarios")  # names the file (or the parent it extends)
        return
    _check_policy(scenario)


# ---- experiment TOML --------------------------------------------------------------------------------------

BASE = tomllib.loads(TINY_EXPERIMENT)
PATHS = [("name",), ("description",), ("scenarios",), ("end_year",), ("scale",), ("replications",), ("master_seed",),
         ("policy_from",), ("common_random_numbers",), ("levers",), ("levers", "design"), ("levers", "n"),
         ("levers", "public_rental_units_per_year"), ("levers", "public_rental_units_per_year", "values"),
         ("levers", "public_rental_units_per_year", "range"), ("levers", "public_rental_units_per_year", "from"),
         ("levers", "public_rental_units_per_year", "cities"), ("levers", "settlement_min_years", "values"),
         ("levers", "bundle", "options"), ("uncertainties",), ("uncertainties", "design"), ("uncertainties", "n"),
         ("uncertainties", "parameters"), ("uncertainties", "posterior_file"), ("uncertainties", "second_order"),
         ("uncertainties", "num_levels"), ("uncertainties", "ranges", "buy_rate"), ("outputs",),
         ("outputs", "indicators"), ("outputs", "years"), ("report", "discovery"), ("bogus",)]
edit_values = values | st.sampled_from([[0, 3000, 10**400], list(range(11)), "sobol_sensitivity", 2**30, 10**9,
                                        "all", {"a": {"settlement_min_years": 1}}, [2.0, 1.0]]) | st.none()


def _edited(edits: list) -> dict:
    doc = copy.deepcopy(BASE)
    for path, value in edits:
        node = doc
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = copy.deepcopy(value)  # sampled values are shared objects
    return doc


def _experiment_text(doc: dict) -> str:
    # tables as [headers] when they hold tables (the shape of the shipped files), inline otherwise
    text = document_text({k: v for k, v in doc.items() if not isinstance(v, dict)})
    for key, table in doc.items():
        if isinstance(table, dict):
            text += f"[{toml_string(key)}]\n" + document_text(table)
    return text


@st.composite
def experiment_texts(draw) -> str:
    edits = draw(st.lists(st.tuples(st.sampled_from(PATHS), edit_values), max_size=4))
    return mutate(_experiment_text(_edited(edits)), draw)


def _check_experiment(exp) -> None:
    assert 1 <= exp.scale <= limits.MAX_SCALE and 1 <= exp.replications <= limits.MAX_REPLICATIONS
    assert exp.uncertainty.n_points <= limits.MAX_DESIGN_POINTS
    assert all(f.from_year <= exp.end_year for f in exp.factors)
    limits.check_safe_name(exp.name, field="name", source="fuzz")


@pytest.mark.slow
@FUZZ
@given(text=experiment_texts())
def test_fuzz_experiment_toml_10k(text):
    try:
        exp = experiment_from_dict(parse_toml(text, source="fuzz-exp.toml"), source="fuzz-exp.toml")
    except InputError as exc:
        _assert_one_clear_line(exc, "fuzz-exp.toml", "scenario")
        return
    _check_experiment(exp)


# ---- --set values -----------------------------------------------------------------------------------------

SET_KEYS = [".".join(p) for p in PATHS]


@st.composite
def set_texts(draw) -> str:
    key = draw(st.sampled_from(SET_KEYS)) if draw(st.integers(0, 9)) < 9 else draw(st.text(max_size=10))
    how = draw(st.sampled_from(["toml"] * 6 + ["word", "text", "hostile", "hostile"]))
    if how == "toml":
        value = toml_text(draw(edit_values.filter(lambda v: v is not None)))
    elif how == "word":
        value = draw(st.sampled_from(["baseline", "test", "sobol", "1e9", "inf", "--", "[", "{", "="]))
    elif how == "text":
        value = draw(st.text(max_size=20))
    else:
        value = draw(hostile_lines()).split("=", 1)[-1].strip()
    return draw(st.text(max_size=20)) if draw(st.integers(0, 9)) == 9 else f"{key}={value}"


@pytest.mark.slow
@FUZZ
@given(texts=st.lists(set_texts(), min_size=1, max_size=2))
def test_fuzz_set_values_10k(texts):
    try:
        doc = copy.deepcopy(BASE)
        for text in texts:
            doc = _deep_merge(doc, parse_override(text))
        exp = experiment_from_dict(doc, source="fuzz-set.toml", overrides=tuple(texts))
    except InputError as exc:
        _assert_one_clear_line(exc, "command line", "fuzz-set.toml", "scenario")
        return
    _check_experiment(exp)


def test_the_strategies_reach_the_hostile_shapes_and_valid_files():
    """The fuzz is worth its time only if it produces both valid files and the issue's hostile shapes."""
    assert tomllib.loads(document_text({"a": [1, 2.5, "x", {"b": True}], "c": float("inf")})) == \
        {"a": [1, 2.5, "x", {"b": True}], "c": float("inf")}
    exp = experiment_from_dict(parse_toml(_experiment_text(_edited([])), source="x.toml"), source="x.toml")
    assert exp.n_runs == 4 and parameter_names()
