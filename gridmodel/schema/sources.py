"""The public documents the schema's defaults and data tables cite, one constant per document
(author or publisher, title, date, URL), so a field's ``source`` reads ``f"{DOCUMENT}: what it
gives"``. Where a figure was read in a report of the document rather than the document itself,
the report is the one named."""

from __future__ import annotations

# -- PJM capacity market ----------------------------------------------------------------------
PJM_BRA_2025 = (
    "PJM 2025/2026 Base Residual Auction results, PJM statement as reported by S&P Global "
    "Market Intelligence, 'PJM capacity auction clears at record price of $269.92/MW-day "
    "across footprint' (2024-07-30), https://spglobal.com/marketintelligence/en/news-insights/"
    "latest-news-headlines/pjm-capacity-auction-clears-at-record-price-of-269-92-mw-day-across-"
    "footprint-82638602"
)
PJM_BRA_2026 = (
    "PJM 2026/2027 Base Residual Auction results as reported by EVA, 'PJM 2026/27 Base "
    "Residual Auction' (2025), https://www.evainc.com/energy-blog/eva-report-pjm-2026-27-base-"
    "residual-auction"
)
PJM_BRA_2027 = (
    "PJM 2027/2028 Base Residual Auction results as reported by Camelot Energy Group, 'PJM "
    "Interconnection' (2025-12-30), https://www.camelotenergygroup.com/news/pjm-interconnection"
)
PJM_COLLAR = (
    "PJM capacity price collar ($325 / $175 per MW-day for 2026/27 and 2027/28, re-indexed; "
    "FERC docket ER25-1357, approved 2025-04-21), Utility Dive, 'PJM, Pennsylvania reach deal "
    "on capacity auction price cap' (2025), https://utilitydive.com/news/pjm-shapiro-"
    "pennsylvania-capacity-auction-price-cap/738591"
)
IMM_DATA_CENTRES_2027 = (
    "Monitoring Analytics (PJM market monitor) on the 2027/28 auction, Utility Dive, 'Data "
    "centers PJM capacity auction' (2025): $6.2 B of the $6.5 B attributed to data centres was "
    "for data centres not yet built, https://www.utilitydive.com/news/data-centers-pjm-capacity-"
    "auction/808951"
)
MD_OPC_2025 = (
    "Maryland Office of People's Counsel, bulletin on the 2025/26 capacity auction's bill "
    "impacts (2024), https://content.govdelivery.com/accounts/MDOPC/bulletins/3f1b028"
)
BGE_RESHAPING = (
    "WMAR-2 News, 'Utility bills are doing the electric climb' (2025): the Maryland PSC shifted "
    "BGE's capacity-cost recovery into the shoulder months, https://www.wmar2news.com/news/"
    "region/baltimore-city/utility-bills-are-doing-the-electric-climb-not-the-electric-slide-"
    "for-marylanders"
)

# -- Costs and financing ------------------------------------------------------------------------
ATB_2024_FINANCING = (
    "NREL Annual Technology Baseline 2024 financing as used in ReEDS, file inputs/financials/"
    "financials_sys_ATB2024.csv of https://github.com/NREL/ReEDS-2.0 (8 % nominal interest, "
    "10.5 % ROE, 55 % debt, 25.74 % tax); WACC and CRF by NREL ATB 2024, 'Equations & "
    "Variables', https://atb.nrel.gov/electricity/2024/equations_&_variables"
)
ATB_2024_COSTS = (
    "NREL Annual Technology Baseline 2024, Moderate (2022$), ReEDS input files inputs/"
    "plant_characteristics/conv_ATB_2024.csv and battery/upv/ons-wind_ATB_2024_moderate.csv of "
    "https://github.com/NREL/ReEDS-2.0"
)
ATB_2025 = (
    "NREL Annual Technology Baseline 2025, Moderate (2023$), ReEDS input files inputs/"
    "plant_characteristics/*_ATB_2025_moderate.csv of https://github.com/ReEDS-Model/ReEDS, "
    "https://atb.nrel.gov/"
)
TURBINE_WAITS = (
    "S&P Global Commodity Insights (Platts), report of 2025-05-20 on gas-turbine supply: waits "
    "of 1-7 years and costs up to 2.5 times in some markets (URL not recorded)"
)
EIA_STEO_2025_09 = (
    "U.S. EIA, Short-Term Energy Outlook, September 2025, Henry Hub spot price $3.52 (2025) and "
    "$4.28/MMBtu (2026), https://www.eia.gov/outlooks/steo/ (as reported by https://onmine.io/"
    "eia-sees-natgas-price-jumping-well-over-4-in-2026)"
)
LBNL_PRICES_2025 = (
    "Wiser, O'Shaughnessy, Barbose, Cappers, Gorman, 'Factors influencing recent trends in "
    "retail electricity prices in the United States', The Electricity Journal 38(4) 107516 "
    "(2025), doi:10.1016/j.tej.2025.107516, https://energyanalysis.lbl.gov/publications/factors-"
    "influencing-recent-trends; 2024 class prices residential 16.5, commercial 12.8, industrial "
    "8.1 c/kWh as reported by https://onmine.io/residential-electricity-prices-surge-ahead-of-ci-"
    "rates-berkeley-lab"
)
DOMINION_HVDC = (
    "PJM 2025 RTEP: Dominion 525 kV HVDC line, $4.8 B for 185 mi and 3,000 MW, The Silicon "
    "Review (2026-02), https://thesiliconreview.com/2026/02/pjm-11-8-billion-transmission-"
    "expansion-dominion-nextera"
)
UCS_2025 = (
    "Union of Concerned Scientists (M. Jacobs, 2025-09-15), 'Billions of dollars in unreported "
    "data center costs in PJM': 6 of 130 local transmission projects (about 5 %) paid directly "
    "by the requesting customer, https://www.ucs.org/about/news/billions-dollars-unreported-"
    "data-center-costs-pjm"
)

# -- Cost allocation and tariffs ----------------------------------------------------------------
RAP_2020 = (
    "Lazar, Chernick, Marcus, LeBel, 'Electric Cost Allocation for a New Era', Regulatory "
    "Assistance Project (2020), https://www.raponline.org/knowledge-center/electric-cost-"
    "allocation-new-era/"
)
ERCOT_4CP = (
    "NFM Consulting, 'ERCOT 4CP: how to reduce costs': transmission charges set by the four "
    "summer 15-minute peaks, $50-150+/kW-yr by TSP, https://nfmconsulting.com/knowledge/ercot-"
    "4cp-reduce-costs"
)
NCP_DISTRIBUTION = (
    "Elk River Municipal Utilities cost-of-service study (1CP for transmission, 1NCP for local "
    "system demand), web1-elkr.ci.elk-river.mn.us/WebLink/1/doc/207495/Page16.aspx"
)
AEP_OHIO_DCT = (
    "PUCO order of 2025-07-09, Case 24-0508-EL-ATA, AEP Ohio Data Center Tariff (85 % of "
    "subscribed demand, up to 4-year ramp plus 8 years), https://espanol.aepohio.com/company/"
    "about/rates/data-center-tariff; RTO Insider, https://rtowww.com/109792-data-centers-must-"
    "guarantee-power-purchases-from-aep-ohio"
)
DOMINION_GS5 = (
    "Virginia SCC final order PUR-2025-00058 (2025-11-25), Dominion Schedule GS-5 (14-year "
    "agreements, minimum 85 % of contracted T&D and 60 % of generation demand), RTO Insider, "
    "https://rtowww.com/120600-virginia-scc-approves-rate-increase-new-large-customer-class"
)
IM_PROPOSAL = (
    "Indiana Michigan Power large-load tariff proposal (20-year term, 90 % minimum demand, "
    "termination fee of 5 years' minimum bills), Indiana Utility Report, https://"
    "indianautilityreport.com/news/iampm-seeks-to-amend-tariff-for-large-energy-users"
)
VIRGINIA_BIENNIAL = (
    "Virginia's biennial reviews of Dominion's rates, AOBA, 'Virginia Dominion Power biennial "
    "rate review' (2025-06), https://aobaalliance.com/2025/06/virginia-dominion-power-biennial-"
    "rate-review"
)

# -- Grid events --------------------------------------------------------------------------------
NERC_JULY_2024 = (
    "NERC, Incident Review 'Considering Simultaneous Voltage-Sensitive Load Reductions' "
    "(2025-01-08; event of 2024-07-10), https://www.nerc.com/globalassets/our-work/reports/"
    "event-reports/incident_review_large_load_loss.pdf"
)
ERCOT_INERTIA = (
    "ERCOT, 'Inertia: Basic Concepts and Impacts on the ERCOT Grid' (2018): lowest recorded "
    "130 GW-s on 2017-10-27, largest contingency 2,750 MW, 0.416 s from 59.7 to 59.3 Hz (read "
    "as quoted in a secondary document; URL not recorded)"
)
BAL_001_TRE = (
    "NERC Reliability Standard BAL-001-TRE-2, Primary Frequency Response in the ERCOT Region: "
    "governor deadband at most +/-0.017 Hz, droop at most 5 %"
)
