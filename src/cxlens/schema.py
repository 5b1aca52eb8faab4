"""The canonical tables of the data contract (SCHEMA.md) and their column types.

Every import maps onto these tables; every metric reads from them. Types are the
warehouse types: ``string``, ``timestamp`` (UTC), ``float``, ``int``, ``bool`` and
``json`` (the ``attributes`` bag for columns the contract does not name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STRING, TIMESTAMP, FLOAT, INT, BOOL, JSON = "string", "timestamp", "float", "int", "bool", "json"

DUCKDB_TYPES = {
    STRING: "VARCHAR",
    TIMESTAMP: "TIMESTAMP",
    FLOAT: "DOUBLE",
    INT: "BIGINT",
    BOOL: "BOOLEAN",
    JSON: "JSON",
}


@dataclass(frozen=True)
class Column:
    """One canonical column: its type, whether a file must give it, and its allowed values."""

    name: str
    type: str = STRING
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One canonical table: its key and its columns in contract order."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""
    column_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_by_name", {c.name: c for c in self.columns})

    @property
    def required(self) -> list[str]:
        """Columns every file for this table must give (the key among them)."""
        return [c.name for c in self.columns if c.required or c.name in self.key]

    @property
    def timestamps(self) -> list[str]:
        return [c.name for c in self.columns if c.type == TIMESTAMP]

    def column(self, name: str) -> Column:
        return self.column_by_name[name]


def _c(name: str, type_: str = STRING, required: bool = False, choices=(), description=""):
    return Column(name, type_, required, tuple(choices), description)


TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
CHANNELS = (
    "email",
    "phone",
    "chat",
    "web",
    "wechat",
    "weibo",
    "social",
    "help_center",
    "api",
    "manual",
    "feedback_widget",
    "sms",
    "other",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            ("customer_id",),
            (
                _c("customer_id", required=True),
                _c("created_at", TIMESTAMP),
                _c("name"),
                _c("email"),
                _c("phone"),
                _c("gender"),
                _c("age", INT),
                _c("region"),
                _c("segment"),
                _c("attributes", JSON),
            ),
            "People or companies the service serves.",
        ),
        Table(
            "orders",
            ("order_id",),
            (
                _c("order_id", required=True),
                _c("customer_id", required=True),
                _c("ordered_at", TIMESTAMP, required=True),
                _c("amount", FLOAT, required=True),
                _c("currency"),
                _c("status", choices=("completed", "refunded", "cancelled")),
                _c("attributes", JSON),
            ),
            "Purchases, for RFM, churn windows and lifetime value.",
        ),
        Table(
            "order_lines",
            ("order_id", "line_no"),
            (
                _c("order_id", required=True),
                _c("line_no", INT, required=True),
                _c("product_id"),
                _c("product_name"),
                _c("quantity", FLOAT),
                _c("unit_price", FLOAT),
                _c("attributes", JSON),
            ),
        ),
        Table(
            "tickets",
            ("ticket_id",),
            (
                _c("ticket_id", required=True),
                _c("created_at", TIMESTAMP, required=True),
                _c("customer_id"),
                _c("channel"),
                _c("category"),
                _c("priority"),
                _c("status"),
                _c("agent_id"),
                _c("team"),
                _c("created_by", choices=("customer", "agent", "system")),
                _c("first_response_at", TIMESTAMP),
                _c("first_solved_at", TIMESTAMP),
                _c("solved_at", TIMESTAMP),
                _c("closed_at", TIMESTAMP),
                _c("reopens", INT),
                _c("agent_replies", INT),
                _c("customer_contacts", INT),
                _c("merged_into"),
                _c("first_response_minutes", FLOAT),
                _c("resolution_minutes", FLOAT),
                _c("answered", BOOL),
                _c("attributes", JSON),
            ),
            "Helpdesk tickets and calls.",
        ),
        Table(
            "ticket_events",
            ("ticket_id", "at", "seq"),
            (
                _c("ticket_id", required=True),
                _c("at", TIMESTAMP, required=True),
                _c("seq", INT, required=True),
                _c("actor", required=True, choices=("customer", "agent", "bot", "system")),
                _c("actor_id"),
                _c("kind", required=True, choices=("message", "note", "status", "assign", "merge")),
                _c("public", BOOL),
                _c("status_to"),
                _c("attributes", JSON),
            ),
            "Who did what when on a ticket.",
        ),
        Table(
            "survey_responses",
            ("response_id",),
            (
                _c("response_id", required=True),
                _c("kind", required=True, choices=("csat", "nps", "ces")),
                _c("score", FLOAT, required=True),
                _c("scale_min", FLOAT),
                _c("scale_max", FLOAT),
                _c("customer_id"),
                _c("ticket_id"),
                _c("agent_id"),
                _c("channel"),
                _c("responded_at", TIMESTAMP, required=True),
                _c("comment"),
                _c("sent_at", TIMESTAMP, description="when the survey was sent, where known"),
                _c("attributes", JSON),
            ),
            "CSAT, NPS and CES answers.",
        ),
        Table(
            "comments",
            ("comment_id",),
            (
                _c("comment_id", required=True),
                _c("text", required=True),
                _c("source"),
                _c("customer_id"),
                _c("posted_at", TIMESTAMP),
                _c("rating", FLOAT),
                _c("language"),
                _c("attributes", JSON),
            ),
            "Reviews and social posts.",
        ),
        Table(
            "agents",
            ("agent_id",),
            (
                _c("agent_id", required=True),
                _c("name"),
                _c("team"),
                _c("hired_at", TIMESTAMP),
                _c("attributes", JSON),
            ),
        ),
        Table(
            "subscriptions",
            ("subscription_id",),
            (
                _c("subscription_id", required=True),
                _c("customer_id", required=True),
                _c("started_at", TIMESTAMP, required=True),
                _c("ended_at", TIMESTAMP),
                _c("plan"),
                _c("mrr", FLOAT),
                _c("attributes", JSON),
            ),
            "Contracts, for contractual churn.",
        ),
    )
}

# Default survey scales by kind (SCHEMA.md): CSAT 1–5, NPS 0–10, CES 1–7.
DEFAULT_SCALES: dict[str, tuple[float, float]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def table(name: str) -> Table:
    """The canonical table called ``name``; a clear error for anything else."""
    from cxlens.errors import ConfigError

    try:
        return TABLES[name]
    except KeyError:
        raise ConfigError(f"unknown table {name!r}; the tables are: {', '.join(TABLES)}") from None


def local_column(timestamp_column: str) -> str:
    """Name of the local wall-clock twin of a UTC timestamp column (``created_at_local``)."""
    return f"{timestamp_column}_local"
