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
