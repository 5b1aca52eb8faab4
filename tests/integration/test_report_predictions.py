"""The report's predictions section on the bundled sample, as a user makes it (subprocesses).

`cxlens sample` and `cxlens run` write the English report (through the pipeline, which
hands the report no settings: the models read the ones stored with the warehouse);
`cxlens report --lang zh` writes the Chinese one. Every number checked is recomputed here
from the models' own functions on the same warehouse, or from the sample's cxlens.toml,
never read back from the report. A project with tickets only must still get its report,
each prediction replaced by the reason it cannot be computed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]
PARTS = ["lifetime", "churn", "drivers", "churn_drivers", "survival", "calls"]
SHOWN_ROWS = 20  # the report's documented call-list length (docs/report.md)


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("predictions")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    done = cx("run", "--silent", "--out", "out_en", cwd=folder / "demo")
    assert done.returncode == 0, done.stderr
    done = cx("report", "--lang", "zh", "--out", "out_zh", cwd=folder / "demo")
    assert done.returncode == 0, done.stderr
    return folder / "demo"


@pytest.fixture(scope="module")
def english(project) -> str:
    return (project / "out_en" / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def chinese(project) -> str:
    return (project / "out_zh" / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def budget(project) -> float:
    """The report's budget by its documented rule: 20 contacts at the dearest offer."""
    config = tomllib.loads((project / "cxlens.toml").read_text(encoding="utf-8"))
    return SHOWN_ROWS * max(action["cost"] for action in config["targets"]["actions"])


@pytest.fixture(scope="module")
def expected(project, budget) -> dict:
    """Each model's result computed here, on the warehouse the report read."""
    from cxlens.actions.retention import retention_targets
    from cxlens.models.churn import predict_churn
    from cxlens.models.drivers import churn_service_drivers, service_drivers
    from cxlens.models.lifetime import customer_lifetime_values
    from cxlens.models.survival import retention_curves
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    settings = load_settings(project / "cxlens.toml")
    with Warehouse.for_settings(settings).connect(read_only=True) as con:
        churn = predict_churn(con, settings)
        return {
            "lifetime": customer_lifetime_values(con, settings),
            "churn": churn,
            "drivers": service_drivers(con, settings, "csat"),
            "churn_drivers": churn_service_drivers(con, settings, churn),
            "survival": retention_curves(con, settings, by="plan"),
            "calls": retention_targets(con, settings, budget, churn=churn).calls.rows,
        }


def part(html: str, name: str) -> str:
    """The HTML of one part of the predictions section."""
    section = html[html.index('<section id="predictions">') :]
    section = section[: section.index("</section>")]
    start = section.index(f'data-part="{name}"')
    following = [section.find(f'data-part="{other}"', start + 1) for other in PARTS]
    end = min([index for index in following if index > 0], default=len(section))
    return section[start:end]


def text(fragment: str) -> str:
    """What a reader sees: tags and charts removed, entities decoded, spaces squeezed."""
    fragment = re.sub(r"<script\b.*?</script>", " ", fragment, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment)))


def sentences(fragment: str) -> list[str]:
    found = re.findall(r'<p class="sentence">(.*?)</p>', fragment, flags=re.S)
    return [unescape(sentence) for sentence in found]


def call_rows(html: str) -> list[list[str]]:
    table = part(html, "calls")
    rows = re.findall(r"<tr data-customer=.*?</tr>", table, flags=re.S)
    return [[unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]


def test_the_section_sits_before_the_definitions_with_five_parts(english):
    assert english.index('id="predictions"') < english.index('id="definitions"')
    for name in PARTS:
        assert 'class="note cannot-compute"' not in part(english, name), name
    for name in ["lifetime", "churn", "drivers", "churn_drivers", "survival"]:
        assert part(english, name).count("Plotly.newPlot(") == 1, name


def test_clv_sentence_gives_the_models_mean_and_median(english, expected):
    values = expected["lifetime"].customers["clv"].to_numpy(float)
    shown = text(part(english, "lifetime"))
    assert f"{len(values):,} customers" in shown
    assert f"mean {np.mean(values):,.2f}, median {np.median(values):,.2f}" in shown
    assert f"99th percentile ({np.percentile(values, 99):,.2f})" in shown


def test_roc_auc_line_is_the_validation_of_the_churn_model(english, expected):
    validation = expected["churn"].validation
    assert validation["method"] == "time_split"  # the sample has two full churn windows
    auc = validation["metrics"]["roc_auc"]
    line = (
        f"ROC AUC {auc['value']:.2f} (95 % {auc['low']:.2f}–{auc['high']:.2f}), time split, "
        f"n = {validation['n']['validation']:,}"
    )
    assert f'<p class="validation"><strong>{line}</strong></p>' in part(english, "churn")


def test_churn_sentence_counts_the_high_risk_customers(english, expected):
    customers = expected["churn"].customers
    high = int((customers["p_churn"] >= expected["churn"].bands["high"]).sum())
    shown = text(part(english, "churn"))
    assert f"Of the {len(customers):,} customers active on" in shown
    assert f", {high:,} ({100 * high / len(customers):.1f}%) are at high risk" in shown


def test_drivers_show_every_significant_driver_and_only_those(english, expected):
    table = expected["drivers"].table
    significant = table.loc[table["significant"], "sentence"].tolist()
    assert significant  # the sample is built with real drivers
    assert sentences(part(english, "drivers")) == significant


def test_churn_drivers_show_the_plan_and_the_customers_they_were_fitted_on(english, expected):
    # On the sample the plan drives churn and no service factor is told from noise.
    drivers = expected["churn_drivers"]
    table = drivers.table
    shown = sentences(part(english, "churn_drivers"))
    assert shown == table.loc[table["significant"], "sentence"].tolist()
    assert all(sentence.startswith("Plan: ") for sentence in shown)
    note = text(part(english, "churn_drivers"))
    assert f"on the {drivers.model.n_rows_:,} customers" in note
    assert f"({drivers.model.n_positive_:,} of them left)" in note


def test_drivers_chart_marks_every_other_factor_as_noise_with_its_n(english, expected):
    table = expected["drivers"].table
    chart = part(english, "drivers")
    arrays = [json.loads(found) for found in re.findall(r'"ticktext":(\[.*?\])', chart)]
    (ticks,) = [array for array in arrays if len(array) == len(table)]  # the factor axis
    ticks = [unescape(tick.replace("<br>", " ").replace("\u00a0", " ")) for tick in ticks]
    # the chart lists the factors bottom-up, so the strongest driver ends up on top
    expected_ticks = [
        f"{row.label} · n = {row.n:,}" + ("" if row.significant else " · noise")
        for row in table.iloc[::-1].itertuples()
    ]
    assert ticks == expected_ticks
    assert chart.count("#cbd5e1") == int((~table["significant"]).sum())


def test_survival_gives_the_log_rank_sentence_and_each_plans_size(english, expected):
    retention = expected["survival"]
    assert f"By plan, {retention.logrank.sentence}." in sentences(part(english, "survival"))
    chart = part(english, "survival")
    for group, model in retention.curves.items():
        assert f"{group} (n = {model.n_:,})" in chart


def test_call_list_table_is_the_top_of_the_planned_list(english, expected, budget):
    rows = expected["calls"].sort_values("rank")
    shown = call_rows(english)
    assert len(shown) == min(SHOWN_ROWS, len(rows))
    first = rows.iloc[0]
    assert shown[0][:2] == ["1", first["customer_id"]]
    assert shown[0][3:6] == [
        f"{100 * first['p_churn']:.1f}%",
        f"{first['value']:,.2f}",
        f"{first['expected_saved_value']:,.2f}",
    ]
    assert [row[1] for row in shown] == rows["customer_id"].head(SHOWN_ROWS).tolist()
    summary = text(part(english, "calls"))
    assert f"example budget of {budget:,.2f} CNY, set by the report" in summary
    assert f"contacts {len(rows):,} customers for {rows['cost'].sum():,.2f}" in summary
    if len(rows) > SHOWN_ROWS:
        assert f"{len(rows) - SHOWN_ROWS} more rows are in the workbook" in summary


def test_workbook_call_list_holds_every_row_of_the_list(project, expected):
    import openpyxl

    sheet = openpyxl.load_workbook(project / "out_en" / "report.xlsx")["Call list"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    planned = expected["calls"].sort_values("rank")
    assert len(rows) == len(planned)
    assert "Chance of leaving" in header and "Why at risk" in header
    ids = [row[header.index("Customer")] for row in rows]
    assert ids == planned["customer_id"].tolist()
    values = [row[header.index("Value")] for row in rows]
    np.testing.assert_allclose(values, planned["value"].to_numpy(float))
    assert sheet.cell(2, header.index("Chance of leaving") + 1).number_format == "0.0%"


def test_chinese_report_speaks_chinese_in_the_predictions(chinese, expected):
    section = chinese[chinese.index('<section id="predictions">') :]
    section = section[: section.index("</section>")]
    shown = text(section)
    for words in ["预测", "按时间切分验证", "优先挽留名单", "流失概率", "按套餐"]:
        assert words in shown
    for title in ["客户终身价值", "流失风险", "影响满意度的因素", "客户留存时长"]:
        assert json.dumps(title)[1:-1] in section  # a chart title, in the figure's JSON
    for words in ["Chance of leaving", "time split", "Whom to contact", "noise", "By plan"]:
        assert words not in section
    table = expected["drivers"].table
    assert (
        sentences(part(chinese, "drivers"))
        == table.loc[table["significant"], "sentence_zh"].tolist()
    )


def test_chinese_workbook_names_the_call_list_sheet_in_chinese(project):
    import openpyxl

    book = openpyxl.load_workbook(project / "out_zh" / "report.xlsx")
    assert "挽留名单" in book.sheetnames and "Call list" not in book.sheetnames


@pytest.fixture(scope="module")
def tickets_only(project, tmp_path_factory) -> Path:
    """A project whose only export is the sample's tickets."""
    folder = tmp_path_factory.mktemp("tickets_only")
    (folder / "exports").mkdir()
    (folder / "exports" / "tickets.csv").write_bytes(
        (project / "exports" / "tickets.csv").read_bytes()
    )
    (folder / "cxlens.toml").write_text(
        '[project]\ntimezone = "Asia/Shanghai"\nlanguage = "en"\n\n'
        '[[sources]]\ntable = "tickets"\npath = "exports/tickets.csv"\n'
        'timezone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    done = cx("run", "--silent", "--out", "out", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_tickets_only_project_says_why_each_prediction_is_missing(tickets_only):
    html = (tickets_only / "out" / "report.html").read_text(encoding="utf-8")
    reasons = {name: text(part(html, name)) for name in PARTS}
    assert (
        "Customer lifetime value cannot be computed because the warehouse holds no orders"
        in (reasons["lifetime"])
    )
    assert "Churn risk cannot be computed because the warehouse holds neither" in reasons["churn"]
    assert "What moves CSAT cannot be computed because" in reasons["drivers"]
    assert "How long customers stay cannot be computed because" in reasons["survival"]
    assert "it needs the churn risk" in reasons["calls"]
    assert (
        "What goes with leaving cannot be computed because it needs the churn risk"
        in (reasons["churn_drivers"])
    )
    predictions = html[html.index('id="predictions"') : html.index('id="actions"')]
    assert "Plotly.newPlot(" not in predictions
    assert 'id="kpis"' in html  # the month's KPIs are still there


def test_tickets_only_workbook_says_why_there_is_no_call_list(tickets_only):
    import openpyxl

    sheet = openpyxl.load_workbook(tickets_only / "out" / "report.xlsx")["Call list"]
    assert "cannot be computed because it needs the churn risk" in sheet["A1"].value


def test_histogram_bins_match_numpy_up_to_the_99th_percentile():
    from cxlens.report.predictions import capped_bins

    values = pd.Series(np.arange(101, dtype=float))  # 0 … 100: the 99th percentile is 99
    bins = capped_bins(values, bins=30)
    counts, edges = np.histogram(values[values <= 99], bins=30, range=(0, 99))
    regular = bins[~bins["overflow"]]
    assert regular["customers"].tolist() == counts[counts > 0].tolist()
    np.testing.assert_allclose(regular["bin_start"], edges[:-1][counts > 0])
    assert bins.loc[bins["overflow"], "customers"].tolist() == [1]  # the value 100


def test_survival_says_each_plans_share_kept_at_90_days_by_the_product_limit(english, expected):
    # Kaplan–Meier at 90 days by hand from the same customers: the product over event days
    # up to 90 of (1 − churned that day / still at risk that day).
    retention = expected["survival"]
    shown = " ".join(sentences(part(english, "survival")))
    for group, customers in retention.customers.groupby("group"):
        days = customers["duration_days"].to_numpy(float)
        churned = customers["churned"].to_numpy(bool)
        kept = 1.0
        for day in np.unique(days[churned & (days <= 90)]):
            at_risk = (days >= day).sum()
            kept *= 1 - (churned & (days == day)).sum() / at_risk
        assert f"{group} (n = {len(customers):,}): {kept:.1%} still with us 90 days" in shown
