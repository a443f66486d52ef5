"""Domain knowledge the scorer and classifier use: LinkedIn industries, company sizes and types.

Written by the project from public documentation (no benchmark data is copied here).

**Industries.** :data:`INDUSTRY_TREE` holds the labels of LinkedIn's *Industry Codes V2*
(the taxonomy LinkedIn introduced in 2022 and uses on company pages, in ``industryName`` of
profile items and in Marketing/Sales APIs) with their hierarchy, as an indented outline: each
label sits under its parent; the 20 unindented lines are the top-level groups ("Technology,
Information and Media", "Financial Services", "Manufacturing", ...). Source: Microsoft Learn,
*LinkedIn > Shared > Reference tables > Industry Codes V2*
(``learn.microsoft.com/en-us/linkedin/shared/references/reference-tables/industry-codes-v2``),
which lists each code with its label and ``parent`` chain. The outline is transcribed from that
public table from knowledge (around 430 labels); a few recently added leaf labels may be
missing and a handful of deep parents may differ from LinkedIn's latest revision.

:data:`V1_TO_V2` maps the 147 legacy industry names (*Industry Codes V1*, still returned by
``positions[].company.industries`` of Apify items and shown on older company pages; e.g.
"Computer Software", "Information Technology and Services", "Marketing and Advertising") onto
V2 labels, following LinkedIn's published V1->V2 mapping (same numeric code kept for most
labels; e.g. V1 4 "Computer Software" -> V2 4 "Software Development"). Exception, chosen for
matching quality: V1 "Renewables & Environment" maps to "Renewable Energy Power Generation"
(LinkedIn kept code 144, now labelled "Renewable Energy Semiconductor Manufacturing").
:data:`INDUSTRY_ALIASES` adds everyday words people type in an ICP ("SaaS", "fintech",
"healthcare", "cybersecurity", ...).

**Company sizes.** LinkedIn's ``employeeCountRange`` buckets (0-1, 2-10, 11-50, 51-200, 201-500,
501-1000, 1001-5000, 5001-10000, 10001+) folded into :data:`SIZE_BANDS` (0-1 and 2-10 become
"1-10"). Named sizes (:data:`NAMED_SIZES`) follow common B2B usage: Gartner's segmentation
(small business < 100 employees, midsize 100-999, large enterprise 1,000+), the EU SME
definition (< 250 employees) and startup/scale-up usage (a scale-up has grown past ~50 staff);
a name may cover overlapping bands because the definitions overlap.

**Company types.** :data:`COMPANY_TYPES` is the closed set the classifier outputs.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .domain import SIZE_BANDS

__all__ = [
    "INDUSTRY_TREE",
    "INDUSTRIES",
    "TOP_LEVEL_INDUSTRIES",
    "INDUSTRY_PARENT",
    "V1_TO_V2",
    "INDUSTRY_ALIASES",
    "SIZE_BANDS",
    "NAMED_SIZES",
    "COMPANY_TYPES",
    "normalise_label",
    "canonical_industry",
    "is_v2_label",
    "industry_parent",
    "industry_ancestors",
    "industry_top_level",
    "industry_children",
    "industry_descendants",
    "industry_relation",
    "size_band_from_range",
    "size_band_from_count",
    "parse_size_band",
    "named_size_bands",
    "resolve_size_bands",
    "company_type_from_band",
    "canonical_company_type",
]

#: LinkedIn Industry Codes V2 as an outline: two spaces of indent per level below the parent.
INDUSTRY_TREE = """\
Accommodation Services
  Food and Beverage Services
    Bars, Taverns, and Nightclubs
    Caterers
    Mobile Food Services
    Restaurants
  Hospitality
    Bed-and-Breakfasts, Hostels, Homestays
    Hotels and Motels
Administrative and Support Services
  Collection Agencies
  Events Services
  Facilities Services
    Janitorial Services
    Landscaping Services
  Fundraising
  Office Administration
  Security and Investigations
    Security Guards and Patrol Services
    Security Systems Services
  Staffing and Recruiting
    Executive Search Services
    Temporary Help Services
  Telephone Call Centers
  Translation and Localization
  Travel Arrangements
  Writing and Editing
Construction
  Building Construction
    Nonresidential Building Construction
    Residential Building Construction
  Civil Engineering
    Highway, Street, and Bridge Construction
    Subdivision of Land
    Utility System Construction
  Specialty Trade Contractors
    Building Equipment Contractors
    Building Finishing Contractors
    Building Structure and Exterior Contractors
Consumer Services
  Civic and Social Organizations
    Industry Associations
    Political Organizations
    Professional Organizations
  Household Services
  Non-profit Organizations
  Personal and Laundry Services
    Laundry and Drycleaning Services
    Personal Care Services
    Pet Services
  Philanthropic Fundraising Services
  Religious Institutions
  Repair and Maintenance
    Commercial and Industrial Machinery Maintenance
    Electronic and Precision Equipment Maintenance
    Footwear and Leather Goods Repair
    Reupholstery and Furniture Repair
    Vehicle Repair and Maintenance
Education
  E-Learning Providers
  Higher Education
  Primary and Secondary Education
  Professional Training and Coaching
  Technical and Vocational Training
    Cosmetology and Barber Schools
    Fine Arts Schools
    Flight Training
    Language Schools
    Secretarial Schools
    Sports and Recreation Instruction
Entertainment Providers
  Artists and Writers
  Museums, Historical Sites, and Zoos
    Historical Sites
    Museums
    Zoos and Botanical Gardens
  Musicians
  Performing Arts and Spectator Sports
    Circuses and Magic Shows
    Dance Companies
    Performing Arts
    Spectator Sports
      Racetracks
      Sports Teams and Clubs
    Theater Companies
  Recreational Facilities
    Amusement Parks and Arcades
    Gambling Facilities and Casinos
    Golf Courses and Country Clubs
    Skiing Facilities
    Wellness and Fitness Services
Farming, Ranching, Forestry
  Farming
    Horticulture
  Forestry and Logging
  Ranching and Fisheries
    Fisheries
    Ranching
Financial Services
  Capital Markets
    Investment Advice
    Investment Banking
    Investment Management
    Securities and Commodity Exchanges
    Venture Capital and Private Equity Principals
  Credit Intermediation
    Banking
    International Trade and Development
    Loan Brokers
    Savings Institutions
  Funds and Trusts
    Insurance and Employee Benefit Funds
    Pension Funds
    Trusts and Estates
  Insurance
    Claims Adjusting, Actuarial Services
    Insurance Agencies and Brokerages
    Insurance Carriers
Government Administration
  Administration of Justice
    Correctional Institutions
    Courts of Law
    Fire Protection
    Law Enforcement
    Public Safety
  Economic Programs
    Transportation Programs
    Utilities Administration
  Environmental Quality Programs
    Air, Water, and Waste Program Management
    Conservation Programs
  Health and Human Services
    Education Administration Programs
    Public Assistance Programs
    Public Health
  Housing and Community Development
    Community Development and Urban Planning
    Housing Programs
  Military and International Affairs
    Armed Forces
    International Affairs
  Public Policy Offices
    Executive Offices
    Legislative Offices
  Space Research and Technology
Holding Companies
Hospitals and Health Care
  Community Services
    Services for the Elderly and Disabled
  Hospitals
  Individual and Family Services
    Child Day Care Services
    Emergency and Relief Services
    Vocational Rehabilitation Services
  Medical Practices
    Alternative Medicine
    Ambulance Services
    Chiropractors
    Dentists
    Family Planning Centers
    Home Health Care Services
    Medical and Diagnostic Laboratories
    Mental Health Care
    Optometrists
    Outpatient Care Centers
    Physical, Occupational and Speech Therapists
    Physicians
  Nursing Homes and Residential Care Facilities
Manufacturing
  Apparel Manufacturing
    Fashion Accessories Manufacturing
  Appliances, Electrical, and Electronics Manufacturing
    Electric Lighting Equipment Manufacturing
    Electrical Equipment Manufacturing
      Fuel Cell Manufacturing
      Renewable Energy Equipment Manufacturing
      Smart Meter Manufacturing
    Household Appliance Manufacturing
  Chemical Manufacturing
    Agricultural Chemical Manufacturing
    Artificial Rubber and Synthetic Fiber Manufacturing
    Chemical Raw Materials Manufacturing
    Paint, Coating, and Adhesive Manufacturing
    Personal Care Product Manufacturing
    Pharmaceutical Manufacturing
    Soap and Cleaning Product Manufacturing
  Climate Technology Product Manufacturing
  Computers and Electronics Manufacturing
    Audio and Video Equipment Manufacturing
    Communications Equipment Manufacturing
    Computer Hardware Manufacturing
    Computer Networking Products
    Magnetic and Optical Media Manufacturing
    Measuring and Control Instrument Manufacturing
    Semiconductor Manufacturing
      Renewable Energy Semiconductor Manufacturing
  Fabricated Metal Products
    Architectural and Structural Metal Manufacturing
    Boilers, Tanks, and Shipping Container Manufacturing
    Construction Hardware Manufacturing
    Cutlery and Handtool Manufacturing
    Metal Treatments
    Metal Valve, Ball, and Roller Manufacturing
    Spring and Wire Product Manufacturing
    Turned Products and Fastener Manufacturing
  Food and Beverage Manufacturing
    Animal Feed Manufacturing
    Baked Goods Manufacturing
    Beverage Manufacturing
      Breweries
      Distilleries
      Wineries
    Dairy Product Manufacturing
    Fruit and Vegetable Preserves Manufacturing
    Meat Products Manufacturing
    Seafood Product Manufacturing
    Sugar and Confectionery Product Manufacturing
  Furniture and Home Furnishings Manufacturing
    Household and Institutional Furniture Manufacturing
    Mattress and Blinds Manufacturing
    Office Furniture and Fixtures Manufacturing
  Glass, Ceramics and Concrete Manufacturing
    Abrasives and Nonmetallic Minerals Manufacturing
    Clay and Refractory Products Manufacturing
    Glass Product Manufacturing
    Lime and Gypsum Products Manufacturing
  Leather Product Manufacturing
    Footwear Manufacturing
    Women's Handbag Manufacturing
  Machinery Manufacturing
    Agriculture, Construction, Mining Machinery Manufacturing
    Automation Machinery Manufacturing
      Robot Manufacturing
    Commercial and Service Industry Machinery Manufacturing
    Engines and Power Transmission Equipment Manufacturing
    HVAC and Refrigeration Equipment Manufacturing
    Industrial Machinery Manufacturing
    Metalworking Machinery Manufacturing
  Medical Equipment Manufacturing
  Oil and Coal Product Manufacturing
  Paper and Forest Product Manufacturing
  Plastics and Rubber Product Manufacturing
    Packaging and Containers Manufacturing
    Plastics Manufacturing
    Rubber Products Manufacturing
  Primary Metal Manufacturing
  Printing Services
  Sporting Goods Manufacturing
  Textile Manufacturing
  Tobacco Manufacturing
  Transportation Equipment Manufacturing
    Aviation and Aerospace Component Manufacturing
    Defense and Space Manufacturing
    Motor Vehicle Manufacturing
      Alternative Fuel Vehicle Manufacturing
      Motor Vehicle Parts Manufacturing
    Railroad Equipment Manufacturing
    Shipbuilding
  Wood Product Manufacturing
Oil, Gas, and Mining
  Mining
    Coal Mining
    Metal Ore Mining
    Nonmetallic Mineral Mining
  Oil and Gas
    Natural Gas Extraction
    Oil Extraction
Professional Services
  Accounting
  Advertising Services
    Government Relations Services
    Public Relations and Communications Services
  Architecture and Planning
  Business Consulting and Services
    Environmental Services
    Human Resources Services
    Marketing Services
      Market Research
    Operations Consulting
    Outsourcing and Offshoring Consulting
    Strategic Management Services
  Design Services
    Graphic Design
    Interior Design
  Engineering Services
    Robotics Engineering
    Surveying and Mapping Services
  IT Services and IT Consulting
    Computer and Network Security
    IT System Custom Software Development
    IT System Data Services
    IT System Design Services
    IT System Installation and Disposal
    IT System Operations and Maintenance
    IT System Testing and Evaluation
    IT System Training and Support
  Legal Services
    Alternative Dispute Resolution
    Law Practice
  Photography
  Research Services
    Biotechnology Research
    Nanotechnology Research
    Think Tanks
  Services for Renewable Energy
  Veterinary Services
Real Estate and Equipment Rental Services
  Equipment Rental Services
    Commercial and Industrial Equipment Rental
    Consumer Goods Rental
  Real Estate
    Leasing Non-residential Real Estate
    Leasing Residential Real Estate
    Real Estate Agents and Brokers
Retail
  Food and Beverage Retail
    Retail Groceries
  Online and Mail Order Retail
  Retail Apparel and Fashion
  Retail Appliances, Electrical, and Electronic Equipment
  Retail Art Dealers
  Retail Art Supplies
  Retail Books and Printed News
  Retail Building Materials and Garden Equipment
  Retail Florists
  Retail Furniture and Home Furnishings
  Retail Gasoline
  Retail Health and Personal Care Products
    Retail Pharmacies
  Retail Luxury Goods and Jewelry
  Retail Motor Vehicles
  Retail Musical Instruments
  Retail Office Equipment
  Retail Office Supplies and Gifts
  Retail Recyclable Materials & Used Merchandise
Technology, Information and Media
  Book and Periodical Publishing
    Book Publishing
    Newspaper Publishing
    Periodical Publishing
  Broadcast Media Production and Distribution
    Cable and Satellite Programming
    Radio and Television Broadcasting
  Information Services
    Internet Publishing
      Blogs
      Business Content
      Internet News
      Online Audio and Video Media
    Libraries
  Movies, Videos, and Sound
    Animation and Post-production
    Media Production
    Movies and Sound Recording
    Sheet Music Publishing
    Sound Recording
  Software Development
    Computer Games
      Mobile Gaming Apps
    Desktop Computing Software Products
    Embedded Software Products
    Mobile Computing Software Products
  Technology, Information and Internet
    Blockchain Services
    Data Infrastructure and Analytics
      Business Intelligence Platforms
      Climate Data and Analytics
    Internet Marketplace Platforms
    Social Networking Platforms
  Telecommunications
    Satellite Telecommunications
    Telecommunications Carriers
    Wireless Services
Transportation, Logistics, Supply Chain and Storage
  Airlines and Aviation
  Freight and Package Transportation
  Ground Passenger Transportation
    Interurban and Rural Bus Services
    School and Employee Bus Services
    Shuttles and Special Needs Transportation Services
    Sightseeing Transportation
    Taxi and Limousine Services
    Urban Transit Services
  Maritime Transportation
  Pipeline Transportation
  Postal Services
  Rail Transportation
  Truck Transportation
  Warehousing and Storage
Utilities
  Electric Power Generation
    Fossil Fuel Electric Power Generation
    Nuclear Electric Power Generation
    Renewable Energy Power Generation
      Biomass Electric Power Generation
      Geothermal Electric Power Generation
      Hydroelectric Power Generation
      Solar Electric Power Generation
      Wind Electric Power Generation
  Electric Power Transmission, Control, and Distribution
  Natural Gas Distribution
  Water, Waste, Steam, and Air Conditioning Services
    Steam and Air-Conditioning Supply
    Waste Collection
    Waste Treatment and Disposal
    Water Supply and Irrigation Systems
Wholesale
  Wholesale Alcoholic Beverages
  Wholesale Apparel and Sewing Supplies
  Wholesale Appliances, Electrical, and Electronics
  Wholesale Building Materials
  Wholesale Chemical and Allied Products
  Wholesale Computer Equipment
  Wholesale Drugs and Sundries
  Wholesale Food and Beverage
  Wholesale Footwear
  Wholesale Furniture and Home Furnishings
  Wholesale Hardware, Plumbing, Heating Equipment
  Wholesale Import and Export
  Wholesale Luxury Goods and Jewelry
  Wholesale Machinery
  Wholesale Metals and Minerals
  Wholesale Motor Vehicles and Parts
  Wholesale Paper Products
  Wholesale Petroleum and Petroleum Products
  Wholesale Photography Equipment and Supplies
  Wholesale Raw Farm Products
  Wholesale Recyclable Materials
"""


def _parse_tree(text: str) -> tuple[tuple[str, ...], dict[str, str | None]]:
    labels: list[str] = []
    parent: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        label = line.strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if label in parent:
            raise ValueError(f"duplicate industry label {label!r}")
        parent[label] = stack[-1][1] if stack else None
        labels.append(label)
        stack.append((indent, label))
    return tuple(labels), parent


#: Every V2 label, in outline order (parents before children).
INDUSTRIES: tuple[str, ...]
#: V2 label -> parent V2 label (None for a top-level group).
INDUSTRY_PARENT: dict[str, str | None]
INDUSTRIES, INDUSTRY_PARENT = _parse_tree(INDUSTRY_TREE)

#: The top-level groups of V2 (e.g. "Technology, Information and Media", "Financial Services").
TOP_LEVEL_INDUSTRIES: tuple[str, ...] = tuple(lbl for lbl in INDUSTRIES if INDUSTRY_PARENT[lbl] is None)

#: Legacy V1 industry name -> V2 label (LinkedIn's V1->V2 mapping; see the module docstring).
V1_TO_V2: dict[str, str] = {
    "Accounting": "Accounting",
    "Airlines/Aviation": "Airlines and Aviation",
    "Alternative Dispute Resolution": "Alternative Dispute Resolution",
    "Alternative Medicine": "Alternative Medicine",
    "Animation": "Animation and Post-production",
    "Apparel & Fashion": "Retail Apparel and Fashion",
    "Architecture & Planning": "Architecture and Planning",
    "Arts and Crafts": "Retail Art Supplies",
    "Arts & Crafts": "Retail Art Supplies",
    "Automotive": "Motor Vehicle Manufacturing",
    "Aviation & Aerospace": "Aviation and Aerospace Component Manufacturing",
    "Banking": "Banking",
    "Biotechnology": "Biotechnology Research",
    "Broadcast Media": "Broadcast Media Production and Distribution",
    "Building Materials": "Wholesale Building Materials",
    "Business Supplies and Equipment": "Retail Office Equipment",
    "Business Supplies & Equipment": "Retail Office Equipment",
    "Capital Markets": "Capital Markets",
    "Chemicals": "Chemical Manufacturing",
    "Civic & Social Organization": "Civic and Social Organizations",
    "Civil Engineering": "Civil Engineering",
    "Commercial Real Estate": "Leasing Non-residential Real Estate",
    "Computer & Network Security": "Computer and Network Security",
    "Computer Games": "Computer Games",
    "Computer Hardware": "Computer Hardware Manufacturing",
    "Computer Networking": "Computer Networking Products",
    "Computer Software": "Software Development",
    "Construction": "Construction",
    "Consumer Electronics": "Computers and Electronics Manufacturing",
    "Consumer Goods": "Manufacturing",
    "Consumer Services": "Consumer Services",
    "Cosmetics": "Personal Care Product Manufacturing",
    "Dairy": "Dairy Product Manufacturing",
    "Defense & Space": "Defense and Space Manufacturing",
    "Design": "Design Services",
    "E-Learning": "E-Learning Providers",
    "Education Management": "Education Administration Programs",
    "Electrical/Electronic Manufacturing": "Appliances, Electrical, and Electronics Manufacturing",
    "Entertainment": "Entertainment Providers",
    "Environmental Services": "Environmental Services",
    "Events Services": "Events Services",
    "Executive Office": "Executive Offices",
    "Facilities Services": "Facilities Services",
    "Farming": "Farming",
    "Financial Services": "Financial Services",
    "Fine Art": "Artists and Writers",
    "Fishery": "Fisheries",
    "Food & Beverages": "Food and Beverage Services",
    "Food Production": "Food and Beverage Manufacturing",
    "Fund-Raising": "Fundraising",
    "Furniture": "Furniture and Home Furnishings Manufacturing",
    "Gambling & Casinos": "Gambling Facilities and Casinos",
    "Glass, Ceramics & Concrete": "Glass, Ceramics and Concrete Manufacturing",
    "Government Administration": "Government Administration",
    "Government Relations": "Government Relations Services",
    "Graphic Design": "Graphic Design",
    "Health, Wellness and Fitness": "Wellness and Fitness Services",
    "Health, Wellness & Fitness": "Wellness and Fitness Services",
    "Higher Education": "Higher Education",
    "Hospital & Health Care": "Hospitals and Health Care",
    "Hospitality": "Hospitality",
    "Human Resources": "Human Resources Services",
    "Import and Export": "Wholesale Import and Export",
    "Import & Export": "Wholesale Import and Export",
    "Individual & Family Services": "Individual and Family Services",
    "Industrial Automation": "Automation Machinery Manufacturing",
    "Information Services": "Information Services",
    "Information Technology and Services": "IT Services and IT Consulting",
    "Information Technology & Services": "IT Services and IT Consulting",
    "Insurance": "Insurance",
    "International Affairs": "International Affairs",
    "International Trade and Development": "International Trade and Development",
    "Internet": "Technology, Information and Internet",
    "Investment Banking": "Investment Banking",
    "Investment Management": "Investment Management",
    "Judiciary": "Administration of Justice",
    "Law Enforcement": "Law Enforcement",
    "Law Practice": "Law Practice",
    "Legal Services": "Legal Services",
    "Legislative Office": "Legislative Offices",
    "Leisure, Travel & Tourism": "Travel Arrangements",
    "Libraries": "Libraries",
    "Logistics and Supply Chain": "Transportation, Logistics, Supply Chain and Storage",
    "Logistics & Supply Chain": "Transportation, Logistics, Supply Chain and Storage",
    "Luxury Goods & Jewelry": "Retail Luxury Goods and Jewelry",
    "Machinery": "Industrial Machinery Manufacturing",
    "Management Consulting": "Business Consulting and Services",
    "Maritime": "Maritime Transportation",
    "Market Research": "Market Research",
    "Marketing and Advertising": "Advertising Services",
    "Marketing & Advertising": "Advertising Services",
    "Mechanical or Industrial Engineering": "Industrial Machinery Manufacturing",
    "Media Production": "Media Production",
    "Medical Devices": "Medical Equipment Manufacturing",
    "Medical Practice": "Medical Practices",
    "Mental Health Care": "Mental Health Care",
    "Military": "Armed Forces",
    "Mining & Metals": "Mining",
    "Motion Pictures and Film": "Movies, Videos, and Sound",
    "Motion Pictures & Film": "Movies, Videos, and Sound",
    "Museums and Institutions": "Museums, Historical Sites, and Zoos",
    "Museums & Institutions": "Museums, Historical Sites, and Zoos",
    "Music": "Musicians",
    "Nanotechnology": "Nanotechnology Research",
    "Newspapers": "Newspaper Publishing",
    "Non-Profit Organization Management": "Non-profit Organizations",
    "Nonprofit Organization Management": "Non-profit Organizations",
    "Oil & Energy": "Oil and Gas",
    "Online Media": "Online Audio and Video Media",
    "Outsourcing/Offshoring": "Outsourcing and Offshoring Consulting",
    "Package/Freight Delivery": "Freight and Package Transportation",
    "Packaging and Containers": "Packaging and Containers Manufacturing",
    "Packaging & Containers": "Packaging and Containers Manufacturing",
    "Paper & Forest Products": "Paper and Forest Product Manufacturing",
    "Performing Arts": "Performing Arts",
    "Pharmaceuticals": "Pharmaceutical Manufacturing",
    "Philanthropy": "Philanthropic Fundraising Services",
    "Photography": "Photography",
    "Plastics": "Plastics Manufacturing",
    "Political Organization": "Political Organizations",
    "Primary/Secondary Education": "Primary and Secondary Education",
    "Printing": "Printing Services",
    "Professional Training & Coaching": "Professional Training and Coaching",
    "Program Development": "Strategic Management Services",
    "Public Policy": "Public Policy Offices",
    "Public Relations and Communications": "Public Relations and Communications Services",
    "Public Relations & Communications": "Public Relations and Communications Services",
    "Public Safety": "Public Safety",
    "Publishing": "Book and Periodical Publishing",
    "Railroad Manufacture": "Railroad Equipment Manufacturing",
    "Ranching": "Ranching",
    "Real Estate": "Real Estate",
    "Recreational Facilities and Services": "Recreational Facilities",
    "Recreational Facilities & Services": "Recreational Facilities",
    "Religious Institutions": "Religious Institutions",
    "Renewables & Environment": "Renewable Energy Power Generation",
    "Research": "Research Services",
    "Restaurants": "Restaurants",
    "Retail": "Retail",
    "Security and Investigations": "Security and Investigations",
    "Security & Investigations": "Security and Investigations",
    "Semiconductors": "Semiconductor Manufacturing",
    "Shipbuilding": "Shipbuilding",
    "Sporting Goods": "Sporting Goods Manufacturing",
    "Sports": "Spectator Sports",
    "Staffing and Recruiting": "Staffing and Recruiting",
    "Staffing & Recruiting": "Staffing and Recruiting",
    "Supermarkets": "Retail Groceries",
    "Telecommunications": "Telecommunications",
    "Textiles": "Textile Manufacturing",
    "Think Tanks": "Think Tanks",
    "Tobacco": "Tobacco Manufacturing",
    "Translation and Localization": "Translation and Localization",
    "Translation & Localization": "Translation and Localization",
    "Transportation/Trucking/Railroad": "Truck Transportation",
    "Utilities": "Utilities",
    "Venture Capital & Private Equity": "Venture Capital and Private Equity Principals",
    "Veterinary": "Veterinary Services",
    "Warehousing": "Warehousing and Storage",
    "Wholesale": "Wholesale",
    "Wine and Spirits": "Beverage Manufacturing",
    "Wine & Spirits": "Beverage Manufacturing",
    "Wireless": "Wireless Services",
    "Writing and Editing": "Writing and Editing",
    "Writing & Editing": "Writing and Editing",
}

#: Everyday words for industries (as typed in an ICP or seen in headlines) -> V2 label.
INDUSTRY_ALIASES: dict[str, str] = {
    "Software": "Software Development",
    "SaaS": "Software Development",
    "B2B SaaS": "Software Development",
    "Enterprise Software": "Software Development",
    "Tech": "Technology, Information and Internet",
    "Technology": "Technology, Information and Internet",
    "Internet": "Technology, Information and Internet",
    "IT": "IT Services and IT Consulting",
    "IT Services": "IT Services and IT Consulting",
    "IT Consulting": "IT Services and IT Consulting",
    "Cybersecurity": "Computer and Network Security",
    "Cyber Security": "Computer and Network Security",
    "Information Security": "Computer and Network Security",
    "Fintech": "Financial Services",
    "Finance": "Financial Services",
    "Banks": "Banking",
    "Private Equity": "Venture Capital and Private Equity Principals",
    "Venture Capital": "Venture Capital and Private Equity Principals",
    "VC": "Venture Capital and Private Equity Principals",
    "PE": "Venture Capital and Private Equity Principals",
    "Asset Management": "Investment Management",
    "Wealth Management": "Investment Advice",
    "Insurtech": "Insurance",
    "Healthcare": "Hospitals and Health Care",
    "Health Care": "Hospitals and Health Care",
    "Health": "Hospitals and Health Care",
    "Healthtech": "Hospitals and Health Care",
    "Medtech": "Medical Equipment Manufacturing",
    "Medical Devices": "Medical Equipment Manufacturing",
    "Pharma": "Pharmaceutical Manufacturing",
    "Biotech": "Biotechnology Research",
    "Life Sciences": "Biotechnology Research",
    "Edtech": "E-Learning Providers",
    "Education": "Education",
    "Consulting": "Business Consulting and Services",
    "Management Consulting": "Business Consulting and Services",
    "Marketing": "Marketing Services",
    "Digital Marketing": "Marketing Services",
    "Advertising": "Advertising Services",
    "Marketing Agency": "Advertising Services",
    "PR": "Public Relations and Communications Services",
    "Public Relations": "Public Relations and Communications Services",
    "HR": "Human Resources Services",
    "HR Tech": "Human Resources Services",
    "Recruiting": "Staffing and Recruiting",
    "Recruitment": "Staffing and Recruiting",
    "Staffing": "Staffing and Recruiting",
    "Legal": "Legal Services",
    "Law": "Law Practice",
    "Law Firm": "Law Practice",
    "Legaltech": "Legal Services",
    "Real Estate": "Real Estate",
    "Proptech": "Real Estate",
    "Property": "Real Estate",
    "E-commerce": "Online and Mail Order Retail",
    "Ecommerce": "Online and Mail Order Retail",
    "DTC": "Online and Mail Order Retail",
    "Retail": "Retail",
    "CPG": "Manufacturing",
    "Consumer Goods": "Manufacturing",
    "FMCG": "Manufacturing",
    "Logistics": "Transportation, Logistics, Supply Chain and Storage",
    "Supply Chain": "Transportation, Logistics, Supply Chain and Storage",
    "Transportation": "Transportation, Logistics, Supply Chain and Storage",
    "Telecom": "Telecommunications",
    "Media": "Technology, Information and Media",
    "Publishing": "Book and Periodical Publishing",
    "Gaming": "Computer Games",
    "Video Games": "Computer Games",
    "Automotive": "Motor Vehicle Manufacturing",
    "Aerospace": "Aviation and Aerospace Component Manufacturing",
    "Defense": "Defense and Space Manufacturing",
    "Energy": "Utilities",
    "Renewable Energy": "Renewable Energy Power Generation",
    "Renewables": "Renewable Energy Power Generation",
    "Cleantech": "Renewable Energy Power Generation",
    "Climate Tech": "Climate Technology Product Manufacturing",
    "Solar": "Solar Electric Power Generation",
    "Oil and Gas": "Oil and Gas",
    "Nonprofit": "Non-profit Organizations",
    "Non-profit": "Non-profit Organizations",
    "NGO": "Non-profit Organizations",
    "Charity": "Non-profit Organizations",
    "Government": "Government Administration",
    "Public Sector": "Government Administration",
    "Hospitality": "Hospitality",
    "Travel": "Travel Arrangements",
    "Tourism": "Travel Arrangements",
    "Food and Beverage": "Food and Beverage Services",
    "F&B": "Food and Beverage Services",
    "Construction": "Construction",
    "Architecture": "Architecture and Planning",
    "Engineering": "Engineering Services",
    "Data": "Data Infrastructure and Analytics",
    "Analytics": "Data Infrastructure and Analytics",
    "Data Analytics": "Data Infrastructure and Analytics",
    "AI": "Technology, Information and Internet",
    "Artificial Intelligence": "Technology, Information and Internet",
    "Machine Learning": "Technology, Information and Internet",
    "Crypto": "Blockchain Services",
    "Web3": "Blockchain Services",
    "Blockchain": "Blockchain Services",
    "Semiconductors": "Semiconductor Manufacturing",
    "Hardware": "Computer Hardware Manufacturing",
    "Agriculture": "Farming, Ranching, Forestry",
    "Agtech": "Farming",
    "Fitness": "Wellness and Fitness Services",
    "Wellness": "Wellness and Fitness Services",
    "Accounting Firm": "Accounting",
    "Audit": "Accounting",
    "Coaching": "Professional Training and Coaching",
    "Training": "Professional Training and Coaching",
    "Events": "Events Services",
    "Design": "Design Services",
    "Market Research": "Market Research",
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_label(label: str) -> str:
    """Matching key of a label: lower-case, ``&`` read as ``and``, every non-alphanumeric dropped.

    ``"Computer & Network Security"`` and ``"computer and network-security"`` give the same key.
    """
    s = label.lower().replace("&", " and ")
    return _NON_ALNUM.sub("", s)


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for alias, v2 in INDUSTRY_ALIASES.items():
        lookup[normalise_label(alias)] = v2
    for v1, v2 in V1_TO_V2.items():
        lookup[normalise_label(v1)] = v2
    for label in INDUSTRIES:  # V2 labels win over V1 names and aliases
        lookup[normalise_label(label)] = label
    return lookup


_LOOKUP = _build_lookup()

for _v2 in list(V1_TO_V2.values()) + list(INDUSTRY_ALIASES.values()):
    if _v2 not in INDUSTRY_PARENT:  # pragma: no cover - guarded by tests
        raise ValueError(f"taxonomy map points at an unknown V2 label: {_v2!r}")


@lru_cache(maxsize=8192)
def canonical_industry(label: str | None) -> str | None:
    """The V2 label for ``label`` (a V2 label, a V1 name or a common alias), else None.

    Case-, space- and punctuation-insensitive (``"computer software"`` -> ``"Software
    Development"``, ``"information technology & services"`` -> ``"IT Services and IT
    Consulting"``). Also accepts a trailing/leading `` industry`` word. Returns None for empty
    input or an unknown label (no fuzzy guessing; use the classifier for free text).
    """
    if not label or not isinstance(label, str):
        return None
    key = normalise_label(label)
    if not key:
        return None
    hit = _LOOKUP.get(key)
    if hit is None and key.endswith("industry"):
        hit = _LOOKUP.get(key[: -len("industry")])
    if hit is None and key.startswith("the"):
        hit = _LOOKUP.get(key[3:])
    return hit


def is_v2_label(label: str) -> bool:
    """True when ``label`` is exactly a V2 label (case-sensitive)."""
    return label in INDUSTRY_PARENT


def industry_parent(label: str | None) -> str | None:
    """V2 parent of ``label`` (any form :func:`canonical_industry` accepts); None at the top or if unknown."""
    c = canonical_industry(label)
    return INDUSTRY_PARENT.get(c) if c else None


def industry_ancestors(label: str | None) -> list[str]:
    """Ancestors of ``label``, nearest first, ending with its top-level group; [] if top-level/unknown.

    ``industry_ancestors("Computer Games")`` ->
    ``["Software Development", "Technology, Information and Media"]``.
    """
    out: list[str] = []
    cur = canonical_industry(label)
    while cur is not None:
        cur = INDUSTRY_PARENT.get(cur)
        if cur is not None:
            out.append(cur)
    return out


def industry_top_level(label: str | None) -> str | None:
    """Top-level V2 group of ``label`` (itself if it is top-level); None if unknown."""
    c = canonical_industry(label)
    if c is None:
        return None
    anc = industry_ancestors(c)
    return anc[-1] if anc else c


def _children_map() -> dict[str, list[str]]:
    ch: dict[str, list[str]] = {lbl: [] for lbl in INDUSTRIES}
    for lbl, par in INDUSTRY_PARENT.items():
        if par is not None:
            ch[par].append(lbl)
    return ch


_CHILDREN = _children_map()


def industry_children(label: str | None) -> list[str]:
    """Direct V2 children of ``label`` (outline order); [] for a leaf or unknown label."""
    c = canonical_industry(label)
    return list(_CHILDREN.get(c, [])) if c else []


def industry_descendants(label: str | None) -> list[str]:
    """All V2 labels below ``label`` (depth-first, outline order); [] for a leaf or unknown label."""
    out: list[str] = []
    stack = list(reversed(industry_children(label)))
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(reversed(_CHILDREN[cur]))
    return out


def industry_relation(a: str | None, b: str | None) -> str | None:
    """How industry ``a`` relates to industry ``b`` in the V2 hierarchy.

    Returns ``"same"`` (same V2 label after canonicalisation), ``"descendant"`` (``a`` lies
    below ``b``, e.g. a = "Computer Games", b = "Software Development"), ``"ancestor"``
    (``a`` lies above ``b``), ``"sibling"`` (same direct parent), or None (unrelated, or either
    label unknown). Labels in any form :func:`canonical_industry` accepts.
    """
    ca, cb = canonical_industry(a), canonical_industry(b)
    if ca is None or cb is None:
        return None
    if ca == cb:
        return "same"
    if cb in industry_ancestors(ca):
        return "descendant"
    if ca in industry_ancestors(cb):
        return "ancestor"
    pa, pb = INDUSTRY_PARENT.get(ca), INDUSTRY_PARENT.get(cb)
    if pa is not None and pa == pb:
        return "sibling"
    return None


# --------------------------------------------------------------------------- company sizes

_BAND_BOUNDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-10", 0, 10),
    ("11-50", 11, 50),
    ("51-200", 51, 200),
    ("201-500", 201, 500),
    ("501-1000", 501, 1000),
    ("1001-5000", 1001, 5000),
    ("5001-10000", 5001, 10000),
    ("10001+", 10001, None),
)
assert tuple(b for b, _, _ in _BAND_BOUNDS) == SIZE_BANDS


def size_band_from_count(n: int | float | None) -> str | None:
    """The :data:`SIZE_BANDS` label holding an employee count ``n`` (0-10 -> "1-10"); None if None/negative."""
    if n is None:
        return None
    try:
        n = float(n)
    except (TypeError, ValueError):
        return None
    if n != n or n < 0:  # NaN or negative
        return None
    for band, _lo, hi in _BAND_BOUNDS:
        if hi is None or n <= hi:
            return band
    return None  # pragma: no cover


def size_band_from_range(start: int | None, end: int | None = None) -> str | None:
    """Band for a LinkedIn ``employeeCountRange`` ``{start, end?}``.

    LinkedIn buckets (0-1, 2-10, 11-50, ..., 5001-10000, ``{start: 10001}`` with no end) map onto
    :data:`SIZE_BANDS` one to one (0-1 and 2-10 -> "1-10"). For any other range the band of its
    midpoint is used; with no ``end``, the band of ``start``. None when both are missing.
    """
    if start is None and end is None:
        return None
    try:
        s = float(start) if start is not None else None
        e = float(end) if end is not None else None
    except (TypeError, ValueError):
        return None
    if s is None:
        return size_band_from_count(e)
    if e is None or e < s:
        return size_band_from_count(s)
    return size_band_from_count((s + e) / 2)


_RANGE_RE = re.compile(r"^(\d[\d,.]*)\s*(k)?\s*(?:-|–|—|to)\s*(\d[\d,.]*)\s*(k)?$")
_PLUS_RE = re.compile(r"^(\d[\d,.]*)\s*(k)?\s*\+$")
_NUM_RE = re.compile(r"^~?\s*(\d[\d,.]*)\s*(k)?$")


def _num(s: str, k: str | None) -> float:
    v = float(s.replace(",", ""))
    return v * 1000 if k else v


def parse_size_band(text: str | None) -> str | None:
    """Band for a size written as text, else None.

    Accepts band labels and LinkedIn's display forms: ``"51-200"``, ``"51 - 200 employees"``,
    ``"11–50"``, ``"10,001+ employees"``, ``"10k+"``, ``"2-10"``, ``"0-1 employees"``,
    ``"Myself only"``/``"self-employed"`` (-> "1-10"), a bare count ``"350"`` or ``"~1.2k"``.
    Named sizes ("startup", "enterprise") are *not* handled here: see :func:`named_size_bands`.
    """
    if not text:
        return None
    s = text.strip().lower()
    if s in ("myself only", "self-employed", "self employed", "solo"):
        return "1-10"
    s = re.sub(r"\b(employees?|staff|people|headcount|fte)\b", "", s).strip()
    m = _RANGE_RE.match(s)
    if m:
        return size_band_from_range(_num(m.group(1), m.group(2)), _num(m.group(3), m.group(4)))
    m = _PLUS_RE.match(s)
    if m:  # "10k+" / "10,000+" means more than 10,000: step past a band's upper bound
        n = _num(m.group(1), m.group(2))
        return size_band_from_count(n + 1 if any(n == hi for _, _, hi in _BAND_BOUNDS) else n)
    m = _NUM_RE.match(s)
    if m:
        return size_band_from_count(_num(m.group(1), m.group(2)))
    return None


#: Named company sizes -> the size bands they cover (overlaps are intended; see module docstring).
NAMED_SIZES: dict[str, tuple[str, ...]] = {
    "micro": ("1-10",),
    "solo": ("1-10",),
    "freelance": ("1-10",),
    "self employed": ("1-10",),
    "startup": ("1-10", "11-50"),
    "early stage": ("1-10", "11-50"),
    "early stage startup": ("1-10", "11-50"),
    "seed": ("1-10", "11-50"),
    "seed stage": ("1-10", "11-50"),
    "small": ("1-10", "11-50"),
    "small business": ("1-10", "11-50", "51-200"),
    "smb": ("1-10", "11-50", "51-200"),
    "smbs": ("1-10", "11-50", "51-200"),
    "small and medium business": ("1-10", "11-50", "51-200", "201-500"),
    "small and medium businesses": ("1-10", "11-50", "51-200", "201-500"),
    "small and medium enterprise": ("1-10", "11-50", "51-200", "201-500"),
    "sme": ("1-10", "11-50", "51-200", "201-500"),
    "smes": ("1-10", "11-50", "51-200", "201-500"),
    "scaleup": ("51-200", "201-500"),
    "scaleups": ("51-200", "201-500"),
    "growth stage": ("51-200", "201-500"),
    "medium": ("51-200", "201-500"),
    "mid size": ("51-200", "201-500", "501-1000"),
    "midsize": ("51-200", "201-500", "501-1000"),
    "mid sized": ("51-200", "201-500", "501-1000"),
    "mid market": ("201-500", "501-1000"),
    "midmarket": ("201-500", "501-1000"),
    "large": ("1001-5000", "5001-10000", "10001+"),
    "enterprise": ("1001-5000", "5001-10000", "10001+"),
    "enterprises": ("1001-5000", "5001-10000", "10001+"),
    "corporate": ("1001-5000", "5001-10000", "10001+"),
    "large enterprise": ("5001-10000", "10001+"),
    "large enterprises": ("5001-10000", "10001+"),
    "fortune 500": ("5001-10000", "10001+"),
    "fortune 1000": ("1001-5000", "5001-10000", "10001+"),
    "global 2000": ("5001-10000", "10001+"),
}


def _size_key(name: str) -> str:
    s = name.lower().replace("&", " and ").replace("-", " ").replace("/", " ")
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    s = re.sub(r"\b(companies|company|businesses|business|firms|firm|orgs|organizations|organisations)\b$",
               lambda m: "business" if m.group(1).startswith("business") else "", s.strip())
    return re.sub(r"\s+", " ", s).strip()


def named_size_bands(name: str | None) -> list[str]:
    """Size bands covered by a named size, in :data:`SIZE_BANDS` order; [] for an unknown name.

    Case/punctuation-insensitive, trailing "companies"/"company"/"firms" ignored:
    ``startup`` -> 1-10, 11-50; ``scaleup``/``scale-up`` -> 51-200, 201-500; ``SMB``/``small
    business`` -> 1-10 .. 51-200; ``SME`` -> 1-10 .. 201-500; ``mid-market`` -> 201-500,
    501-1000; ``enterprise`` -> 1001-5000 .. 10001+; ``large enterprise`` -> 5001-10000, 10001+.
    Sources: see the module docstring.
    """
    if not name:
        return []
    key = _size_key(name)
    bands = NAMED_SIZES.get(key)
    if bands is None:
        bands = NAMED_SIZES.get(key.replace(" ", ""))
    if bands is None and key.endswith("s"):
        bands = NAMED_SIZES.get(key[:-1])
    if bands is None and key.startswith("scale up"):
        bands = NAMED_SIZES["scaleup"]
    return [b for b in SIZE_BANDS if bands and b in bands]


def resolve_size_bands(entry: str | None) -> list[str]:
    """Bands for one ICP ``company_sizes`` entry: a band/size text (:func:`parse_size_band`) or a name.

    ``"51-200"`` -> ["51-200"]; ``"100-1000 employees"`` spanning several bands -> every band it
    overlaps; ``"startup"`` -> ["1-10", "11-50"]; unknown -> [].
    """
    if not entry:
        return []
    s = entry.strip().lower()
    s2 = re.sub(r"\b(employees?|staff|people|headcount|fte)\b", "", s).strip()
    m = _RANGE_RE.match(s2)
    if m:
        lo, hi = _num(m.group(1), m.group(2)), _num(m.group(3), m.group(4))
        if hi >= lo:
            return [b for b, blo, bhi in _BAND_BOUNDS if (bhi is None or lo <= bhi) and hi >= blo]
    band = parse_size_band(entry)
    if band:
        return [band]
    return named_size_bands(entry)


# --------------------------------------------------------------------------- company types

#: The company types the classifier outputs (closed set; "unknown" when evidence is lacking).
COMPANY_TYPES: tuple[str, ...] = ("startup", "scaleup", "mid-market", "enterprise", "agency", "freelance", "unknown")

_TYPE_BY_BAND = {
    "1-10": "startup",
    "11-50": "startup",
    "51-200": "scaleup",
    "201-500": "scaleup",
    "501-1000": "mid-market",
    "1001-5000": "enterprise",
    "5001-10000": "enterprise",
    "10001+": "enterprise",
}


def company_type_from_band(band: str | None) -> str:
    """Default company type implied by a size band alone: 1-50 startup, 51-500 scaleup,
    501-1000 mid-market, 1001+ enterprise; ``"unknown"`` for None/unknown. Size cannot tell an
    agency or a freelancer: callers check keywords first."""
    return _TYPE_BY_BAND.get(band or "", "unknown")


_TYPE_ALIASES = {
    "startup": "startup", "start up": "startup", "startups": "startup", "early stage": "startup",
    "scaleup": "scaleup", "scale up": "scaleup", "scaleups": "scaleup", "growth stage": "scaleup",
    "mid market": "mid-market", "midmarket": "mid-market", "mid size": "mid-market", "midsize": "mid-market",
    "enterprise": "enterprise", "large enterprise": "enterprise", "corporate": "enterprise",
    "corporation": "enterprise",
    "agency": "agency", "agencies": "agency", "consultancy": "agency", "studio": "agency",
    "freelance": "freelance", "freelancer": "freelance", "self employed": "freelance",
    "independent": "freelance", "solo": "freelance", "unknown": "unknown",
}


def canonical_company_type(name: str | None) -> str | None:
    """A :data:`COMPANY_TYPES` value for a type written freely (``"Scale-up"``, ``"Mid Market"``,
    ``"freelancer"``), else None."""
    if not name:
        return None
    key = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", name.lower())).strip()
    return _TYPE_ALIASES.get(key) or _TYPE_ALIASES.get(key.replace(" ", ""))
