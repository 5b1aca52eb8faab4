"""Survey files through the importer, the clean step and the KPIs, on real DuckDB files.

Expected values are worked out by hand in each test from the few rows it writes; the
intervals are computed here from their formulas, not taken from cxlens.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from cxlens.clean import clean_warehouse
from cxlens.errors import RowsRejected
from cxlens.ingest import import_file
from cxlens.metrics import compute_kpis
from cxlens.settings import Settings
from cxlens.store import Warehouse

Z = 1.959963984540054  # the 97.5 % point of the standard normal


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def table(warehouse: Warehouse, name: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchdf()


def kpis(warehouse: Warehouse, settings: Settings, by=(), metrics=None) -> pd.DataFrame:
    clean_warehouse(warehouse, settings)
    return compute_kpis(warehouse, settings, by=list(by), metrics=metrics)


def one(frame: pd.DataFrame, metric: str, period: str = "all"):
    hits = frame[(frame.metric == metric) & (frame.period == period)]
    assert len(hits) == 1, f"{metric} {period}: {len(hits)} rows"
    return hits.iloc[0]


GOOD_NPS = """\
response_id,kind,score,responded_at
N1,nps,9,2024-02-01 10:00
N2,nps,10,2024-02-02 10:00
N3,nps,10,2024-02-03 10:00
N4,nps,6,2024-02-04 10:00
"""


def test_sv2_nps_from_a_file_with_its_multinomial_interval(tmp_path, warehouse):
    # case SV-2: 9, 10, 10, 6 → 3 promoters, 1 detractor of 4: +50
    import_file(warehouse, write(tmp_path / "nps.csv", GOOD_NPS), table="survey_responses")
    nps = one(kpis(warehouse, Settings(root=tmp_path, timezone="UTC")), "nps")
    assert (nps.value, nps.n) == (50, 4)
    # per answer the points are +100, +100, +100, −100: variance of the mean by hand
    points = [100, 100, 100, -100]
    variance = sum((p - 50) ** 2 for p in points) / len(points) / len(points)
    assert nps.ci_low == pytest.approx(50 - Z * math.sqrt(variance))
    assert nps.ci_high == 100  # 50 + 84.9 lies past the top of the scale


@pytest.mark.parametrize(
    ("score", "row"),
    [("7.5", 3), ("11", 3), ("-1", 3), ("4,5", 3)],
)
def test_nps_other_than_a_whole_number_0_to_10_is_refused_at_import(
    tmp_path, warehouse, score, row
):
    # the good file lands first; the bad one is refused whole and changes nothing
    import_file(warehouse, write(tmp_path / "nps.csv", GOOD_NPS), table="survey_responses")
    before = table(warehouse, "raw_survey_responses"), table(warehouse, "imports")
    bad = write(
        tmp_path / "later.csv",
        "response_id,kind,score,responded_at\n"
        f'N5,nps,8,2024-03-01\nN6,nps,"{score}",2024-03-02\n',  # "4,5": a decimal comma
    )
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, bad, table="survey_responses")
    message = str(caught.value)
    assert f"{bad}, row {row}, column 'score': '{score}'" in message
    assert "a whole number from 0 to 10" in message
    assert "1 value(s) rejected" in message
    after = table(warehouse, "raw_survey_responses"), table(warehouse, "imports")
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_nps_must_be_0_to_10_whatever_scale_the_file_writes(tmp_path, warehouse):
    # a 0–100 "likelihood" next to kind nps is not an NPS answer; a CSAT off 1–5 is named once
    path = write(
        tmp_path / "mixed.csv",
        "response_id,kind,score,scale_min,scale_max,responded_at\n"
        "A,nps,50,0,100,2024-03-01\nB,csat,6,,,2024-03-01\nC,nps,10,0,10,2024-03-01\n",
    )
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="survey_responses")
    lines = [line.strip() for line in str(caught.value).splitlines()[1:-1]]
    assert lines == [
        f"{path}, row 2, column 'score': '50' — expected a whole number from 0 to 10 "
        "(an NPS answer)",
        f"{path}, row 3, column 'score': '6' — expected a score from 1 to 5 (the csat scale)",
    ]


SENDS = """\
response_id,kind,score,responded_at,sent_at,channel
S1,csat,5,2024-01-10 03:00,2024-01-10 02:00,chat
S2,csat,1,2024-02-01 01:00,2024-01-31 17:00,chat
S3,csat,,,2024-01-31 15:00,email
S4,nps,,,2024-02-20 09:00,email
R5,csat,4,2024-02-10 09:00,,email
"""


def test_sends_import_and_clean_to_local_send_times(tmp_path, warehouse):
    # UTC in the file (no source zone given, project in UTC for the import); the clean step
    # in Shanghai (UTC+8) publishes sent_at_local beside responded_at_local
    import_file(warehouse, write(tmp_path / "sends.csv", SENDS), table="survey_responses")
    clean_warehouse(warehouse, Settings(root=tmp_path, timezone="Asia/Shanghai"))
    cleaned = table(warehouse, "survey_responses").set_index("response_id")
    assert cleaned.loc["S2", "sent_at"] == dt.datetime(2024, 1, 31, 17)
    assert cleaned.loc["S2", "sent_at_local"] == dt.datetime(2024, 2, 1, 1)
    assert pd.isna(cleaned.loc["S3", "score"]) and pd.isna(cleaned.loc["S3", "responded_at"])
    assert pd.isna(cleaned.loc["R5", "sent_at_local"])


def test_response_rate_by_local_send_month(tmp_path, warehouse):
    # Shanghai months of the sends: S1 January (answered); S2 sent 2024-02-01 01:00 local
    # (answered), S3 sent 2024-01-31 23:00 local (not), S4 February (not); R5 has no send.
    # January 1/2, February 1/2; pooled 2/4. CSAT ignores S3, S4: 4 and 5 of 5, 1, 4 → 2/3.
    import_file(warehouse, write(tmp_path / "sends.csv", SENDS), table="survey_responses")
    settings = Settings(root=tmp_path, timezone="Asia/Shanghai")
    monthly = kpis(warehouse, settings, by=["month"], metrics=["survey_response_rate"])
    for month in ("2024-01", "2024-02"):
        rate = one(monthly, "survey_response_rate", month)
        assert (rate.value, rate.n) == (0.5, 2)
        # Wilson for 1 of 2 by hand: centre 1/2, half z·√(1/8 + z²/16) / (1 + z²/2)
        half = Z * math.sqrt(1 / 8 + Z**2 / 16) / (1 + Z**2 / 2)
        assert (rate.ci_low, rate.ci_high) == pytest.approx((0.5 - half, 0.5 + half))
    pooled = compute_kpis(warehouse, settings, metrics=["survey_response_rate", "csat"])
    assert (one(pooled, "survey_response_rate").value, one(pooled, "survey_response_rate").n) == (
        0.5,
        4,
    )
    assert (one(pooled, "csat").value, one(pooled, "csat").n) == (pytest.approx(2 / 3), 3)


def test_a_warehouse_from_before_sent_at_takes_a_file_with_sends(tmp_path, warehouse):
    # raw_survey_responses made without the sent_at column: the import adds it, keeps the
    # old rows (sent_at null) and writes the new one
    with warehouse.transaction() as con:
        con.execute(
            "CREATE TABLE raw_survey_responses (response_id VARCHAR, kind VARCHAR, score DOUBLE, "
            "scale_min DOUBLE, scale_max DOUBLE, customer_id VARCHAR, ticket_id VARCHAR, "
            "agent_id VARCHAR, channel VARCHAR, responded_at TIMESTAMP, comment VARCHAR, "
            "attributes JSON, _source VARCHAR, _row BIGINT, _batch VARCHAR)"
        )
        con.execute(
            "INSERT INTO raw_survey_responses (response_id, kind, score, responded_at) "
            "VALUES ('OLD', 'csat', 5, TIMESTAMP '2023-12-01 10:00')"
        )
    path = write(
        tmp_path / "new.csv",
        "response_id,kind,score,responded_at,sent_at\nNEW,csat,,,2024-01-02 10:00\n",
    )
    import_file(warehouse, path, table="survey_responses")
    raw = table(warehouse, "raw_survey_responses").set_index("response_id")
    assert sorted(raw.index) == ["NEW", "OLD"]
    assert raw.loc["NEW", "sent_at"] == dt.datetime(2024, 1, 2, 10)
    assert pd.isna(raw.loc["OLD", "sent_at"])
