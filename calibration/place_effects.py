"""Estimate the place effects of the county network: how attractive each central city, county town and
county's villages are beyond the model and the division effects (issue 17).

The same model inversion as :mod:`calibration.division_effects` (Redding & Rossi-Hansberg 2017; Tombe & Zhu
2019), one level down:

* one amenity effect per place (a division's central city, each central district's villages, each county's
  county town and villages; outside has none) is found by a damped fixed point so that the simulated 2020
  share of each urban place in Hunan's resident population, and of each rural place in Hunan's rural resident
  population, equals the 2020 census by county (``calibration/data/census/hunan_county_census_2020.csv``, on
  2020 units);
* inside a central city, which stands for several districts, movers are assigned a district by its 2010 census
  weight times a fitted factor, so that the districts' 2020 populations are reproduced too (the same factor
  for the central villages);
* Hunan's level against outside: every Hunan place moves together so that Hunan's 2020 resident population
  equals the census' provincial total (66.44 M; a secant on the common level, since the total responds weakly
  to it), and the rural effects are centred on that level (weights: the census shares). Why: shares alone
  leave the level free, and the reported births and deaths (issue 18) imply about 3 M more people than the
  census counts unless Hunan's places are less attractive against outside than the ABC estimate on the
  division network made them. The urban effects' weighted mean is free: it makes up for what the county
  network changes in Hunan's total urbanization at the behavioural parameters ABC estimated on the division
  network, so Hunan's 2020 urbanization rate is close to the census by construction until the [validation]
  issue re-estimates the parameters on the county network; the 2011-2019 path stays a test.

Consequence for validation: the 2020 county population shares and urbanization rates are fitted by
construction (about 200 effects for as many shares), and so is Hunan's 2020 resident population, so meeting
them is a check that the fixed point converged, not evidence. The registered-elsewhere pattern by county, the 2010-2020 path and the division and
Hunan indicators remain tests.

Run ``python -m calibration.place_effects`` to refit and write ``calibration/place_effects.json``;
``python -m calibration.place_effects --check`` prints the fit criteria of issue 17 for the shipped file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from calibration.demography import observed_series
from sim.data import (MAX_DIVISION_EFFECT, PLACE_EFFECTS_PATH, PlaceEffects, load_counties_2010_on_2020,
                      load_counties_2020, load_county_census_2020, load_place_effects)
from sim.parameters import ModelParameters
from sim.places import PlaceKind, Places, county_places
from sim.years import LAST_OBSERVED_YEAR, START_YEAR

#: Census year the effects reproduce.
FIT_YEAR = LAST_OBSERVED_YEAR


@dataclass(frozen=True)
class CountyOutcome:
    """Per county (rows of ``load_counties_2020``) and per place, one year's resident and urban population.

    Attributes:
        population: residents by county.
        urban: urban residents by county.
        elsewhere: residents whose hukou is in another county of Hunan, by county.
        place_persons: residents by place.
    """

    population: np.ndarray
    urban: np.ndarray
    elsewhere: np.ndarray
    place_persons: np.ndarray


def observed_2020() -> CountyOutcome:
    """The 2020 census by county, and by place of the county network."""
    obs = load_county_census_2020()
    places = county_places()
    pop, urban = obs.population.to_numpy(float), obs.urban_population.to_numpy(float)
    per_place = np.zeros(places.n)
    np.add.at(per_place, places.county_urban_place, urban)
    np.add.at(per_place, places.county_rural_place, pop - urban)
    return CountyOutcome(pop, urban, obs.elsewhere_other_county.to_numpy(float), per_place)


def simulated(model: Any) -> CountyOutcome:
    """The same from a model's current state (``model``: a :class:`sim.model.HunanModel` on the county network)."""
    c, places = model.households.cols, model.places
    n_c = len(load_counties_2020())
    inside = c["county"] >= 0
    key = c["county"][inside].astype(np.int64) * 2 + places.in_hunan_city[c["loc"][inside]]
    w = c["n_members"][inside].astype(float) * model.scale
    table = np.bincount(key, weights=w, minlength=2 * n_c).reshape(n_c, 2)
    hunan_reg = (c["hukou_county"] >= 0) & inside & (c["hukou_county"] != c["county"])
    elsewhere = np.bincount(c["county"][hunan_reg].astype(np.int64), weights=c["n_members"][hunan_reg] * model.scale,
                            minlength=n_c)
    return CountyOutcome(table.sum(axis=1), table[:, 1], elsewhere, model.households.persons_by_loc() * model.scale)


def run_2020(params: ModelParameters | None, effects: PlaceEffects, *, scale: float, seed: int,
             scenario: str = "baseline") -> Any:
    """One model run 2010-2020 on the county network with these effects; returns the model."""
    from sim.model import HunanModel

    model = HunanModel(scenario=scenario, params=params, scale=scale, rng=seed, end_year=FIT_YEAR,
                       place_effects=effects)
    while model.year < FIT_YEAR:
        model.step()
    return model


@dataclass
class FitCriteria:
    """Issue 17's fit criteria for one run (percentage points).

    Attributes:
        share_rmse: RMSE of each county's share of Hunan's resident population.
        rate_rmse: RMSE of each county's urbanization rate.
        rate_max: largest urbanization-rate error of a county.
        share_max: largest population-share error of a county.
        central_share_max: largest error of a division's central-city share of its urban population.
        central_change_error: error of the 2010-2020 change of Hunan's central-district share of urban population.
        central_change_model: that change in the model.
        central_change_census: that change in the census.
    """

    share_rmse: float
    rate_rmse: float
    rate_max: float
    share_max: float
    central_share_max: float
    central_change_error: float
    central_change_model: float
    central_change_census: float

    def met(self) -> bool:
        """True if every criterion of issue 17 holds."""
        return (self.share_rmse <= 0.1 and self.rate_rmse <= 4 and self.rate_max <= 10
                and self.central_share_max <= 5 and abs(self.central_change_error) <= 1.5)


def _central_share(urban: np.ndarray, central: np.ndarray, division: np.ndarray) -> tuple[np.ndarray, float]:
    """Central districts' share (%) of each division's and of Hunan's urban population."""
    by_div = np.bincount(division, weights=urban * central, minlength=14) / np.bincount(division, weights=urban,
                                                                                       minlength=14)
    return 100 * by_div, 100 * float((urban * central).sum() / urban.sum())


def fit_criteria(sim: CountyOutcome) -> FitCriteria:
    """Issue 17's criteria of a simulated 2020 against the census (2010: the census on 2020 units)."""
    obs = observed_2020()
    counties = load_counties_2020()
    central, division = counties.central.to_numpy(bool), counties.division.to_numpy()
    share = 100 * (sim.population / sim.population.sum() - obs.population / obs.population.sum())
    rate = 100 * (sim.urban / sim.population - obs.urban / obs.population)
    by_div_sim, hunan_sim = _central_share(sim.urban, central, division)
    by_div_obs, hunan_obs = _central_share(obs.urban, central, division)
    c2010 = load_counties_2010_on_2020()
    _, hunan_2010 = _central_share(c2010.urban_population.to_numpy(float), central, division)
    return FitCriteria(float(np.sqrt(np.mean(share**2))), float(np.sqrt(np.mean(rate**2))), float(np.abs(rate).max()),
                       float(np.abs(share).max()), float(np.abs(by_div_sim - by_div_obs).max()),
                       (hunan_sim - hunan_2010) - (hunan_obs - hunan_2010), hunan_sim - hunan_2010,
                       hunan_obs - hunan_2010)


def cpc(predicted: np.ndarray, observed: np.ndarray) -> float:
    """Common part of commuters (Sørensen index), 2 Σ min(p, o) / (Σ p + Σ o): 1 for a perfect prediction, 0 for
    no overlap (Lenormand et al. 2012, J. Transport Geography 21:46; the standard score of spatial-interaction
    predictions)."""
    predicted, observed = np.asarray(predicted, float), np.asarray(observed, float)
    return float(2 * np.minimum(predicted, observed).sum() / (predicted.sum() + observed.sum()))


def registered_elsewhere_cpc(model: Any) -> dict[str, float]:
    """The model's 2020 residents registered in another county of Hunan, by county, against the 2020 census, as a
    CPC, beside the null model that carries the 2010 census pattern forward (the 2010 census' in-migrants from
    another county of the province, on 2020 units: as counted, and rescaled to the model's 2020 total)."""
    obs = observed_2020().elsewhere
    sim = simulated(model).elsewhere
    old = load_counties_2010_on_2020().in_migrants_other_county.to_numpy(float)
    return {"model": cpc(sim, obs), "persistence": cpc(old, obs),
            "persistence_rescaled_to_model_total": cpc(old * sim.sum() / old.sum(), obs),
            "model_total": float(sim.sum()), "census_total": float(obs.sum()), "census_2010_total": float(old.sum())}


def fit_place_effects(params: ModelParameters | None, *, scale: float = 100, seed: int = 1, max_iterations: int = 30,
                      damping: float = 0.7, start: PlaceEffects | None = None, progress: bool = True
                      ) -> tuple[PlaceEffects, FitCriteria, list[dict[str, float]]]:
    """Damped fixed point for the place effects and district factors (see the module docstring).

    Each place's effect moves by its log share error times ``taste_scale / 0.35`` (as the division effects),
    damped; each district factor by its log population error within its central city, damped. Returns the
    best evaluated effects (smallest county population-share RMSE among runs meeting the rate criteria, else
    overall), their criteria and the history.
    """
    from sim.parameters_default import default_parameters

    p = default_parameters() if params is None else params
    places = county_places()
    obs = observed_2020()
    urban_place = places.in_hunan_city
    rural_place = places.is_village
    obs_share = np.zeros(places.n)
    hunan_obs = obs.place_persons[urban_place | rural_place].sum()
    obs_share[urban_place] = obs.place_persons[urban_place] / hunan_obs
    obs_share[rural_place] = obs.place_persons[rural_place] / obs.place_persons[rural_place].sum()
    effects = start if start is not None else PlaceEffects(np.zeros(places.n), np.ones((places.n_counties, 2)))
    amenity, factor = effects.amenity.copy(), effects.county_factor.copy()
    multi = _multi_county(places)
    gain = damping * p.taste_scale / 0.35
    history: list[dict[str, float]] = []
    # the weighted mean of the rural effects: Hunan's level against outside (moved to fit Hunan's population)
    rural_level = level = float(np.dot(amenity[rural_place], obs_share[rural_place]))
    # Hunan's total is the census' provincial resident population (the county table leaves out about 1 M persons
    # not counted in a county, chiefly the armed forces), fitted by a secant on the level: the total responds
    # weakly to it (about 4 % per 10k yuan), far less than a place's share to its own effect.
    census_total = float(observed_series("province_timeseries.csv", "resident_population")[FIT_YEAR]) * 1e4
    slope, previous = 0.04, None
    best: tuple[tuple[bool, bool, float], PlaceEffects, FitCriteria] | None = None
    for it in range(1, max_iterations + 1):
        current = PlaceEffects(amenity.copy(), factor.copy())
        model = run_2020(params, current, scale=scale, seed=seed)
        sim = simulated(model)
        crit = fit_criteria(sim)
        history.append({"iteration": it, **{k: round(v, 4) for k, v in vars(crit).items()}})
        if progress:
            print(f"place effects, iteration {it}: county share RMSE {crit.share_rmse:.3f} pp (max "
                  f"{crit.share_max:.2f}), rate RMSE {crit.rate_rmse:.2f} pp (max {crit.rate_max:.1f}), central share "
                  f"max {crit.central_share_max:.2f} pp, central change error {crit.central_change_error:+.2f} pp, "
                  f"Hunan {sim.place_persons[places.in_hunan].sum() / 1e6:.2f} M (census {census_total / 1e6:.2f})",
                  flush=True)
        # the best run meets the county criteria and has Hunan's total within 0.5 % of the census
        total_error = float(sim.place_persons[places.in_hunan].sum() / census_total - 1)
        history[-1]["hunan_total_error"] = round(total_error, 5)
        score = (abs(total_error) > 0.005, not crit.met(), crit.share_rmse + crit.rate_rmse / 40)
        if best is None or score < best[0]:
            best = (score, current, crit)
        sim_share = np.zeros(places.n)
        pp = sim.place_persons
        sim_share[urban_place] = pp[urban_place] / pp[urban_place | rural_place].sum()
        sim_share[rural_place] = pp[rural_place] / pp[rural_place].sum()
        hunan = urban_place | rural_place
        err = np.zeros(places.n)
        err[hunan] = np.log(np.maximum(obs_share[hunan], 1e-9)) - np.log(np.maximum(sim_share[hunan], 1e-9))
        amenity = amenity + np.clip(gain * err, -1.0, 1.0)
        # Hunan's level against outside: every Hunan place moves by the log error of Hunan's total population
        # (the census counts persons, not only shares), and the rural effects are centred on that level.
        log_total = float(np.log(pp[hunan].sum()))
        if previous is not None and abs(level - previous[0]) > 1e-6:
            slope = float(np.clip((log_total - previous[1]) / (level - previous[0]), 0.01, 0.2))
        previous = (level, log_total)
        level += float(np.clip(damping * (np.log(census_total) - log_total) / slope, -1.0, 1.0))
        amenity[urban_place] += level - rural_level
        amenity[rural_place] -= float(np.dot(amenity[rural_place], obs_share[rural_place])) - level
        rural_level = level
        amenity = np.clip(amenity, -MAX_DIVISION_EFFECT, MAX_DIVISION_EFFECT)
        # district factors inside the places that cover several counties
        obs_parts = np.stack([obs.population - obs.urban, obs.urban], axis=1)
        sim_parts = np.stack([sim.population - sim.urban, sim.urban], axis=1)
        ratio = np.log(np.maximum(obs_parts, 1.0)) - np.log(np.maximum(sim_parts, 1.0))
        factor = np.where(multi, factor * np.exp(damping * np.clip(ratio, -1, 1)), factor)
        factor = np.clip(factor, 0.01, 100)
    assert best is not None
    return best[1], best[2], history


def _multi_county(places: Places) -> np.ndarray:
    """(counties, 2) True where a county's rural (0) or urban (1) place covers several counties."""
    out = np.zeros((places.n_counties, 2), dtype=bool)
    for k, table in enumerate((places.county_rural_place, places.county_urban_place)):
        counts = np.bincount(table, minlength=places.n)
        out[:, k] = counts[table] > 1
    return out


def write_effects(effects: PlaceEffects, crit: FitCriteria, history: list[dict[str, float]], *, scale: float,
                  seed: int, path: Path = PLACE_EFFECTS_PATH) -> Path:
    """Write the effects with their provenance (atomically)."""
    from sim.run import git_commit, package_versions

    places = county_places()
    regions = load_counties_2020().region.tolist()
    multi = _multi_county(places)
    doc: dict[str, Any] = {
        "description": "Calibrated amenity effects (10k yuan per person per year) of the county network's places, "
                       "on top of the division effects, and district factors of the central cities; see "
                       "calibration/place_effects.py",
        "effects": {name: round(float(v), 6) for name, v, kind in zip(places.names(), effects.amenity, places.kind,
                                                                       strict=True) if kind != PlaceKind.OUTSIDE},
        "county_factors": {r: [round(float(f[0]), 6), round(float(f[1]), 6)]
                           for r, f, m in zip(regions, effects.county_factor, multi, strict=True) if m.any()},
        "provenance": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "packages": package_versions(),
            "targets": f"census {FIT_YEAR} by county (calibration/data/census/hunan_county_census_2020.csv): each "
                       "place's share of Hunan's urban or rural residents, each central district's population",
            "fitted_at": "the model's default parameters, division effects as shipped",
            "scale": scale,
            "seed": seed,
            "criteria": {k: round(v, 4) for k, v in vars(crit).items()},
            "history": history,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m calibration.place_effects [--scale S] [--seed N] [--iterations K] [--from-zero] [--check]``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m calibration.place_effects", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=100.0, help="households per agent (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="model seed (default 1)")
    ap.add_argument("--iterations", type=int, default=30, help="most model runs (default 30)")
    ap.add_argument("--from-zero", action="store_true", help="start from zero effects, not the shipped ones")
    ap.add_argument("--check", action="store_true", help="only print the fit criteria of the shipped effects")
    ap.add_argument("--cpc", action="store_true", help="only print the CPC of residents registered in another county "
                    "(model 2020 and the persistence of the 2010 census pattern)")
    args = ap.parse_args(argv)
    if args.cpc:
        r = registered_elsewhere_cpc(run_2020(None, load_place_effects(county_places()), scale=args.scale,
                                              seed=args.seed))
        print(f"residents registered in another county of Hunan, 2020, by county (124 units), scale {args.scale:g}, "
              f"seed {args.seed}; CPC against the 2020 census (1 = perfect):")
        print(f"  model                                   {r['model']:.3f}  (total {r['model_total'] / 1e6:.2f} M)")
        print(f"  persistence: 2010 census pattern         {r['persistence']:.3f}  (total "
              f"{r['census_2010_total'] / 1e6:.2f} M)")
        print(f"  persistence rescaled to the model total  {r['persistence_rescaled_to_model_total']:.3f}")
        print(f"  census 2020 total {r['census_total'] / 1e6:.2f} M")
        return 0
    if args.check:
        crit = fit_criteria(simulated(run_2020(None, load_place_effects(county_places()), scale=args.scale,
                                               seed=args.seed)))
        print(f"2020 by county, scale {args.scale:g}, seed {args.seed} (census on 2020 units; {START_YEAR} from the "
              "2010 census):")
        print(f"  population share RMSE {crit.share_rmse:.3f} pp (<= 0.1), largest {crit.share_max:.2f} pp")
        print(f"  urbanization rate RMSE {crit.rate_rmse:.2f} pp (<= 4), largest {crit.rate_max:.2f} pp (<= 10)")
        print(f"  central-city share of a division's urban population: largest error {crit.central_share_max:.2f} pp "
              "(<= 5)")
        print(f"  Hunan central-district share of urban population 2010-2020: model {crit.central_change_model:+.2f} "
              f"pp, census {crit.central_change_census:+.2f} pp, error {crit.central_change_error:+.2f} pp (<= 1.5)")
        print("  all criteria met" if crit.met() else "  NOT all criteria met")
        return 0 if crit.met() else 1
    start = None if args.from_zero else load_place_effects(county_places())
    effects, crit, history = fit_place_effects(None, scale=args.scale, seed=args.seed,
                                               max_iterations=args.iterations, start=start)
    path = write_effects(effects, crit, history, scale=args.scale, seed=args.seed)
    print(f"wrote {path}: county share RMSE {crit.share_rmse:.3f} pp, rate RMSE {crit.rate_rmse:.2f} pp, "
          f"criteria {'met' if crit.met() else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
