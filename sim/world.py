"""Hunan's places and the transport network that links them.

Places (:class:`sim.places.Places`, owned by the world as ``world.places``): in the county network (the
model's, issue 17) each division's central city and the villages of its central districts, each other
county's county town and villages, and one place for everywhere outside Hunan (chiefly the Pearl River
Delta); in the division-level network (kept for comparisons and the per-agent reference) an urban and a rural
place per division.

Links: a networkx graph whose nodes are the transport nodes of the places (the division seats, which are the
central cities, the county towns, and ``outside``). Every pair of nodes has a road edge and, once a rail line
with a station at both has opened, a rail edge. Between division seats the road hours and rail minutes are
those of ``travel_times_city_pairs.csv``; for a pair involving a county town they follow the same derivation
as that table's estimates (:func:`sim.data.load_travel_time_method`; an assumption, docs/ODD.md): road hours =
great-circle km x detour factor / road speed, rail minutes = fixed + per km x great-circle km. County-town
stations come from ``counties/county_rail_stations.csv`` (a county-town station sits at the county seat).
Travel time between two places is the shortest path; it changes in the years lines open (opening years are
levers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from sim.data import (CZT, OUTSIDE, load_counties_2020, load_county_stations, load_divisions, load_rail_lines,
                      load_travel_time_method, load_travel_times)
from sim.places import N_DIVISIONS, OUTSIDE_DIV, Places
from sim.years import NEVER_YEAR

__all__ = ["N_DIVISIONS", "NETWORKS", "OUTSIDE_DIV", "World"]

#: The networks of places the model can run on: ``county`` (issue 17, the default) and ``division``.
NETWORKS = ("county", "division")


@dataclass
class World:
    """Static geography plus the year's transport network.

    Attributes:
        divisions: the division table (see :func:`sim.data.load_divisions`).
        names: English division names in id order.
        is_czt: boolean array, True for Changsha, Zhuzhou and Xiangtan.
        places: the places households live in (:class:`sim.places.Places`), built from the same data.
        graph: the current transport graph (networkx), edge attribute ``hours``.
        travel_hours: (nodes, nodes) matrix of shortest travel hours between the transport nodes
            (``places.node_names``).
    """

    divisions: pd.DataFrame
    names: list[str]
    is_czt: np.ndarray
    graph: nx.Graph
    travel_hours: np.ndarray
    places: Places

    @classmethod
    def build(cls, network: str = "county") -> World:
        """Load the divisions (and counties); the transport network is set by :meth:`update_network`.

        Args:
            network: ``county`` (central cities, county towns and villages) or ``division``.
        """
        if network not in NETWORKS:
            raise ValueError(f"network: {network!r} is not one of {NETWORKS}")
        divisions = load_divisions()
        names = divisions.division_en.tolist()
        is_czt = np.isin(np.array(names), CZT)
        if network == "county":
            places = Places.from_counties(divisions, load_counties_2020())
        else:
            places = Places.from_divisions(divisions)
        n_nodes = len(places.node_names)
        return cls(divisions=divisions, names=names, is_czt=is_czt, graph=nx.Graph(),
                   travel_hours=np.zeros((n_nodes, n_nodes)), places=places)

    def positions(self) -> dict[str, tuple[float, float]]:
        """Seat-city coordinates (lon, lat) by node name, for drawing the graph; outside sits to the south."""
        pos = {r.division_en: (float(r.lon), float(r.lat)) for r in self.divisions.itertuples()}
        if self.places.by_county:
            pos.update({r.region: (float(r.lon), float(r.lat)) for r in load_counties_2020().itertuples()})
        pos[OUTSIDE] = (113.3, 24.3)
        return {name: pos[name] for name in self.places.node_names}

    def update_network(self, *, year: int, open_years: Mapping[str, float], czt_metro: bool,
                       outside_road_hours: float, outside_rail_hours: float, station_access_hours: float,
                       czt_metro_factor: float) -> bool:
        """Rebuild the graph for ``year`` if the set of open lines changed; return True if it changed.

        Args:
            year: the simulated year.
            open_years: opening year of each rail line by ``line_id`` (lever values).
            czt_metro: whether CZT intercity rail runs like a metro.
            outside_road_hours: road hours from Chenzhou to the outside node.
            outside_rail_hours: rail hours from Chenzhou to the outside node once 京广 HSR is open.
            station_access_hours: access time added to each rail trip.
            czt_metro_factor: factor on rail hours among the CZT cities when ``czt_metro``.
        """
        lines = load_rail_lines()
        open_ids = tuple(sorted(lid for lid in lines.line_id if open_years.get(lid, NEVER_YEAR) <= year))
        key = (open_ids, czt_metro, outside_road_hours, outside_rail_hours, station_access_hours, czt_metro_factor)
        if getattr(self, "_network_key", None) == key:
            return False
        self._network_key = key
        if self.places.by_county:
            self._county_network(lines, open_ids, czt_metro, outside_road_hours, outside_rail_hours,
                                 station_access_hours, czt_metro_factor)
            return True
        g = nx.Graph()
        for name in self.names + [OUTSIDE]:
            g.add_node(name)
        served = {r.line_id: set(r.divisions_served.split(";")) for r in lines.itertuples()}
        for r in load_travel_times().itertuples():
            hours = float(r.road_hours_est)
            on_open_line = any({r.from_en, r.to_en} <= served[lid] for lid in open_ids)
            if on_open_line:
                rail = float(r.rail_minutes) / 60.0 + station_access_hours
                if czt_metro and r.from_en in CZT and r.to_en in CZT:
                    # frequent trains and more stations cut both the ride and the wait/access time
                    rail *= czt_metro_factor
                hours = min(hours, rail)
            g.add_edge(r.from_en, r.to_en, hours=hours)
        gateway = "Chenzhou"  # the Beijing-Guangzhou corridor leaves Hunan through Chenzhou
        out_hours = outside_road_hours
        if "jingguang" in open_ids:
            out_hours = min(out_hours, outside_rail_hours + station_access_hours)
        g.add_edge(gateway, OUTSIDE, hours=out_hours)
        self.graph = g
        order = list(self.places.node_names)
        lengths = dict(nx.all_pairs_dijkstra_path_length(g, weight="hours"))
        self.travel_hours = np.array([[lengths[a][b] for b in order] for a in order])
        return True

    def _county_network(self, lines: pd.DataFrame, open_ids: tuple[str, ...], czt_metro: bool,
                        outside_road_hours: float, outside_rail_hours: float, station_access_hours: float,
                        czt_metro_factor: float) -> None:
        """Build the county network's graph and its all-pairs travel hours (see the module docstring)."""
        names = list(self.places.node_names)
        index = {n: i for i, n in enumerate(names)}
        pos = self.positions()
        lon = np.radians([pos[n][0] for n in names[:-1]])
        lat = np.radians([pos[n][1] for n in names[:-1]])
        # great-circle km between Hunan's nodes (haversine, mean Earth radius 6371 km)
        dlat, dlon = lat[:, None] - lat[None, :], lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
        km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        n = len(names)
        method = load_travel_time_method()
        hours = np.full((n, n), np.inf)
        hours[:-1, :-1] = km * method["road_detour"] / method["road_kmh"]
        rail = np.full((n, n), np.inf)
        rail[:-1, :-1] = (method["rail_minutes_fixed"] + method["rail_minutes_per_km"] * km) / 60.0 + station_access_hours
        seat_pairs = load_travel_times()
        czt = set(CZT)
        for r in seat_pairs.itertuples():
            i, j = index[r.from_en], index[r.to_en]
            hours[i, j] = hours[j, i] = float(r.road_hours_est)
            hm = float(r.rail_minutes) / 60.0 + station_access_hours
            if czt_metro and r.from_en in czt and r.to_en in czt:
                hm *= czt_metro_factor
            rail[i, j] = rail[j, i] = hm
        stations = load_county_stations()
        regions = dict(zip(load_counties_2020().code, load_counties_2020().region, strict=True))
        served = np.zeros((n, n), dtype=bool)
        for line in lines.itertuples():
            if line.line_id not in open_ids:
                continue
            on = [index[d] for d in line.divisions_served.split(";") if d != OUTSIDE]
            on += [index[regions[int(c)]] for c in stations.county_code[stations.line_id == line.line_id]]
            on = np.array(sorted(set(on)))
            served[np.ix_(on, on)] = True
        hours = np.where(served, np.minimum(hours, rail), hours)
        np.fill_diagonal(hours, 0.0)
        gateway = index["Chenzhou"]  # the Beijing-Guangzhou corridor leaves Hunan through Chenzhou
        out_hours = outside_road_hours
        if "jingguang" in open_ids:
            out_hours = min(out_hours, outside_rail_hours + station_access_hours)
        hours[gateway, -1] = hours[-1, gateway] = out_hours
        g = nx.Graph()
        g.add_nodes_from(names)
        for i, j in zip(*np.nonzero(np.triu(np.isfinite(hours), 1)), strict=True):
            g.add_edge(names[i], names[j], hours=float(hours[i, j]))
        self.graph = g
        # all-pairs shortest paths (Floyd-Warshall over the dense matrix: about 100 nodes)
        dist = hours.copy()
        for k in range(n):
            np.minimum(dist, dist[:, k:k + 1] + dist[k:k + 1, :], out=dist)
        self.travel_hours = dist

    def location_hours(self) -> np.ndarray:
        """(places, places) travel hours; a division's urban and rural places share its seat's node."""
        return self.places.hours(self.travel_hours)
