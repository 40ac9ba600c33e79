"""The results folder: atomic files with provenance, scanning on restart, locking and DuckDB queries."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from experiments.runner import execute_run
from experiments.spec import experiment_from_dict
from experiments.store import CorruptResultWarning, ResultStore, connect, query
from sim.errors import InputError
from sim.run import read_provenance

DEFN = {"name": "store-test", "master_seed": 3, "end_year": 2011, "scale": 50000, "replications": 1,
        "levers": {"public_rental_units_per_year": {"values": [0, 500]}},
        "uncertainties": {"design": "latin_hypercube", "n": 1, "parameters": ["taste_scale"]}}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A folder where both runs of a 2-run experiment were executed in-process and written."""
    exp = experiment_from_dict(DEFN)
    plan = exp.plan()
    store = ResultStore(tmp_path_factory.mktemp("store") / "out")
    with store.locked():
        store.prepare(exp, plan, exp.digest())
        for p in plan:
            o = execute_run(p)
            store.write_run(p, experiment=exp.name, digest=exp.digest(), indicators=o.indicators, flows=None,
                            provenance=o.provenance, elapsed=o.elapsed, worker=o.worker)
    return exp, plan, store


def test_run_file_carries_levers_uncertainties_seed_and_provenance(finished):
    exp, plan, store = finished
    meta = read_provenance(store.run_path(plan[1].spec))
    assert meta["run"]["levers"] == {"public_rental_units_per_year": 500.0}
    assert set(meta["run"]["uncertainties"]) == {"taste_scale"}
    assert meta["run"]["seed"] == plan[1].spec.seed == meta["model"]["seed"]
    assert {"git_commit", "data_version", "packages", "parameters", "scenario"} <= set(meta["model"])
    assert meta["model"]["parameters"]["taste_scale"] == plan[1].spec.uncertainties["taste_scale"]
    table = pq.read_table(store.run_path(plan[1].spec)).to_pandas()
    assert (table["public_rental_units_per_year"] == 500.0).all()
    assert (table["seed"] == plan[1].spec.seed).all()
    assert {"year", "region", "indicator", "value", "taste_scale", "scenario"} <= set(table.columns)


def test_scan_finds_done_runs(finished):
    _, plan, store = finished
    assert store.scan(plan).done == {0, 1}


def test_damaged_and_misplaced_files_are_quarantined_with_a_warning(finished, tmp_path):
    exp, plan, store = finished
    copy = ResultStore(tmp_path / "copy")
    with copy.locked():
        copy.prepare(exp, plan, exp.digest())
        copy.run_path(plan[0].spec).write_bytes(b"PAR1 this is not parquet")
        # run 1's slot holds run 0's (valid) file: it belongs to another run
        copy.run_path(plan[1].spec).write_bytes(store.run_path(plan[0].spec).read_bytes())
        with pytest.warns(CorruptResultWarning) as caught:
            state = copy.scan(plan)
    assert state.done == set()
    assert len(state.corrupt) == 2 and len(caught) == 2
    assert "belongs to run 0" in state.corrupt[1][1]
    assert len(list((tmp_path / "copy" / "corrupt").iterdir())) == 2


def test_leftover_temporary_files_are_removed_on_prepare(finished, tmp_path):
    exp, plan, _ = finished
    store = ResultStore(tmp_path / "t")
    (tmp_path / "t" / "runs").mkdir(parents=True)
    tmp = tmp_path / "t" / "runs" / ".r000000.parquet.abc.tmp"
    tmp.write_bytes(b"half a file")
    with store.locked():
        store.prepare(exp, plan, exp.digest())
    assert not tmp.exists()


def test_second_writer_is_refused(finished):
    _, _, store = finished
    with store.locked(), pytest.raises(InputError, match="no other running sweep"), ResultStore(store.root).locked():
        pass


def test_failure_records_count_attempts(finished, tmp_path):
    _, plan, _ = finished
    store = ResultStore(tmp_path / "f")
    store.failed_dir.mkdir(parents=True)
    for _ in range(2):
        path = store.write_failure(plan[0].spec, error_type="ValueError", message="boom", traceback="tb", worker="w")
    record = json.loads(path.read_text())
    assert record["attempts"] == 2 and record["run"]["run_index"] == 0


def test_duckdb_queries_the_folder_without_writing(finished):
    _, plan, store = finished
    before = sorted(p.name for p in store.root.rglob("*"))
    df = query(store.root, "SELECT run_index, public_rental_units_per_year AS units, value FROM runs "
                           "WHERE indicator = 'urbanization_rate' AND region = 'Hunan' AND year = 2011 ORDER BY 1")
    assert df["run_index"].tolist() == [0, 1] and df["units"].tolist() == [0.0, 500.0]
    con = connect(store.root)
    try:
        assert con.execute("SELECT count(*) FROM design").fetchone()[0] == len(plan)
        assert con.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
    finally:
        con.close()
    assert sorted(p.name for p in store.root.rglob("*")) == before


def test_query_of_a_non_results_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="hunan-sim sweep"):
        query(tmp_path, "SELECT 1")


def test_the_folder_describes_its_units_and_provenance_for_duckdb(finished):
    """Each run file has a unit column, the folder an indicators.csv, and query() views units and provenance
    (the provenance as JSON, read with json_extract)."""
    import os

    _, plan, store = finished
    table = pq.read_table(store.run_path(plan[0].spec)).to_pandas()
    assert table.columns.get_loc("unit") == table.columns.get_loc("indicator") + 1
    assert set(table[table.indicator == "urbanization_rate"].unit) == {"percent"}
    assert (store.root / "indicators.csv").is_file()
    mask = os.umask(0)
    os.umask(mask)
    assert (store.root / "indicators.csv").stat().st_mode & 0o777 == 0o666 & ~mask
    assert store.run_path(plan[0].spec).stat().st_mode & 0o777 == 0o666 & ~mask
    units = query(store.root, "SELECT r.indicator, any_value(r.unit) AS unit, any_value(u.unit) AS listed "
                              "FROM runs r JOIN units u USING (indicator) GROUP BY ALL")
    assert len(units) == table.indicator.nunique() and (units.unit == units.listed).all()
    prov = query(store.root, "SELECT run_id, json_extract(provenance, '$.model.seed')::BIGINT AS seed, "
                             "json_extract_string(provenance, '$.model.git_commit') AS code FROM provenance "
                             "ORDER BY run_id")
    assert prov.run_id.tolist() == [p.spec.run_id for p in plan]
    assert prov.seed.tolist() == [p.spec.seed for p in plan]
    assert (prov.code == read_provenance(store.run_path(plan[0].spec))["model"]["git_commit"]).all()
