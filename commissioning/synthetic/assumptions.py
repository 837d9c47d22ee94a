"""The generator's labelled figures (see DOMAIN.md for their sources). Change them here, not inside the
functions: every module of :mod:`commissioning.synthetic` reads them from here."""

BAND_PRIORITY = (8.0, 2.0, 3.0, 4.0)  # morning first, then bed, tea, lunch when a client has few bands

MEAN_WEEKLY_HOURS = 13.0  # Oban and Lorn 2017: 3,361.5 h / 258 clients
HOURS_SIGMA = 0.5015  # log-normal shape giving P(hours > 25) of about 6%
MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS = 1.5, 70.0
VISIT_MINUTES = (15, 30, 45, 60)
VISIT_MINUTES_P = (0.24, 0.60, 0.12, 0.04)  # with the cap below: about 29-30 minutes a visit on average
MAX_VISITS_PER_WEEK = 42  # six a day; heavier packages get longer visits
TWO_CARER_BASE, TWO_CARER_EXTRA = 0.03, 0.50  # p = base + extra * logistic((hours - 24) / 4.5): ~10%
PINNED_SHARE = 0.03  # self-directed support option 2
WAITING_SHARE = 0.025  # new packages waiting for a provider
SCATTER_SHARE = 0.30  # rural clients away from the settlement cores

IN_HOUSE_SHARE = 0.21  # 79% of care at home delivered by the independent sector
STAFF_TO_DEMAND = 1.22  # staff hours / (care + travel from the hubs on the network) hours, region-wide
# Estimated travel per visit for sizing, by zone remoteness: about what the road network gives (measured on
# the default scenario: 8.8 minutes in towns, 23 in remote patches, from the provider's quickest hub).
TRAVEL_MINUTES_PER_VISIT = {False: 9.0, True: 22.0}
RANK_SHARES = (0.60, 0.25, 0.15)  # the 2012 model: three ranked providers per area
DRIFT_SHARE = 0.17  # packages handed back and re-brokered to any provider reaching the patch
REACH_MINUTES = 75.0  # a provider reaches a patch if a hub is this close (or nearly the closest)
RATE_GBP = {"national": (23.0, 26.5), "independent": (22.0, 27.0), "third_sector": (22.0, 25.0),
            "in_house": (28.0, 30.0)}

# Argyll and Bute: fictional providers with home patches (zone ids of geodata/data/argyll_bute).
# (kind, name, home zones in hub order, number of hubs, island-based)
ARGYLL_BUTE_PROVIDERS = {
    "national": [
        ("Westerly Homecare Group", ["helensburgh", "dunoon", "oban", "mull_iona"], 4, False),
        ("Brackenridge Care Services", ["oban", "mid_argyll", "kintyre_south", "islay"], 4, False),
        ("Glenfarran Care at Home", ["helensburgh", "bute", "dunoon", "gareloch"], 3, False),
    ],
    "independent": [
        ("Lorn Care Partnership", ["oban", "lorn_north", "lorn_east", "lorn_south"], 3, False),
        ("Mull and Iona Homecare", ["mull_iona"], 2, True),
        ("Islay and Jura Home Support", ["islay", "jura"], 2, True),
        ("Bute Community Homecare", ["bute"], 1, False),
        ("Kintyre Care at Home", ["kintyre_south", "kintyre_north"], 2, False),
        ("Loch Fyne Homecare", ["mid_argyll", "inveraray", "kintyre_north"], 2, False),
        ("Lomond Shore Care", ["helensburgh", "gareloch", "arrochar", "rosneath"], 2, False),
        ("Holy Loch Home Support", ["cowal_east", "dunoon"], 2, False),
    ],
    "third_sector": [
        ("Cowal Community Care Trust", ["dunoon", "cowal_west", "cowal_east"], 2, False),
        ("Tiree and Coll Community Care", ["tiree", "coll"], 2, True),
        ("Kilbrannan Care Trust", ["kintyre_south", "mid_argyll"], 2, False),
    ],
    "in_house": [("Argyll and Bute Council Home Care", [], 4, False)],
}
ARGYLL_BUTE_POOLS = [
    ("pool_mull_iona", ["mull_iona"]),
    ("pool_islay_jura", ["islay", "jura"]),
    ("pool_tiree_coll", ["tiree", "coll"]),
    ("pool_kintyre_south", ["kintyre_south"]),
    ("pool_cowal_west", ["cowal_west"]),
]
EXTRA_SUFFIX = {"national": "Care Group", "independent": "Home Support", "third_sector": "Community Care",
                "in_house": "Council Home Care"}
# Fictional names for a user's own geography.
GENERIC_NAMES = {
    "national": ["Westerly Homecare Group", "Brackenridge Care Services", "Glenfarran Care at Home",
                 "Northlight Care Group"],
    "independent": ["Rowanbank Homecare", "Birchhollow Care", "Aldermoss Home Support", "Hazelbrae Care",
                    "Larchmount Homecare", "Willowmere Care", "Heatherlea Home Support", "Cairnview Care",
                    "Burnside Lane Homecare", "Glenmoss Care"],
    "third_sector": ["Community Care Trust", "Neighbourhood Carers", "Rural Care Co-operative",
                     "Befriending and Care Trust"],
    "in_house": ["Council Home Care"],
}
POOL_SHARE = (0.05, 0.10)  # pool carers' weekly hours as a share of the care hours (both carers) in its zones
SIMPLIFY_DEGREES = 0.001  # zones.geojson polygon simplification (~70-110 m)
MIN_PART_KM2 = 0.02  # islets smaller than this are left out of zones.geojson
MIN_UNINHABITED_KM2 = 2.0  # embedded region: land parts without a known place must be at least this big
BORDER_FACTOR = 0.6  # a client's nearest in-region place is at most 0.6x as far as the nearest outside one
BORDER_RADIUS_SHARE = 0.15  # scatter radius at most this share of the distance to the nearest outside place
MAX_WATER_KM = 0.1  # a client is reached from its settlement or road without crossing open water
COORD_DECIMALS = 5

# Workforce (issue 12; DOMAIN.md *Workforce*): the figures marked assumed there are parameters here.
# Contracted hours a week per carer, drawn per hub (assumed 20-30): the council employs more full-timers.
HOURS_PER_CARER_BY_KIND = {"national": (20.0, 27.0), "independent": (20.0, 26.0),
                           "third_sector": (20.0, 25.0), "in_house": (24.0, 30.0)}
POOL_HOURS_PER_CARER = (20.0, 25.0)  # pool carers: island and remote part-timers
# Share of a hub's carers who do not drive, drawn per hub by where it is (assumed; "lots of our carers do
# not drive" in Oban): towns most, villages some, remote patches and islands almost none (nothing to walk to).
NON_DRIVER_SHARE_BY_PLACE = {"town": (0.30, 0.45), "village": (0.10, 0.25), "remote": (0.0, 0.10)}
TOWN_MIN_POPULATION = 2000  # a hub site this populous (or a region's "town") counts as a town
# Carers a hub keeps for its work, relative to a town patch (before the region's STAFF_TO_DEMAND scaling,
# which gives a town hub about 1.3-1.4 times its work today): remote and island patches recruit few, tourist
# patches lose staff to hospitality from June to September (DOMAIN.md). This is what makes them short: a
# remote island tourist patch ends at about 0.9 of its work today, before its shared pool.
STAFFING_REMOTE, STAFFING_REMOTE_ISLAND, STAFFING_TOURIST = 0.8, 0.75, 0.9
HUB_STAFFING_SPREAD = (0.85, 1.15)  # a hub's carers for its work today, drawn per hub, before scaling
# A hub's non-drivers carry at most this share of its work within their reach (on foot, no ferry; the run's
# own reach, WorkforceParams): nobody keeps walkers where there is nothing to walk to.
NON_DRIVER_NEAR_WORK_SHARE = 0.8
STAFFING_MARGIN = (0.95, 1.2)  # a provider's carers for its expected work, drawn per provider, before scaling
# Carers live where the work is: a provider has a hub in each patch where it expects work for about two carers
# (LOCAL_HUB_MIN_HOURS staff hours a week) unless one of its hubs is within LOCAL_HUB_MINUTES of the patch's
# main settlement (a commute); smaller work is covered from its nearest hub. A patch a ferry or a long drive
# away (over LOCAL_HUB_FAR_MINUTES) has local carers for less work: nobody commutes to Colonsay.
LOCAL_HUB_MIN_HOURS, LOCAL_HUB_MINUTES = 40.0, 25.0
LOCAL_HUB_FAR_MIN_HOURS, LOCAL_HUB_FAR_MINUTES = 15.0, 60.0
ARGYLL_BUTE_TOURIST_ZONES = ("mull_iona", "islay", "jura", "tiree", "coll", "colonsay", "gigha", "arrochar",
                             "cowal_west", "kintyre_north")  # Kintyre's west coast is in kintyre_north
# Most carers a remote or island hub may recruit: one per this many residents of its settlement, 1 to the cap
# (empty elsewhere: the scenario's max_recruits_per_hub). A user's geography has no residents: a fixed figure.
RESIDENTS_PER_RECRUIT, MAX_RECRUITS_REMOTE, USER_REMOTE_MAX_RECRUITS = 300.0, 5, 2
# Visits per band: one a day in each listed band first (morning first, then evenly over the others), then a
# second call in the morning window (the mid-morning medication call) before any other band gets two.
DAYS_PER_WEEK = 7
