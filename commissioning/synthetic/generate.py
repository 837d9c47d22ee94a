"""Synthetic but realistic dataset folders: clients, providers, hubs, pools, zones.

``generate_scenario`` writes the six files of the README's *Dataset folder format* for the embedded
Argyll and Bute region, or for the user's own geography (demand points with weights and zone
polygons). The same seed gives byte-identical files: one ``numpy.random.default_rng(seed)`` drawn in
a fixed order, stable sorts, fixed float formatting, no timestamps, GeoJSON written by ``json.dumps``.

How the data are made (every figure below is a labelled default, see DOMAIN.md):

* Clients live near settlements weighted by older population, plus a rural scatter around small places
  and along roads. Every client is on land and inside a zone (resampled until true).
* Weekly hours are log-normal (mean 13 h, about 6% over 25 h); visits of 15/30/45/60 minutes average
  about 29-30 minutes (Oban and Lorn 2017: 258 clients, 3,361 h, about 7,000 visits a week). Visits per
  time band: one a day in each of the client's bands (morning first), then a second morning call.
* Providers: national companies, local independents (some island-based), third sector and the
  council's in-house service; 79% of staff hours in the independent sector.
* Carers (issue 12, :mod:`~commissioning.synthetic.workforce`) live at hubs in the settlements where their
  provider works, 20-30 contracted hours each; each hub has carers for its work today (care plus travel from
  it on the road network), with the morning window covered; their hours are about 1.2x the demand
  region-wide, with spare in towns and short on the islands, remote peninsulas and tourist patches.
  Non-drivers only where there is work within walking reach of their hub (so mostly in towns); remote hubs
  may recruit only a few carers.
* The current allocation reproduces how fragmentation arose: three ranked providers per patch took
  60/25/15% of new work (the 2012 model), then packages handed back and re-brokered drifted to any
  provider reaching the patch; a few packages wait for a provider.
* Shared staff pools in remote patches, each with at most ``max_pool_members`` members and carers at
  hubs inside the pool's zones.

The steps have their own modules: the geography (:mod:`~commissioning.synthetic.geography`, the user's files
in :mod:`~commissioning.synthetic.user_files`), clients (:mod:`~commissioning.synthetic.clients`), providers
(:mod:`~commissioning.synthetic.providers`), their carers (:mod:`~commissioning.synthetic.workforce`), the
tables and today's allocation (:mod:`~commissioning.synthetic.allocation`) and the files
(:mod:`~commissioning.synthetic.writing`); the labelled figures are in
:mod:`~commissioning.synthetic.assumptions`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from commissioning import __version__
from commissioning.errors import InputError, Problem
from commissioning.results.folder import check_out_folder
from commissioning.synthetic import MAX_CLIENTS, MAX_PROVIDERS
from commissioning.synthetic.allocation import build, fit_pinned_clients
from commissioning.synthetic.geography import points_in_region, region_geography, user_geography
from commissioning.synthetic.user_files import read_demand_points, read_zones
from commissioning.synthetic.writing import GenerationSummary, folder_texts, summarise, write_folder


def generate_scenario(
    out_dir: str | Path,
    *,
    region: str | None = "argyll-bute",
    n_clients: int = 1000,
    seed: int = 1,
    n_providers: int = 15,
    demand_points: str | Path | None = None,
    weight_column: str | None = None,
    zones_file: str | Path | None = None,
    zone_id_column: str | None = None,
    max_pool_members: int = 4,
    force: bool = False,
    zone_name_column: str | None = None,
) -> GenerationSummary:
    """Write a dataset folder (see the README's *Dataset folder format*) and return its summary.

    With ``zones_file`` (and ``demand_points``) the geography is the user's: ``region`` is ignored,
    dataset.json says ``"region": null, "travel_model": "approximate"``; ``zone_name_column`` names the
    zones' name property (default: ``name`` when present). With ``demand_points`` alone the clients follow
    the points inside the embedded region's zones. Warnings about the user's files (e.g. a repaired
    polygon) are the summary's first notes, in validate's words.
    """
    _check_arguments(region, n_clients, seed, n_providers, demand_points, weight_column, zones_file,
                     zone_id_column, max_pool_members, zone_name_column)
    out_dir = Path(out_dir)
    check_out_folder(out_dir, force=force)  # before the work: the same checks the writing makes
    rng = np.random.default_rng(seed)
    warned: list[Problem] = []
    points = read_demand_points(demand_points, weight_column, warned) if demand_points is not None else None
    if zones_file is not None:
        zones = read_zones(zones_file, zone_id_column, zone_name_column, warned)
        geo = user_geography(points, zones, str(demand_points))
    else:
        if points is not None:
            points = points_in_region(points, region, str(demand_points))
        geo = region_geography(region, points)
    geo.notes[:0] = [str(p) for p in warned]

    scenario = build(geo, int(n_clients), int(n_providers), int(max_pool_members), rng)
    unpinned = fit_pinned_clients(scenario, geo)
    if unpinned:
        geo.notes.append(f"{unpinned} client(s) not pinned after all: their chosen provider could not carry "
                         "every client who chose it (pinned clients can be neither moved nor left unmet)")
    dataset = {"generator": f"care-commissioning {__version__}", "n_clients": int(n_clients),
               "region": geo.region_key, "seed": int(seed), "travel_model": geo.travel_model}
    texts = folder_texts(scenario, dataset)
    write_folder(out_dir, texts, force)
    return summarise(out_dir, geo, scenario, int(seed), int(max_pool_members))


def _check_arguments(region, n_clients, seed, n_providers, demand_points, weight_column, zones_file,
                     zone_id_column, max_pool_members, zone_name_column=None) -> None:
    """Every wrong command-line value at once, as one :class:`InputError`."""
    problems = []
    if not isinstance(n_clients, (int, np.integer)) or not 1 <= n_clients <= MAX_CLIENTS:
        problems.append(Problem("command line", None, "--clients", n_clients,
                                f"must be a whole number 1-{MAX_CLIENTS}", "e.g. --clients 1000"))
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append(Problem("command line", None, "--seed", seed,
                                "must be a whole number 0 or more", "e.g. --seed 1"))
    if not isinstance(n_providers, (int, np.integer)) or not 1 <= n_providers <= MAX_PROVIDERS:
        problems.append(Problem("command line", None, "--providers", n_providers,
                                f"must be a whole number 1-{MAX_PROVIDERS}", "e.g. --providers 15"))
    if not isinstance(max_pool_members, (int, np.integer)) or max_pool_members < 1:
        problems.append(Problem("command line", None, "--max-pool-members", max_pool_members,
                                "must be 1 or more", "e.g. --max-pool-members 4"))
    problems += option_pairing_problems(region, demand_points, weight_column, zones_file, zone_id_column,
                                        zone_name_column)
    if problems:
        raise InputError(problems)


def option_pairing_problems(region, demand_points, weight_column, zones_file, zone_id_column,
                            zone_name_column) -> list[Problem]:
    """The options that need one another, or exclude one another, and are not given so."""
    problems = []
    if (demand_points is None) != (weight_column is None):
        problems.append(Problem("command line", None, "--weight-column", weight_column,
                                "--demand-points and --weight-column go together",
                                "give both, e.g. --demand-points points.csv --weight-column older_alone"))
    if (zones_file is None) != (zone_id_column is None):
        problems.append(Problem("command line", None, "--zone-id", zone_id_column,
                                "--zones and --zone-id go together",
                                "give both, e.g. --zones zones.geojson --zone-id zone_code"))
    if zone_name_column is not None and zones_file is None:
        problems.append(Problem("command line", None, "--zone-name", zone_name_column,
                                "--zone-name names a property of your own --zones",
                                "add --zones FILE --zone-id COL, or leave out --zone-name"))
    if zones_file is not None and demand_points is None:
        problems.append(Problem("command line", None, "--demand-points", None,
                                "your own zones need demand points to place clients",
                                "add --demand-points FILE --weight-column COL"))
    if zones_file is None and region is None:
        problems.append(Problem("command line", None, "--region", None, "no geography given",
                                "give --region argyll-bute, or --demand-points and --zones"))
    return problems

