"""The sample project behind `make demo`: deterministic, canonical, consistent, and dirty
in exactly the documented ways (docs/sample-data.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens import datasets
from cxlens.errors import ConfigError
from cxlens.sample import write_sample_project
from cxlens.schema import TABLES
from cxlens.settings import load_settings

CSV_TABLES = {
    "customers": "exports/customers.csv",
    "orders": "exports/orders.csv",
    "tickets": "exports/tickets.csv",
    "ticket_events": "exports/ticket_events.csv",
    "survey_responses": "exports/survey_responses.csv",
    "subscriptions": "exports/subscriptions.csv",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "demo"
    write_sample_project(folder, seed=7)
    return folder


@pytest.fixture(scope="module")
def tickets(folder) -> pd.DataFrame:
    return pd.read_csv(folder / CSV_TABLES["tickets"], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def latest_tickets(tickets) -> pd.DataFrame:
    """One row per ticket: the last delivered state, times parsed."""
    frame = tickets.drop_duplicates("ticket_id", keep="last").copy()
    for column in ("created_at", "first_response_at", "solved_at", "first_solved_at"):
        frame[column] = pd.to_datetime(frame[column].replace("", None))
    frame["first_response_min"] = (
        frame["first_response_at"] - frame["created_at"]
    ).dt.total_seconds() / 60
    return frame


@pytest.fixture(scope="module")
def events(folder) -> pd.DataFrame:
    return pd.read_csv(folder / CSV_TABLES["ticket_events"], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def surveys(folder) -> pd.DataFrame:
    frame = pd.read_csv(
        folder / CSV_TABLES["survey_responses"],
        dtype={"ticket_id": str, "customer_id": str, "comment": str},
    )
    frame["responded_at"] = pd.to_datetime(frame["responded_at"])
    return frame


@pytest.fixture(scope="module")
def orders(folder) -> pd.DataFrame:
    frame = pd.read_csv(folder / CSV_TABLES["orders"], dtype={"customer_id": str})
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    return frame


@pytest.fixture(scope="module")
def customers(folder) -> pd.DataFrame:
    frame = pd.read_csv(folder / CSV_TABLES["customers"], dtype={"customer_id": str})
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


@pytest.fixture(scope="module")
def subscriptions(folder) -> pd.DataFrame:
    frame = pd.read_csv(folder / CSV_TABLES["subscriptions"], dtype={"customer_id": str})
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


@pytest.fixture(scope="module")
def cdnow_days() -> pd.DataFrame:
    """CDNOW purchases merged per customer and day, as the sample uses them."""
    log = datasets.load_cdnow_master()
    return log.groupby(["customer_id", "date"], as_index=False)["dollar_value"].sum()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_writes_identical_bytes(folder, tmp_path):
    again = tmp_path / "again"
    write_sample_project(again, seed=7)
    assert _files(again) == _files(folder)


def test_other_seed_writes_other_data(folder, tmp_path):
    other = tmp_path / "other"
    write_sample_project(other, seed=8)
    for relative in CSV_TABLES.values():
        assert (other / relative).read_bytes() != (folder / relative).read_bytes()


@pytest.mark.parametrize("table", sorted(CSV_TABLES))
def test_csv_headers_are_the_tables_canonical_columns(folder, table):
    header = pd.read_csv(folder / CSV_TABLES[table], nrows=0, encoding="utf-8-sig").columns
    canonical = set(TABLES[table].column_by_name)
    assert set(header) <= canonical
    assert set(TABLES[table].required) <= set(header)


def test_agents_workbook_has_an_agents_sheet_with_canonical_headers(folder):
    agents = pd.read_excel(folder / "exports/agents.xlsx", sheet_name="Agents", engine="openpyxl")
    assert list(agents.columns) == ["agent_id", "name", "team", "hired_at"]
    assert len(agents) == 20
    assert agents["team"].nunique() == 4
    assert pd.api.types.is_datetime64_any_dtype(agents["hired_at"])


def test_ticket_export_is_utf8_with_bom_and_crlf_like_excel(folder):
    raw = (folder / CSV_TABLES["tickets"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfticket_id,")
    assert raw.count(b"\r\n") == raw.count(b"\n")


def test_settings_file_loads_and_lists_every_file_of_the_one_company(folder):
    settings = load_settings(folder / "cxlens.toml")
    assert (settings.timezone, settings.language, settings.currency) == (
        "Asia/Shanghai",
        "en",
        "CNY",
    )
    assert settings.warehouse == "cxlens.duckdb"
    assert settings.sla["priority"]["urgent"]["first_response"] == "1h"
    assert settings.churn["window_days"] == 90
    listed = {source.path: source for source in settings.sources}
    written = {p.resolve() for p in folder.rglob("*") if p.suffix in (".csv", ".txt", ".xlsx")}
    assert set(listed) == written
    by_name = {path.name: source for path, source in listed.items()}
    assert all(source.preset is None for source in settings.sources)  # no public data set
    assert by_name["subscriptions.csv"].table == "subscriptions"
    assert by_name["agents.xlsx"].sheet == "Agents"
    assert by_name["tickets.csv"].timezone == "Asia/Shanghai"
    assert not (folder / "bundled").exists()


def test_sample_size_fits_a_monthly_report(latest_tickets, folder, surveys):
    customers = pd.read_csv(folder / CSV_TABLES["customers"], dtype=str)
    orders = pd.read_csv(folder / CSV_TABLES["orders"], dtype=str)
    assert 9_900 <= len(customers) <= 10_200
    assert 12_000 <= len(orders) <= 18_000
    assert 20_000 <= len(latest_tickets) <= 30_000
    assert 7_000 <= len(surveys) <= 11_000
    months = latest_tickets["created_at"].dt.strftime("%Y-%m")
    assert (months.min(), months.max(), months.nunique()) == ("2024-01", "2025-06", 18)


def test_records_point_at_existing_records(folder, latest_tickets, events, surveys):
    customers = set(pd.read_csv(folder / CSV_TABLES["customers"], dtype=str)["customer_id"])
    orders = pd.read_csv(folder / CSV_TABLES["orders"], dtype=str)
    agents = pd.read_excel(folder / "exports/agents.xlsx", engine="openpyxl")["agent_id"]
    ticket_ids = set(latest_tickets["ticket_id"])

    assert set(orders["customer_id"]) <= customers
    subscriptions = pd.read_csv(folder / CSV_TABLES["subscriptions"], dtype=str)
    assert subscriptions["subscription_id"].is_unique
    assert set(subscriptions["customer_id"]) <= customers
    assert set(latest_tickets["customer_id"]) - {""} <= customers
    assert set(latest_tickets["agent_id"]) - {""} <= set(agents)
    assert set(surveys["ticket_id"].dropna()) <= ticket_ids
    assert set(surveys["customer_id"].dropna()) <= customers
    assert set(events["ticket_id"]) == ticket_ids
    merged = set(latest_tickets["merged_into"]) - {""}
    assert merged and merged <= ticket_ids


def test_first_response_is_the_first_public_human_reply(latest_tickets, events):
    # case FR-2 and FR-3: bot acknowledgements and internal notes come earlier and do not count
    human = events[(events["actor"] == "agent") & (events["kind"] == "message")]
    human = human[human["public"] == "true"]
    first = pd.to_datetime(human.groupby("ticket_id")["at"].min())
    expected = latest_tickets.set_index("ticket_id")["first_response_at"].dropna()
    assert first.reindex(expected.index).equals(expected)
    assert set(first.index) == set(expected.index)

    before = events.merge(latest_tickets[["ticket_id", "first_response_at"]], on="ticket_id")
    before = before[pd.to_datetime(before["at"]) < before["first_response_at"]]
    assert {"bot", "customer"} <= set(before.loc[before["public"] == "true", "actor"])
    assert (before.loc[before["actor"] == "agent", "kind"] == "note").all()


def test_reply_and_contact_counts_agree_with_the_events(latest_tickets, events):
    messages = events[(events["kind"] == "message") & (events["public"] == "true")]
    for column, actor in (("agent_replies", "agent"), ("customer_contacts", "customer")):
        counted = messages[messages["actor"] == actor].groupby("ticket_id").size()
        stated = latest_tickets.set_index("ticket_id")[column].astype(int)
        assert counted.reindex(stated.index, fill_value=0).equals(stated)


def test_event_keys_are_unique_and_sequences_count_from_one(events):
    assert not events.duplicated(["ticket_id", "at", "seq"]).any()
    seq = events["seq"].astype(int)
    assert (seq.groupby(events["ticket_id"]).min() == 1).all()
    assert (seq.groupby(events["ticket_id"]).max() == events.groupby("ticket_id").size()).all()
    assert set(events["actor"]) == {"customer", "agent", "bot", "system"}
    assert set(events["kind"]) == {"message", "note", "status", "assign", "merge"}


def test_ticket_export_carries_the_planted_faults(tickets):
    assert tickets.duplicated().sum() == 8  # exact duplicate rows
    exact = tickets.duplicated(keep=False)
    redelivered = tickets[tickets.duplicated("ticket_id", keep=False) & ~exact]
    states = redelivered.groupby("ticket_id")["status"].agg(list)
    assert len(states) == 12
    assert all(seen == ["open", "closed"] for seen in states)  # the later state comes last
    created = pd.to_datetime(tickets["created_at"])
    solved = pd.to_datetime(tickets["solved_at"].replace("", None))
    assert (solved < created).sum() == 6


def test_customers_include_the_same_people_written_differently(folder):
    customers = pd.read_csv(folder / CSV_TABLES["customers"], dtype=str)
    email = customers["email"].str.strip().str.lower()
    phone = customers["phone"].str.replace(r"^\+86|\D", "", regex=True)
    same_email = customers[email.duplicated(keep=False)]
    assert same_email["customer_id"].is_unique
    assert len(same_email) == 2 * 36
    assert (same_email["email"] != same_email["email"].str.strip().str.lower()).sum() == 36
    assert phone[email.duplicated(keep=False)].duplicated().sum() == 36
    assert customers["email"].str.endswith(" ").any()
    assert customers["phone"].str.startswith("+86 ").any()
    assert set(customers["segment"]) == {"consumer", "business", "vip"}


def test_staffing_month_slows_first_responses_and_lowers_csat(latest_tickets, surveys):
    by_month = latest_tickets.groupby(latest_tickets["created_at"].dt.strftime("%Y-%m"))
    median = by_month["first_response_min"].median()
    assert median["2025-03"] > 2 * max(median["2025-02"], median["2025-04"])

    csat = surveys[(surveys["kind"] == "csat") & surveys["score"].notna()]
    satisfied = (csat["score"] >= 4).groupby(csat["responded_at"].dt.strftime("%Y-%m")).mean()
    assert satisfied["2025-03"] < min(satisfied["2025-02"], satisfied["2025-04"]) - 0.08


def test_promotions_bring_order_peaks_then_ticket_peaks(folder, latest_tickets):
    orders = pd.read_csv(folder / CSV_TABLES["orders"], parse_dates=["ordered_at"])
    order_days = orders.groupby(orders["ordered_at"].dt.date).size()
    ticket_days = latest_tickets.groupby(latest_tickets["created_at"].dt.date).size()
    typical_orders, typical_tickets = order_days.median(), ticket_days.median()
    peak = pd.Timestamp("2024-11-11").date()
    assert order_days[peak] > 4 * typical_orders
    after = ticket_days[pd.Timestamp("2024-11-12").date() : pd.Timestamp("2024-11-20").date()]
    assert after.mean() > 1.5 * typical_tickets


def test_nights_and_weekends_are_quiet(latest_tickets):
    hour = latest_tickets["created_at"].dt.hour
    assert ((hour >= 1) & (hour < 6)).mean() < 0.03
    per_day = latest_tickets.groupby(latest_tickets["created_at"].dt.date).size()
    weekend = pd.to_datetime(per_day.index).dayofweek >= 5
    assert per_day[weekend].mean() < 0.8 * per_day[~weekend].mean()


def test_reopens_merges_and_backlog(latest_tickets):
    reopened = (latest_tickets["reopens"].astype(int) > 0).mean()
    merged = (latest_tickets["merged_into"] != "").mean()
    assert 0.06 <= reopened <= 0.10
    assert 0.005 <= merged <= 0.02
    open_at_end = latest_tickets["status"].isin(["new", "open", "pending", "on_hold"])
    assert open_at_end.sum() >= 50
    assert latest_tickets.loc[open_at_end, "solved_at"].isna().all()


def test_agents_differ_clearly_in_speed(latest_tickets):
    median = latest_tickets.groupby("agent_id")["first_response_min"].median()
    messaging = median[["A01", "A02", "A04", "A05"]]
    assert median["A07"] > 1.8 * messaging.max()
    assert median["A03"] < 0.7 * messaging.min()


def test_channels_are_partly_written_in_chinese(latest_tickets):
    channels = set(latest_tickets["channel"])
    assert {
        "邮箱",
        "电话",
        "即时聊天",
        "微信",
        "微博",
        "帮助中心",
        "手工录入",
        "API",
        "反馈标签",
    } <= channels
    assert {"email", "phone", "chat", "wechat", "weibo", "help_center"} <= channels


def test_csat_follows_response_time_and_reopens_and_nps_follows_csat(latest_tickets, surveys):
    csat = surveys[(surveys["kind"] == "csat") & surveys["score"].notna()]
    csat = csat.merge(latest_tickets, on="ticket_id", suffixes=("", "_ticket"))
    rank_correlation = csat["score"].rank().corr(csat["first_response_min"].rank())
    assert rank_correlation < -0.15
    reopened = csat["reopens"].astype(int) > 0
    assert csat.loc[reopened, "score"].mean() < csat.loc[~reopened, "score"].mean() - 0.8

    per_customer = csat.groupby("customer_id")["score"].mean().rename("csat")
    nps = surveys[(surveys["kind"] == "nps") & surveys["score"].notna()]
    paired = nps.join(per_customer, on="customer_id").dropna(subset=["csat"])
    assert paired["score"].corr(paired["csat"]) > 0.2


def test_scores_stay_on_their_scales_with_some_left_blank(surveys):
    for kind, low, high in (("csat", 1, 5), ("nps", 0, 10)):
        scores = surveys.loc[surveys["kind"] == kind, "score"]
        assert scores.isna().any()
        assert scores.dropna().between(low, high).all()
        assert np.allclose(scores.dropna(), scores.dropna().round())


def test_comments_mix_languages_and_include_untrusted_text(surveys):
    text = surveys["comment"].dropna()
    assert text.str.contains("[\u4e00-\u9fff]", regex=True).mean() > 0.5
    assert text.str.contains(r"^[\x00-\x7f]+$", regex=True).mean() > 0.1
    assert text.str.contains("<script>alert(1)</script>", regex=False).sum() == 1
    assert text.str.startswith("=1+1").sum() == 1
    assert text.str.contains("\n").sum() == 1
    assert text.nunique() > 100


def test_refuses_a_folder_in_use_without_force(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="--force"):
        write_sample_project(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_force_replaces_sample_files_and_warehouse_but_keeps_others(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "cxlens.duckdb").write_bytes(b"old warehouse")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "tickets.csv").write_text("stale")
    (tmp_path / "bundled").mkdir()  # an older sample copied public data sets here
    (tmp_path / "bundled" / "cdnow_master.txt").write_text("old copy")
    write_sample_project(tmp_path, seed=7, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "bundled").exists()
    assert not (tmp_path / "cxlens.duckdb").exists()
    assert (tmp_path / "exports/tickets.csv").read_bytes().startswith(b"\xef\xbb\xbfticket_id")


# The bundled public data seed the one company: CDNOW rhythms for orders, Telco
# contracts for the care plan (docs/sample-data.md, "Where the realism comes from").


def test_newcomers_buy_again_as_often_as_cdnow_customers(customers, orders, cdnow_days):
    first = cdnow_days.groupby("customer_id")["date"].transform("min")
    in_year = cdnow_days[cdnow_days["date"] < first + pd.Timedelta(days=365)]
    cdnow_once = (in_year.groupby("customer_id").size() == 1).mean()

    # customers who registered and first bought in the first half of 2024: a full year seen
    newcomers = customers.loc[customers["created_at"] >= "2024-01-01", "customer_id"]
    theirs = orders[orders["customer_id"].isin(newcomers)]
    first_order = theirs.groupby("customer_id")["ordered_at"].transform("min")
    theirs = theirs[first_order < "2024-07-01"]
    in_year = theirs[theirs["ordered_at"] < first_order[theirs.index] + pd.Timedelta(days=365)]
    once = (in_year.groupby("customer_id").size() == 1).mean()
    assert in_year["customer_id"].nunique() > 1_000
    assert abs(once - cdnow_once) < 0.04


def test_days_between_orders_follow_cdnow(orders, cdnow_days):
    cdnow_gaps = cdnow_days.sort_values(["customer_id", "date"]).groupby("customer_id")["date"]
    cdnow_gaps = cdnow_gaps.diff().dt.days.dropna()
    ours = orders.sort_values(["customer_id", "ordered_at"]).groupby("customer_id")["ordered_at"]
    ours = ours.diff().dt.total_seconds().dropna() / 86_400
    levels = [0.25, 0.5, 0.75, 0.9]
    ratio = ours.quantile(levels).to_numpy() / cdnow_gaps.quantile(levels).to_numpy()
    # promotions pull due purchases together and 18 months cut the longest gaps
    assert ((ratio > 0.6) & (ratio < 1.25)).all()
    assert 0.7 < ratio[1] < 1.1  # the median gap


def test_order_amounts_are_cdnow_dollars_in_yuan(orders, customers, cdnow_days):
    segment = orders["customer_id"].map(customers.set_index("customer_id")["segment"])
    consumer = orders.loc[segment == "consumer", "amount"]
    expected = cdnow_days["dollar_value"].median() * 20  # ¥20 per CDNOW dollar
    assert abs(consumer.median() / expected - 1) < 0.08
    business = orders.loc[segment == "business", "amount"]
    assert 2.0 < business.median() / consumer.median() < 2.8
    assert set(orders["currency"]) == {"CNY"}
    shares = orders["status"].value_counts(normalize=True)
    assert shares["completed"] > 0.85 and 0.03 < shares["cancelled"] < 0.08


def test_care_plan_mix_follows_telco_contracts(subscriptions):
    telco = datasets.load_telco()
    contracts = telco["Contract"].value_counts(normalize=True)
    plans = subscriptions["plan"].value_counts(normalize=True)
    assert len(subscriptions) > 1_500
    for plan, contract in (
        ("care-monthly", "Month-to-month"),
        ("care-1y", "One year"),
        ("care-2y", "Two year"),
    ):
        assert abs(plans[plan] - contracts[contract]) < 0.03


def test_monthly_plans_churn_most_and_prepaid_plans_end_at_renewal(subscriptions):
    ended = subscriptions["ended_at"].notna().groupby(subscriptions["plan"]).mean()
    assert ended["care-monthly"] > 0.1
    assert ended["care-monthly"] > 5 * ended["care-2y"]
    assert ended["care-monthly"] > ended["care-1y"] >= ended["care-2y"]
    annual = subscriptions[(subscriptions["plan"] == "care-1y") & subscriptions["ended_at"].notna()]
    months = (annual["ended_at"].dt.year - annual["started_at"].dt.year) * 12 + (
        annual["ended_at"].dt.month - annual["started_at"].dt.month
    )
    assert (months % 12 == 0).all()


def test_monthly_care_plan_churn_is_a_few_percent(subscriptions):
    started, ended = subscriptions["started_at"], subscriptions["ended_at"]
    assert started.min() >= pd.Timestamp("2024-01-01")
    assert (ended.dropna() > started[ended.notna()]).all()
    assert ended.max() < pd.Timestamp("2025-07-01")
    for month in pd.period_range("2024-02", "2025-06", freq="M"):
        begin, end = month.start_time, (month + 1).start_time
        active = (started < begin) & ~(ended < begin)
        lost = active & (ended >= begin) & (ended < end)
        assert 0.005 <= lost.sum() / active.sum() <= 0.10, month
    assert active.sum() > 1_000  # June 2025: a book of well over a thousand plans


def test_care_plans_are_sold_with_a_completed_order(subscriptions, orders):
    completed = orders[orders["status"] == "completed"]
    pairs = subscriptions.merge(completed, on="customer_id")
    delay = pairs["started_at"] - pairs["ordered_at"]
    bought = (delay >= pd.Timedelta(0)) & (delay < pd.Timedelta(days=60))
    assert set(pairs.loc[bought, "subscription_id"]) == set(subscriptions["subscription_id"])
    assert subscriptions["customer_id"].is_unique
    mrr = subscriptions["mrr"]
    assert mrr.between(8.9, 58.9).all()
    assert np.allclose((mrr * 10).round() % 10, 9)  # priced to end in .9


def test_subscribers_take_telco_gender_and_seniority(subscriptions, customers):
    telco = datasets.load_telco()
    holders = customers[customers["customer_id"].isin(subscriptions["customer_id"])]
    others = customers[~customers["customer_id"].isin(subscriptions["customer_id"])]
    female = (holders["gender"] == "female").mean()
    assert abs(female - (telco["gender"] == "Female").mean()) < 0.04
    seniors = (holders["age"].dropna() >= 65).mean()
    assert abs(seniors - telco["SeniorCitizen"].mean()) < 0.04
    assert (others["age"].dropna() >= 65).mean() < 0.02
