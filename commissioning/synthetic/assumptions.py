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
STAFF_TO_DEMAND = 1.22  # staff hours / (care + estimated travel) hours, region-wide
TRAVEL_MINUTES_PER_VISIT = {False: 7.0, True: 12.0}  # estimate for sizing, by zone remoteness
HOURS_PER_CARER = 24.0  # average contracted hours of a (mostly part-time) carer
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
POOL_SHARE = (0.05, 0.10)  # pool weekly hours as a share of the care hours (both carers) in the pool's zones
SIMPLIFY_DEGREES = 0.001  # zones.geojson polygon simplification (~70-110 m)
MIN_PART_KM2 = 0.02  # islets smaller than this are left out of zones.geojson
MIN_UNINHABITED_KM2 = 2.0  # embedded region: land parts without a known place must be at least this big
BORDER_FACTOR = 0.6  # a client's nearest in-region place is at most 0.6x as far as the nearest outside one
BORDER_RADIUS_SHARE = 0.15  # scatter radius at most this share of the distance to the nearest outside place
MAX_WATER_KM = 0.1  # a client is reached from its settlement or road without crossing open water
COORD_DECIMALS = 5
