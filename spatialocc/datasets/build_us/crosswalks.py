"""The 22 industries in the order of the build, and the code mappings it uses.

The industries and their NAICS, BEA and ACS codes are those of
:data:`spatialocc.datasets.industries.CROSSWALK`; here: their labels, tradability and trade
costs as arrays in that order, the ACS occupation groups that make CNR and nonCNR, the county
FIPS codes of the historical files that changed by 2015, and the hand-checked counties of
three land-grant campuses. Nothing here reads a file.
"""

from __future__ import annotations

import numpy as np

from spatialocc.datasets.industries import CROSSWALK, tradable, trade_cost
from spatialocc.dims.schema import REAL_ESTATE

INDUSTRIES: tuple[str, ...] = tuple(c.label for c in CROSSWALK)
TRADABLE = np.array([tradable(name) for name in INDUSTRIES])
TRADE_COST = np.array([trade_cost(name) for name in INDUSTRIES])
RE = INDUSTRIES.index(REAL_ESTATE)
NON_CNR_GROUPS = (
    "Service occupations",
    "Sales and office occupations",
    "Natural resources, construction, and maintenance occupations",
    "Production, transportation, and material moving occupations",
)
CNR_GROUP = "Management, business, science, and arts occupations"

#: County FIPS codes of the historical files that changed by 2015 -> their 2015 successor.
COUNTY_SUCCESSORS = {
    "12025": "12086",  # Dade County FL renamed Miami-Dade (1997)
    "13041": "13121",  # Campbell County GA merged into Fulton (1932)
    "13203": "13121",  # Milton County GA merged into Fulton (1932)
    "51055": "51650",  # Elizabeth City County VA -> Hampton city (1952)
    "51123": "51800",  # Nansemond County VA -> Suffolk city (1974)
    "51129": "51550",  # Norfolk County VA -> Chesapeake city (1963)
    "51151": "51810",  # Princess Anne County VA -> Virginia Beach city (1963)
    "51189": "51700",  # Warwick County VA -> Newport News city (1958)
    "51515": "51019",  # Bedford city VA merged into Bedford County (2013)
    "51560": "51005",  # Clifton Forge city VA merged into Alleghany County (2001)
    "51780": "51083",  # South Boston city VA merged into Halifax County (1995)
    "46113": "46102",  # Shannon County SD renamed Oglala Lakota (2015)
    "02270": "02158",  # Wade Hampton Census Area AK renamed Kusilvak (2015)
}

#: Land-grant campuses whose nearest county internal point is not the county holding the
#: campus, or whose point is misplaced in the source: university -> county FIPS (checked by
#: hand against the university's city in ``Universities.csv``).
LAND_GRANT_COUNTY_FIXES = {
    "Clemson University": "45077",  # Clemson, SC lies in Pickens County, not Oconee
    "University of Maine": "23019",  # Orono, ME lies in Penobscot County, not Hancock
    "University of Georgia": "13059",  # point placed at Macon; Athens lies in Clarke County
}

#: Postal codes of the states named in the 1900 city table (its ``State`` column).
STATE_POSTAL = {
    "Alabama": "AL", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Missouri": "MO",
    "Montana": "MT", "Nebraska": "NE", "New Hampshire": "NH", "New Jersey": "NJ",
    "New York": "NY", "Ohio": "OH", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Virginia": "VA", "Washington": "WA", "West Virginia": "WV",
    "Wisconsin": "WI",
}  # fmt: skip

#: 1900 cities (as spelled in the transcription of Table 35, with its OCR slips) that are not
#: a principal city in the title of their July 2015 CBSA -> that CBSA's code, or None where the
#: city lies outside every 2015 metropolitan CBSA (checked by hand against the county of the
#: city and the July 2015 delineation). The other 1900 cities match a title by name and state.
FOREIGN_BORN_1900_CBSA: dict[tuple[str, str], str | None] = {
    ("Allegheny", "Pennsylvania"): "38300",  # annexed by Pittsburgh (1907)
    ("Auburn", "New York"): None,  # Cayuga County: micropolitan
    ("Bayonne", "New Jersey"): "35620",
    ("Brockton", "Massachusetts"): "14460",
    ("Butte", "Montana"): None,  # Silver Bow County: micropolitan
    ("Chelsen", "Massachusetts"): "14460",  # Chelsea
    ("Chester", "Pennsylvania"): "37980",
    ("Covington", "Kentucky"): "17140",
    ("Enston", "Pennsylvania"): "10900",  # Easton
    ("East St. Louis", "Illinois"): "41180",
    ("Elizabeth", "New Jersey"): "35620",
    ("Fall River", "Massachusetts"): "39300",  # Bristol County MA, Providence CBSA
    ("Fitchburg", "Massachusetts"): "49340",
    ("Galveston", "Texas"): "26420",
    ("Gloucester", "Massachusetts"): "14460",
    ("Haverhill", "Massachusetts"): "14460",
    ("Hoboken", "New Jersey"): "35620",
    ("Holyoke", "Massachusetts"): "44140",
    ("Honolulu", "Hawaii"): "46520",  # Urban Honolulu
    ("Joliet", "Illinois"): "16980",
    ("Lawrence", "Massachusetts"): "14460",
    ("Louisville", "Kentucky"): "31140",  # Louisville/Jefferson County
    ("Lowell", "Massachusetts"): "14460",
    ("Lynn", "Massachusetts"): "14460",
    ("McKeesport", "Pennsylvania"): "38300",
    ("Malden", "Massachusetts"): "14460",
    ("New Bedford", "Massachusetts"): "39300",  # Bristol County MA
    ("New Britain", "Connecticut"): "25540",
    ("Newcastle", "Pennsylvania"): None,  # New Castle, Lawrence County: micropolitan
    ("Newport", "Kentucky"): "17140",
    ("Passaic", "New Jersey"): "35620",
    ("Paterson", "New Jersey"): "35620",
    ("Pawtucket", "Rhode Island"): "39300",
    ("Pittsburg", "Pennsylvania"): "38300",  # Pittsburgh
    ("Quiney", "Illinois"): None,  # Quincy, Adams County: micropolitan
    ("Salem", "Massachusetts"): "14460",
    ("Somerville", "Massachusetts"): "14460",
    ("South Omaha", "Nebraska"): "36540",
    ("Superior", "Wisconsin"): "20260",  # Douglas County WI, Duluth CBSA
    ("Tauntori", "Massachusetts"): "39300",  # Taunton, Bristol County MA
    ("Trentoi", "New Jersey"): "45940",  # Trenton
    ("Waterbury", "Connecticut"): "35300",  # New Haven County: New Haven-Milford CBSA
    ("Wilkesbarre", "Pennsylvania"): "42540",  # Wilkes-Barre
    ("Woonsocket", "Rhode Island"): "39300",
    ("Yonkers", "New York"): "35620",
}

#: 1980 census industry group (NHGIS 1980 dia001-014, 1-based; 15, public administration, is
#: not in the model) of the NAICS codes that CBP sums into the 22 industries [choice]: by
#: NAICS prefix, the longest that matches. Accommodation and food services (72) is split into
#: hotels (721: personal services, 11) and eating and drinking places (722: retail trade, 8),
#: as the 1980 classification does.
NAICS_GROUP_1980 = {
    "11": 1, "21": 1,  # agriculture, forestry, fisheries and mining
    "23": 2,  # construction
    "311": 3, "312": 3, "313": 3, "314": 3, "315": 3, "316": 3,  # nondurable manufacturing
    "322": 3, "323": 3, "324": 3, "325": 3, "326": 3,
    "321": 4, "327": 4, "331": 4, "332": 4, "333": 4, "334": 4,  # durable manufacturing
    "335": 4, "336": 4, "337": 4, "339": 4,
    "48": 5, "49": 5,  # transportation (incl. couriers and warehousing)
    "22": 6, "51": 6,  # communications and other public utilities
    "42": 7,  # wholesale trade
    "44": 8, "45": 8, "722": 8,  # retail trade, incl. eating and drinking places
    "52": 9, "531": 9,  # finance, insurance and real estate
    "532": 10, "533": 10, "55": 10, "56": 10,  # business and repair services
    "71": 11, "721": 11, "81": 11,  # personal, entertainment and recreation services
    "62": 12,  # health services (incl. social assistance)
    "61": 13,  # educational services
    "54": 14,  # other professional services (legal, engineering, accounting, ...)
}  # fmt: skip


def group_1980(code: str) -> int:
    """The 1980 industry group (1-14) of a NAICS code, by its longest prefix in
    ``NAICS_GROUP_1980``."""
    for n in range(len(code), 1, -1):
        if code[:n] in NAICS_GROUP_1980:
            return NAICS_GROUP_1980[code[:n]]
    raise KeyError(f"NAICS {code} has no 1980 industry group")
