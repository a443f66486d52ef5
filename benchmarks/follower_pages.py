"""Big saved followers pages with realistic variety, for the speed and memory benchmarks (issue 15).

The page is the G2 "entity-result" DOM of FORMATS.md §A written by the project's own fixture
generator (``tests/fixtures/ui/make_followers_page.py``: nav with the owner, a "People you may
know" aside, one card per follower with photo link, name link, degree badge, headline and
location). The followers are invented, with the variety of a real list:

* job titles from a combinatorial vocabulary of about 9,000 titles (:func:`title_vocabulary`:
  seniority x function x role, "Head of X", "VP X", "Chief X Officer", founders, students,
  retirees, freelancers...), drawn with Zipf-like frequencies (a few titles are common, most are
  rare), so repeated titles repeat about as often as on a real page;
* about 3,600 company names (word + suffix, some banks and property firms), headline forms
  ("T at C", "T | C | tail", "T @ C", "T, C", the title alone, a bare slogan) with tails;
* 20,000 name combinations, 60 locations.

A 50,000-follower page is ~150 MB. Generated in memory (``make_page``) or written to a file::

    python benchmarks/follower_pages.py 50000 /tmp/followers-50k.html [--seed 7]

Nothing generated here is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import importlib.util
import itertools
import random
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SENIORITY_IC = ("", "Senior", "Junior", "Lead", "Principal", "Staff", "Associate")
SENIORITY_MGR = ("", "Senior", "Assistant", "Regional", "Global", "Associate")
#: function -> role nouns that go with it (individual contributors, then managers)
FUNCTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_BUSINESS_IC = ("Analyst", "Specialist", "Consultant", "Coordinator", "Associate", "Advisor")
_BUSINESS_MGR = ("Manager", "Director", "Lead", "Partner")
_TECH_IC = ("Engineer", "Developer", "Architect", "Scientist", "Analyst", "Consultant")
_TECH_MGR = ("Manager", "Director", "Lead")
for _f in ("Finance", "Financial", "Accounting", "FP&A", "Treasury", "Tax", "Audit", "Internal Audit",
           "Marketing", "Growth Marketing", "Brand", "Content", "Product Marketing", "Digital Marketing",
           "Performance Marketing", "Sales", "Business Development", "Partnerships", "Channel Sales",
           "Customer Success", "Account", "Operations", "Supply Chain", "Procurement", "Logistics",
           "HR", "People", "Talent Acquisition", "Recruitment", "Learning and Development", "Payroll",
           "Compensation and Benefits", "Legal", "Compliance", "Risk", "Credit Risk", "Strategy",
           "Corporate Development", "Investor Relations", "Communications", "Public Relations",
           "Events", "Community", "Revenue Operations", "Sales Operations", "Pricing", "Category",
           "E-commerce", "Retail", "Merchandising", "Facilities", "Project", "Program", "Change",
           "Transformation", "Quality", "Regulatory Affairs", "Clinical Operations", "Medical Affairs",
           "Customer Support", "Customer Experience", "Office", "Administration", "Research",
           "Insights", "Investment", "Portfolio", "Wealth", "Real Estate", "Construction", "Property",
           "Energy", "Sustainability", "ESG", "Policy", "Fundraising", "Grants", "Education",
           "Training", "Editorial", "Creative", "Art", "Design", "UX", "Product Design", "Brand Design"):
    FUNCTIONS[_f] = (_BUSINESS_IC, _BUSINESS_MGR)
for _f in ("Software", "Software Development", "Data", "Data Science", "Machine Learning", "AI",
           "Infrastructure", "Cloud", "DevOps", "Site Reliability", "Security", "Cyber Security",
           "IT", "Network", "Systems", "Platform", "Mobile", "iOS", "Android", "Frontend", "Backend",
           "Full Stack", "QA", "Test", "Embedded Systems", "Hardware", "Electrical", "Mechanical",
           "Civil", "Chemical", "Process", "Manufacturing", "Robotics", "Firmware", "Solutions",
           "Sales", "Pre-Sales", "Analytics", "Business Intelligence", "Database", "Payments",
           "Blockchain", "Game", "Graphics", "Computer Vision", "NLP", "Research", "Biomedical"):
    ic, mgr = FUNCTIONS.get(_f, ((), ()))
    FUNCTIONS[_f] = (tuple(dict.fromkeys(ic + _TECH_IC)), tuple(dict.fromkeys(mgr + _TECH_MGR)))
#: functions that take "Head of", "VP", "Director of", "Chief ... Officer"
EXEC_FUNCTIONS = ("Finance", "Marketing", "Sales", "Operations", "Engineering", "Product", "Data",
                  "People", "HR", "Growth", "Revenue", "Technology", "Strategy", "Legal",
                  "Customer Success", "Partnerships", "Business Development", "Talent", "Design",
                  "Security", "Information", "Commercial", "Procurement", "Supply Chain", "Risk",
                  "Compliance", "Communications", "Brand", "Content", "Research", "Analytics",
                  "Infrastructure", "Platform", "IT", "Investor Relations", "Corporate Development",
                  "FP&A", "Accounting", "Tax", "Treasury", "Audit", "Quality", "Manufacturing",
                  "Clinical Operations", "Medical Affairs", "Regulatory Affairs", "Sustainability")
CHIEF = ("Financial", "Executive", "Operating", "Technology", "Marketing", "Revenue", "Product",
         "People", "Information", "Information Security", "Data", "Commercial", "Growth",
         "Customer", "Strategy", "Legal", "Risk", "Compliance", "Medical", "Scientific",
         "Sustainability", "Digital", "Transformation", "Business", "Investment", "Experience")
STANDALONE = ("Founder", "Co-Founder", "Founder & CEO", "Co-Founder & CTO", "Co-founder and COO",
              "CEO", "CFO", "COO", "CTO", "CMO", "CRO", "CPO", "CIO", "CISO", "CHRO", "President",
              "Owner", "Managing Director", "Partner", "Managing Partner", "General Partner",
              "Board Member", "Non-Executive Director", "Chairman", "Investor", "Angel Investor",
              "Advisor", "Fractional CFO", "Fractional CMO", "Interim CFO", "Entrepreneur",
              "Freelance Designer", "Freelance Writer", "Freelance Consultant", "Independent Consultant",
              "Self-employed", "Student", "MBA Candidate", "PhD Candidate", "Graduate Student",
              "Intern", "Marketing Intern", "Finance Intern", "Software Engineering Intern",
              "Retired", "Recruiter", "Technical Recruiter", "Executive Recruiter", "Headhunter",
              "Accountant", "Chartered Accountant", "CPA", "Bookkeeper", "Controller",
              "Financial Controller", "Comptroller", "Treasurer", "Auditor", "Actuary",
              "Software Engineer", "Product Manager", "Product Owner", "Scrum Master", "Data Scientist",
              "UX Designer", "Graphic Designer", "Copywriter", "Journalist", "Editor", "Photographer",
              "Teacher", "Lecturer", "Professor", "Assistant Professor", "Research Fellow",
              "Registered Nurse", "Nurse Practitioner", "Physician", "Surgeon", "Pharmacist",
              "Dentist", "Veterinarian", "Physiotherapist", "Psychologist", "Attorney", "Lawyer",
              "Solicitor", "Paralegal", "Architect", "Civil Engineer", "Electrician", "Plumber",
              "Chef", "Sommelier", "Pilot", "Flight Attendant", "Real Estate Agent", "Realtor",
              "Mortgage Broker", "Insurance Broker", "Financial Advisor", "Wealth Manager",
              "Investment Banker", "Equity Research Analyst", "Trader", "Portfolio Manager",
              "Executive Assistant", "Personal Assistant", "Office Manager", "Receptionist",
              "Store Manager", "Sales Associate", "Cashier", "Barista", "Driver", "Warehouse Associate",
              "Customer Service Representative", "Call Center Agent", "Virtual Assistant",
              "Social Media Manager", "Community Manager", "Content Creator", "Influencer",
              "Podcast Host", "Author", "Speaker", "Coach", "Executive Coach", "Career Coach",
              "Life Coach", "Mentor", "Volunteer", "Open to work", "Looking for new opportunities")


@lru_cache(maxsize=1)
def title_vocabulary() -> tuple[str, ...]:
    """About 9,000 distinct job titles, in a fixed pseudo-random order (the order sets their
    Zipf rank in :func:`make_people`)."""
    out: list[str] = list(STANDALONE)
    for func, (ics, mgrs) in FUNCTIONS.items():
        for sen, noun in itertools.product(SENIORITY_IC, ics):
            out.append(" ".join(x for x in (sen, func, noun) if x))
        for sen, noun in itertools.product(SENIORITY_MGR, mgrs):
            out.append(" ".join(x for x in (sen, func, noun) if x))
    for func in EXEC_FUNCTIONS:
        out += [f"Head of {func}", f"VP {func}", f"VP of {func}", f"SVP {func}", f"Director of {func}",
                f"{func} Director", f"Global Head of {func}", f"Senior Director, {func}", f"Director, {func}"]
    out += [f"Chief {c} Officer" for c in CHIEF]
    uniq = list(dict.fromkeys(out))
    random.Random(20261).shuffle(uniq)
    return tuple(uniq)


FIRST = ("Ada", "Bruno", "Céline", "Dmitri", "Elif", "Farah", "Gustavo", "Hiroko", "Ivo", "Jana", "Kwame",
         "Lotte", "Marek", "Nadia", "Osman", "Pilar", "Quentin", "Rhea", "Stellan", "Tuva", "Amara", "Bilal",
         "Chiara", "Diego", "Esther", "Femi", "Greta", "Hamza", "Ines", "Jonas", "Keiko", "Leila", "Mateo",
         "Noor", "Oskar", "Priya", "Rafael", "Sanne", "Tomasz", "Uma", "Viktor", "Wen", "Ximena", "Yusuf",
         "Zofia", "Aiden", "Beatriz", "Camille", "Dario", "Emeka", "Freya", "Goran", "Hana", "Ismael",
         "Jade", "Kofi", "Luca", "Mei", "Nils", "Olga", "Pavel", "Rosa", "Sami", "Thandiwe", "Ulla",
         "Valentina", "William", "Yara", "Zainab", "Arjun", "Björn", "Clara", "Daniel", "Eva", "Filip",
         "Grace", "Henrik", "Isabel", "Jakub", "Kira", "Liam", "Maya", "Nikolai", "Olivia", "Pedro",
         "Quinn", "Rui", "Sofia", "Tariq", "Vera", "Wojciech", "Xavier", "Yasmin", "Zeynep", "Anouk",
         "Bram", "Cem", "Dalia", "Erik", "Fatou")
LAST = ("Abernethy", "Bjørnstad", "Castellanos", "Dunmore", "Eklund", "Fairbairn", "Gallo", "Hollis",
        "Iversen", "Jovanović", "Kerrigan", "Laurent", "Mbeki", "Nakamura", "Ortega", "Petrov", "Quispe",
        "Rossi", "Schmidt", "Tanaka", "Ulrich", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Adeyemi",
        "Brennan", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ibrahim", "Jansen",
        "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Popescu", "Quinlan", "Romano", "Sato",
        "Teixeira", "Underwood", "Vasquez", "Weber", "Yamamoto", "Zielinski", "Ahmed", "Bauer", "Chen",
        "Dimitrov", "Esposito", "Fernandes", "Gomez", "Horvath", "Ivanova", "Jensen", "Kim", "Lopez",
        "Müller", "Nguyen", "Olsen", "Park", "Ramos", "Singh", "Torres", "Urban", "Vogel", "Wang",
        "Young", "Zimmermann", "Alvarez", "Berg", "Carter", "Diaz", "Evans", "Fontaine", "Gunawardena",
        "Hughes", "Ito", "Johansson", "Kaur", "Lee", "Martin", "Nielsen", "O'Brien", "Patel", "Reyes",
        "Silva", "Thompson", "Ueda", "Valdez", "Wright", "Yadav", "Zapata", "Achterberg", "Balogun")
WORDS = ("Amber", "Birch", "Cobalt", "Dune", "Ember", "Fable", "Garnet", "Harbor", "Iris", "Juniper",
         "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pylon", "Quarry", "Rowan", "Sable", "Tidal",
         "Umber", "Vantage", "Willow", "Xylo", "Yarrow", "Zephyr", "Aster", "Brook", "Cinder", "Delta",
         "Echo", "Flint", "Glade", "Heron", "Indigo", "Jasper", "Kite", "Larch", "Meridian", "North",
         "Oak", "Pine", "Quill", "Ridge", "Slate", "Thistle", "Upland", "Vale", "Wren", "Yew", "Zenith",
         "Atlas", "Beacon", "Crest", "Drift", "Elm", "Fern", "Granite", "Hollow", "Ivory")
SUFFIX = ("works", "labs", "line", " Systems", " Group", " & Co", " Partners", "field", " Analytics",
          " Health", " Software", " Bank", " Capital", " Properties", " Logistics", " Foods", " Media",
          " Consulting", " Studio", " Energy", " Robotics", " Pharma", " Insurance", " Realty", " Retail",
          " Motors", " Legal", " Academy", " Ventures", " AI", " Cloud", " Security", "ly", "hub",
          " Technologies", " Solutions", " Holdings", " Foundation", " University", " Hospital")
TAILS = ("", "", "", "", " | Board advisor", " | ex-Big4", " | Mentor", " | Speaker", " 🚀", " | MBA",
         " | Helping SaaS founders scale", " | Ex-Google", " | CPA", " | Angel investor", " | Dad of 3",
         " | Building the future of work", " | Opinions my own", " | Hiring!", " | PhD", " | Climate tech")
SLOGANS = ("Helping founders grow", "Passionate about people and technology", "Building things on the internet",
           "Lifelong learner", "Making data useful", "Connecting talent with opportunity", "--", "")
CITIES = ("Oslo, Norway", "Porto, Portugal", "Austin, Texas, United States", "Kraków, Poland",
          "Nairobi County, Kenya", "Greater Sydney Area", "London, England, United Kingdom", "Berlin, Germany",
          "Paris, Île-de-France, France", "Madrid, Community of Madrid, Spain", "Milan, Lombardy, Italy",
          "Amsterdam, North Holland, Netherlands", "Stockholm, Sweden", "Copenhagen, Denmark", "Helsinki, Finland",
          "Dublin, County Dublin, Ireland", "Zurich, Switzerland", "Vienna, Austria", "Prague, Czechia",
          "Warsaw, Mazowieckie, Poland", "Lisbon, Portugal", "Athens, Greece", "Istanbul, Türkiye",
          "Dubai, United Arab Emirates", "Mumbai, Maharashtra, India", "Bengaluru, Karnataka, India",
          "Singapore", "Tokyo, Japan", "Seoul, South Korea", "Shanghai, China", "Hong Kong SAR",
          "Toronto, Ontario, Canada", "Vancouver, British Columbia, Canada", "New York, New York, United States",
          "San Francisco Bay Area", "Greater Boston", "Chicago, Illinois, United States", "Seattle, Washington, United States",
          "Los Angeles Metropolitan Area", "Miami, Florida, United States", "Denver, Colorado, United States",
          "Atlanta, Georgia, United States", "Mexico City, Mexico", "São Paulo, Brazil", "Buenos Aires, Argentina",
          "Bogotá, D.C., Capital District, Colombia", "Santiago Metropolitan Region, Chile", "Lima, Peru",
          "Cape Town, Western Cape, South Africa", "Johannesburg, Gauteng, South Africa", "Lagos State, Nigeria",
          "Accra, Greater Accra Region, Ghana", "Cairo, Egypt", "Casablanca, Morocco", "Tel Aviv, Israel",
          "Auckland, New Zealand", "Melbourne, Victoria, Australia", "Manila, Philippines", "Jakarta, Indonesia",
          "United States")


def _headline(title: str, company: str, rng: random.Random) -> str:
    form = rng.randrange(12)
    if title in ("Student", "Graduate Student", "MBA Candidate", "PhD Candidate"):
        return f"{title} at University of {rng.choice(WORDS)}{rng.choice(('', ' | Economics', ' | Open to internships'))}"
    if title in ("Retired", "Open to work", "Looking for new opportunities", "Self-employed"):
        return title + rng.choice(("", " | Former " + rng.choice(title_vocabulary()[:400])))
    if form <= 3:
        return f"{title} at {company}{rng.choice(TAILS)}"
    if form <= 5:
        return f"{title} | {company}{rng.choice(TAILS)}"
    if form == 6:
        return f"{title} @ {company}"
    if form == 7:
        return f"{title}, {company}"
    if form == 8:
        return f"{rng.choice(SLOGANS) or 'Helping teams win'} | {title} at {company}"
    if form == 9:
        return title
    if form == 10:
        return f"{title} — {company} | {rng.choice(title_vocabulary()[:2000])}"
    return rng.choice(SLOGANS)


def make_people(n: int, seed: int = 7) -> list[tuple[str, str, str, str, str]]:
    """``n`` invented followers ``(first, last, vanity, headline, location)`` (unique vanities)."""
    rng = random.Random(seed)
    vocab = title_vocabulary()
    # Zipf-like: weight 1 / (rank + 10); the 1,000 most common titles cover about 60 % of people
    weights = list(itertools.accumulate(1.0 / (r + 10) for r in range(len(vocab))))
    companies = [w + s for w in WORDS for s in SUFFIX]
    titles = rng.choices(vocab, cum_weights=weights, k=n)
    people = []
    for i, title in enumerate(titles):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        vanity = f"{first.lower()}-{last.lower()}-{i:x}".replace("'", "")
        people.append((first, last, vanity, _headline(title, rng.choice(companies), rng), rng.choice(CITIES)))
    return people


@lru_cache(maxsize=1)
def _generator():
    path = ROOT / "tests" / "fixtures" / "ui" / "make_followers_page.py"
    spec = importlib.util.spec_from_file_location("make_followers_page", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_page(n: int, seed: int = 7) -> bytes:
    """A saved G2 followers page (UTF-8 bytes, ~3 kB per follower) with ``n`` followers of
    :func:`make_people`, through the fixture generator's template."""
    gen = _generator()
    people = make_people(n, seed)
    cards = []
    for k, (first, last, vanity, headline, location) in enumerate(people):
        pid = gen.profile_id(vanity)
        href = f"https://www.linkedin.com/in/{vanity}?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A{pid}"
        member = int(hashlib.md5(vanity.encode()).hexdigest()[:8], 16)
        cards.append(gen.CARD.format(member=member, href=html.escape(href), n=k,
                                     name=html.escape(f"{first} {last}"), headline=html.escape(headline),
                                     location=html.escape(location)))
    saved, gen.PEOPLE = gen.PEOPLE, []
    try:
        shell = gen.build()  # the page chrome around an empty list
    finally:
        gen.PEOPLE = saved
    marker = '<ul class="reusable-search__entity-result-list list-style-none" role="list">\n'
    head, tail = shell.split(marker, 1)
    header_count = "0 people are following you"
    head = head.replace(header_count, f"{n:,} people are following you")
    return (head + marker + "".join(cards) + tail).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a generated followers page.")
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    data = make_page(args.n, args.seed)
    args.out.write_bytes(data)
    print(f"wrote {args.out}: {args.n:,} followers, {len(data) / 1e6:.1f} MB, "
          f"{len(title_vocabulary()):,} titles in the vocabulary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
