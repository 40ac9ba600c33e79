"""Hunan's places and the transport network that links them.

Places: 14 prefecture-level divisions, each with an urban and a rural part, plus one node for everywhere
outside Hunan (chiefly the Pearl River Delta). A household's location ``loc`` is a row of the
:class:`sim.places.Places` table that the world owns (``world.places``).

Links: a networkx graph whose nodes are the 14 divisions and ``outside``; every pair of divisions has a road
edge (estimated road hours) and, once a rail line serving both has opened, a rail edge. Travel time between
two places is the shortest path; it changes in the years lines open (rail opening years are levers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from sim.data import CZT, OUTSIDE, load_divisions, load_rail_lines, load_travel_times
from sim.places import N_DIVISIONS, OUTSIDE_DIV, Places
from sim.years import NEVER_YEAR

__all__ = ["N_DIVISIONS", "OUTSIDE_DIV", "World"]


@dataclass
class World:
    """Static geography plus the year's transport network.

    Attributes:
        divisions: the division table (see :func:`sim.data.load_divisions`).
        names: English division names in id order.
        is_czt: boolean array, True for Changsha, Zhuzhou and Xiangtan.
        places: the places households live in (:class:`sim.places.Places`), built from the same data.
        graph: the current transport graph (networkx), edge attribute ``hours``.
        travel_hours: (15, 15) matrix of shortest travel hours between divisions and the outside node.
    """

    divisions: pd.DataFrame
    names: list[str]
    is_czt: np.ndarray
    graph: nx.Graph
    travel_hours: np.ndarray
    places: Places

    @classmethod
    def build(cls) -> World:
        """Load the divisions; the network is set by :meth:`update_network`."""
        divisions = load_divisions()
        names = divisions.division_en.tolist()
        is_czt = np.isin(np.array(names), CZT)
        places = Places.from_divisions(divisions)
        n_nodes = len(places.node_names)
        return cls(divisions=divisions, names=names, is_czt=is_czt, graph=nx.Graph(),
                   travel_hours=np.zeros((n_nodes, n_nodes)), places=places)

    def positions(self) -> dict[str, tuple[float, float]]:
        """Seat-city coordinates (lon, lat) by node name, for drawing the graph; outside sits to the south."""
        pos = {r.division_en: (float(r.lon), float(r.lat)) for r in self.divisions.itertuples()}
        pos[OUTSIDE] = (113.3, 24.3)
        return pos

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

    def location_hours(self) -> np.ndarray:
        """(places, places) travel hours; a division's urban and rural places share its seat's node."""
        return self.places.hours(self.travel_hours)
