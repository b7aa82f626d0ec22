"""Word lists the random builder draws names from (fixed, so output depends on the seed only)."""

from __future__ import annotations

FIRST_NAMES = (
    "Ana",
    "Bo",
    "Chen",
    "Dara",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Carmen",
    "Diego",
)

LAST_NAMES = (
    "Ruiz",
    "Li",
    "Wu",
    "Okafor",
    "Demir",
    "Haddad",
    "Petrov",
    "Sato",
    "Costa",
    "Berg",
    "Mensah",
    "Novak",
    "Silva",
    "Adeyemi",
    "Khan",
    "Patel",
    "Lee",
    "Moreau",
    "Larsen",
    "Aziz",
    "Iyer",
    "Horvat",
    "Zhang",
    "Flores",
    "Yilmaz",
    "Nakamura",
    "Rossi",
    "Fischer",
)

COMPANY_WORDS = (
    "Acme",
    "Apex",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orion",
    "Pine",
    "Quartz",
    "River",
    "Summit",
    "Tidal",
    "Umber",
    "Vertex",
    "Willow",
    "Zenith",
)

COMPANY_KINDS = (
    "Traders",
    "Systems",
    "Health",
    "Logistics",
    "Foods",
    "Energy",
    "Retail",
    "Labs",
    "Insurance",
    "Media",
)

COMPANY_SUFFIXES = ("Inc.", "LLC", "GmbH", "Ltd", "KK", "S.A.", "Group", "Corp.")

TOPICS = (
    "Data platform",
    "ERP migration",
    "Support",
    "Analytics",
    "Mobile app",
    "Cloud migration",
    "Security audit",
    "CRM rollout",
    "Data warehouse",
    "Website relaunch",
    "API integration",
    "Billing revamp",
)

TASK_NAMES = (
    "Discovery",
    "Design",
    "Build",
    "Testing",
    "Deployment",
    "Support tickets",
    "Data migration",
    "Training",
)

MILESTONE_NAMES = ("Discovery and design", "Build", "User acceptance", "Go-live")

STEP_NAMES = ("preparation", "build", "review")
"""The tasks of a milestone that completes step by step (a `billing:partial` milestone)."""

DELIVERABLE_NAMES = ("Security report", "Architecture review", "Audit report", "Training day")

CHANGE_ORDER_NAMES = (
    "Extra language",
    "Extra data source",
    "Extra dashboards",
    "Additional integration",
    "Extended support",
    "Extra reports",
)

STREETS = (
    "Commerce Way",
    "Harbour Road",
    "Main Street",
    "Park Avenue",
    "Market Street",
    "Station Road",
    "Mill Lane",
    "King Street",
)

CITIES = {
    "USD": (
        ("Seattle", "WA", "98101", "US"),
        ("Portland", "ME", "04101", "US"),
        ("Austin", "TX", "78701", "US"),
        ("Denver", "CO", "80202", "US"),
        ("Chicago", "IL", "60601", "US"),
        ("Boston", "MA", "02108", "US"),
        ("Sunnyvale", "CA", "94086", "US"),
    ),
    "EUR": (
        ("Berlin", None, "10117", "DE"),
        ("Hamburg", None, "20095", "DE"),
        ("Paris", None, "75002", "FR"),
        ("Amsterdam", None, "1012 AB", "NL"),
        ("Madrid", None, "28013", "ES"),
    ),
    "JPY": (
        ("Tokyo", "Tokyo", "100-0005", "JP"),
        ("Osaka", "Osaka", "530-0001", "JP"),
    ),
}
"""(city, state, zip, country) by the client's currency."""

DESCRIPTIONS = (
    "Development",
    "Code review",
    "Client meeting",
    "Bug fixing",
    "Testing",
    "Documentation",
    "Deployment",
    "Planning",
    "Data modelling",
    "Internal review",
)
