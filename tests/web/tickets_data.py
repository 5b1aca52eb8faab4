"""A ten-ticket project written by hand for the tickets page's tests: which tickets sit
behind FCR and the backlog is worked out below from the rows, not from our code.

Times are UTC and the project's zone is UTC, so local days are the days written here.
Ticket 10 is merged into ticket 1 and counts nowhere. One category starts with "=" (a
formula in a spreadsheet) and another, with an agent's name, carries a script payload.
"""

from __future__ import annotations

from pathlib import Path

from conftest import Project
from cxlens.clean import clean_warehouse
from cxlens.ingest.importer import import_file
from cxlens.settings import Settings
from cxlens.store import Warehouse

FORMULA_CATEGORY = '=HYPERLINK("http://127.0.0.1/x","x")'
SCRIPT_CATEGORY = "<script>window.__xss = 1</script>"
SCRIPT_AGENT = '<img src=x onerror="window.__xss = 2">'

TICKETS = """\
ticket_id,created_at,channel,category,priority,status,agent_id,team,first_response_at,solved_at,reopens,agent_replies,customer_contacts,merged_into
T01,2024-03-01 09:00:00,email,billing,normal,solved,A1,Desk,2024-03-01 10:00:00,2024-03-01 12:00:00,0,1,,
T02,2024-03-02 09:00:00,chat,billing,normal,closed,A2,Desk,2024-03-02 09:30:00,2024-03-03 10:00:00,1,1,,
T03,2024-03-03 09:00:00,email,{formula},normal,solved,A1,Desk,2024-03-03 11:00:00,2024-03-05 09:00:00,0,3,,
T04,2024-03-04 09:00:00,email,billing,high,open,A2,Desk,,,0,0,,
T05,2024-03-05 09:00:00,phone,{script},normal,pending,A1,Desk,2024-03-05 09:10:00,,0,1,,
T06,2024-02-28 09:00:00,email,delivery,normal,solved,A2,Desk,2024-02-28 10:00:00,2024-03-02 09:00:00,0,1,1,
T07,2024-03-06 09:00:00,email,delivery,normal,open,A1,Desk,2024-03-06 10:00:00,,1,2,,
T08,2024-03-10 09:00:00,chat,delivery,normal,solved,A2,Desk,2024-03-10 10:00:00,2024-04-02 09:00:00,0,1,,
T09,2024-03-11 09:00:00,email,delivery,normal,solved,A1,Desk,,2024-03-12 09:00:00,0,,,
T10,2024-03-12 09:00:00,email,billing,normal,closed,A1,Desk,,2024-03-12 10:00:00,0,1,,T01
"""
AGENTS = 'agent_id,name,team\nA1,"{script}",Desk\nA2,Wang Fang,Desk\n'

# Worked out from the rows above. March 2024, all channels:
# solved now and solved in March: T01, T02, T03, T06, T09 (T07 reopened and open with no
# solve time, T08 solved in April, T10 merged); of those, replies or contacts known: T01, T02, T03, T06 (T09 has
# neither) = FCR's records; resolved at first contact (no reopen, at most one reply or
# contact): T01 and T06 (T02 reopened, T03 three replies).
FCR_MARCH = {"T01", "T02", "T03", "T06"}
FCR_MARCH_YES = {"T01", "T06"}
# Open at the end of 31 March: created by then, not solved by then (T04, T05 never
# solved; T07 reopened and open; T08 solved on 2 April).
BACKLOG_MARCH = {"T04", "T05", "T07", "T08"}
# Open at the end of 29 February: only T06 existed, solved on 2 March.
BACKLOG_FEBRUARY = {"T06"}
# Email only, March.
FCR_MARCH_EMAIL = {"T01", "T03", "T06"}
BACKLOG_MARCH_EMAIL = {"T04", "T07"}


def hand_made_project(folder: Path) -> Project:
    """The ten tickets and two agents imported and cleaned into a new warehouse."""
    folder.mkdir(parents=True, exist_ok=True)
    tickets = folder / "tickets.csv"
    tickets.write_text(
        TICKETS.format(formula=_csv_cell(FORMULA_CATEGORY), script=_csv_cell(SCRIPT_CATEGORY)),
        encoding="utf-8",
    )
    agents = folder / "agents.csv"
    agents.write_text(AGENTS.format(script=SCRIPT_AGENT.replace('"', '""')), encoding="utf-8")
    settings = Settings(root=folder, timezone="UTC", warehouse="cxlens.duckdb")
    warehouse = Warehouse(folder / "cxlens.duckdb")
    import_file(warehouse, tickets, table="tickets", timezone="UTC")
    import_file(warehouse, agents, table="agents", timezone="UTC")
    clean_warehouse(warehouse, settings)
    return Project(settings, warehouse)


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
