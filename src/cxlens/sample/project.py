"""Write the sample project folder: the company's exports, a README and cxlens.toml."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from cxlens.errors import ConfigError
from cxlens.sample import timeline
from cxlens.sample.generate import SampleData, generate

logger = logging.getLogger(__name__)

COMPANY = "Hearthwell Home Appliances (暖井家电)"
WAREHOUSE = "cxlens.duckdb"
CSV_FILES = {  # table → path; all with canonical headers
    "customers": "exports/customers.csv",
    "orders": "exports/orders.csv",
    "order_lines": "exports/order_lines.csv",
    "tickets": "exports/tickets.csv",
    "ticket_events": "exports/ticket_events.csv",
    "survey_responses": "exports/survey_responses.csv",
    "subscriptions": "exports/subscriptions.csv",
}
AGENTS_FILE, AGENTS_SHEET = "exports/agents.xlsx", "Agents"
WRITTEN = ("cxlens.toml", "README.md", *CSV_FILES.values(), AGENTS_FILE)
# Copies of the public data that earlier versions of the sample wrote beside the exports;
# --force removes them so that an old demo folder holds one company only.
FORMERLY_WRITTEN = (
    "bundled/telco_customer_churn_ibm.csv",
    "bundled/cdnow_master.txt",
    "bundled/README.md",
)
WAREHOUSE_FILES = (WAREHOUSE, f"{WAREHOUSE}.wal")


def write_sample_project(folder: Path, seed: int = 7, force: bool = False) -> Path:
    """Write a ready-to-run sample project into ``folder``; return its ``cxlens.toml``.

    The folder holds one fictional retailer's exports, generated from ``seed`` (the
    same seed gives byte-identical files; order rhythms and care plans are drawn from
    the CDNOW and Telco data in :mod:`cxlens.datasets`), and the settings that list
    them. An existing, non-empty folder is refused unless ``force`` is set; then the
    files the sample writes (and wrote in earlier versions) are replaced and the
    configured warehouse is deleted, and any other file in the folder is left alone.
    """
    folder = Path(folder)
    _check_folder(folder, force)
    data = generate(seed)
    logger.info("writing the sample project (seed %d) into %s", seed, folder)

    (folder / "exports").mkdir(parents=True, exist_ok=True)
    _write_exports(folder, data)
    (folder / "README.md").write_text(_readme(seed), encoding="utf-8")
    config = folder / "cxlens.toml"
    config.write_text(settings_text(), encoding="utf-8")
    return config


def _check_folder(folder: Path, force: bool) -> None:
    """Refuse to mix the sample into a folder in use; with ``force``, clear our files."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file; give a folder for the sample project")
    if not folder.exists() or not any(folder.iterdir()):
        return
    if not force:
        raise ConfigError(
            f"{folder} already exists and is not empty; pass --force to replace the "
            "sample's files in it (other files are kept), or choose an empty folder"
        )
    for name in (*WAREHOUSE_FILES, *WRITTEN, *FORMERLY_WRITTEN):
        target = folder / name
        if target.is_file():
            target.unlink()
            logger.debug("removed %s", target)
    bundled = folder / "bundled"
    if bundled.is_dir() and not any(bundled.iterdir()):
        bundled.rmdir()


def _write_exports(folder: Path, data: SampleData) -> None:
    """CSV files as the helpdesk and shop write them; the agents as an Excel workbook.

    The ticket export is UTF-8 with a byte-order mark and CRLF line ends, as Excel
    saves "CSV UTF-8"; the others are plain UTF-8.
    """
    for table, relative in CSV_FILES.items():
        frame = getattr(data, table)
        excel = table == "tickets"
        frame.to_csv(
            folder / relative,
            index=False,
            encoding="utf-8-sig" if excel else "utf-8",
            lineterminator="\r\n" if excel else "\n",
        )
    _write_agents(folder / AGENTS_FILE, data)


def _write_agents(path: Path, data: SampleData) -> None:
    """The agent list as an HR workbook: sheet "Agents", hire dates as Excel dates."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": "Agents", "created": datetime(2025, 7, 1)})
    sheet = workbook.add_worksheet(AGENTS_SHEET)
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    columns = list(data.agents.columns)
    sheet.write_row(0, 0, columns)
    for row, record in enumerate(data.agents.itertuples(index=False), start=1):
        sheet.write_row(row, 0, record[:-1])
        sheet.write_datetime(row, len(columns) - 1, record[-1].to_pydatetime(), date)
    sheet.set_column(0, len(columns) - 1, 18)
    workbook.close()


def settings_text() -> str:
    """The sample's cxlens.toml: Shanghai time, English report, CNY, every file listed."""
    weekdays = [(day, timeline.WEEKDAY_HOURS) for day in ("mon", "tue", "wed", "thu", "fri")]
    weekend = [(day, timeline.WEEKEND_HOURS) for day in ("sat", "sun")]
    hours = "\n".join(f'{day} = ["{_span(span)}"]' for day, span in weekdays + weekend)
    holidays = ", ".join(f'"{day}"' for day in timeline.CLOSED_DAYS)
    sources = "\n".join(
        f'[[sources]]\ntable = "{table}"\npath = "{path}"\ntimezone = "Asia/Shanghai"\n'
        for table, path in CSV_FILES.items()
    )
    return SETTINGS_TEMPLATE.format(
        company=COMPANY,
        warehouse=WAREHOUSE,
        hours=hours,
        holidays=holidays,
        sources=sources,
        agents=AGENTS_FILE,
        sheet=AGENTS_SHEET,
    )


def _span(hours: tuple[int, int]) -> str:
    return f"{hours[0]:02d}:00-{hours[1]:02d}:00"


SETTINGS_TEMPLATE = """\
# cxlens sample project: {company}, a fictional online home-appliance
# retailer selling across China, with a bilingual (Chinese/English) service desk.
# Written by `cxlens sample`; see docs/sample-data.md for what the data contains.

[project]
timezone = "Asia/Shanghai"
language = "en"                 # "zh" for the report in Chinese
currency = "CNY"
warehouse = "{warehouse}"

[business_hours]                # the service desk's opening hours (local)
{hours}
holidays = [{holidays}]

[sla]
first_response = "24h"            # the default target; urgent tickets below
next_response = "8h"
resolution = "72h"
business_hours = false

[sla.priority.urgent]
first_response = "1h"

[csat]
satisfied_from = 4

[churn]
window_days = 90

[clv]
time_unit = "week"
horizon_months = 12
annual_discount_rate = 0.10

# Retention offers for `cxlens targets --budget B`: a call from the care team (about
# ten minutes of an agent's time) or a coupon by text message; the save rates are the
# company's guesses until a campaign measures them.
[[targets.actions]]
name = "call"
cost = 5.0
save_rate = 0.25

[[targets.actions]]
name = "coupon"
cost = 1.0
save_rate = 0.06

# The company's exports: canonical headers, naive local times in Shanghai. Churn is
# the care plan's (subscriptions); lifetime value comes from the orders.
{sources}
[[sources]]
table = "agents"
path = "{agents}"
sheet = "{sheet}"
"""


def _readme(seed: int) -> str:
    return README_TEMPLATE.format(company=COMPANY, seed=seed)


README_TEMPLATE = """\
# cxlens sample project

{company} is a fictional online retailer of home appliances that sells across
China, sells an appliance care plan and runs a bilingual service desk. This
folder holds its exports from 2024-01-01 to 2025-06-30, generated by
`cxlens sample` with seed {seed}:

- `exports/` — customers, orders and their lines, care-plan subscriptions,
  tickets, ticket events and survey responses (CSV) and the agent list (Excel,
  sheet "Agents").

The company is invented, but its customers buy to the rhythm of real CDNOW
customers and its care plans are held and cancelled like IBM's Telco sample's
contracts (both bundled with cxlens; see docs/sample-data.md in cxlens).

Run `cxlens run --config cxlens.toml` to import, clean and report.
"""
