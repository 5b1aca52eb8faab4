"""Reading comments: labels from scores and ratings, dimensions from tickets and customers.

A tiny warehouse written by hand; every expected tone follows the rules by hand: CSAT on
1–5 counts 4 and 5 as satisfied (top two boxes, positive), 1 and 2 as negative (the two
bottom boxes) and 3 as neutral; NPS 9–10 are promoters (positive), 0–6 detractors
(negative), 7–8 passives (neutral); CES has no tone; a review is positive from a rating of
4, negative up to 2 and neutral between (the [topics] defaults). Only positive and negative
comments get a label (1/0) for the sentiment model.
"""

import duckdb
import pandas as pd
import pytest

from cxlens.errors import WarehouseError
from cxlens.models.topics import read_comments
from cxlens.settings import Settings


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute(
        """
        CREATE TABLE survey_responses AS SELECT * FROM (VALUES
            ('r1', 'csat', 5.0, 1.0, 5.0, 't1', 'c1', NULL, NULL, '很满意', TIMESTAMP '2025-06-01 10:00'),
            ('r2', 'csat', 3.0, 1.0, 5.0, 't1', 'c1', 'a9', 'email', 'so-so', TIMESTAMP '2025-06-02 10:00'),
            ('r3', 'csat', 4.0, NULL, NULL, NULL, 'c2', NULL, NULL, 'fine', TIMESTAMP '2025-06-03 10:00'),
            ('r4', 'nps', 9.0, 0.0, 10.0, NULL, 'c2', NULL, 'sms', 'love it', TIMESTAMP '2025-06-04 10:00'),
            ('r5', 'nps', 7.0, 0.0, 10.0, NULL, NULL, NULL, NULL, 'ok', TIMESTAMP '2025-06-05 10:00'),
            ('r6', 'nps', 6.0, 0.0, 10.0, NULL, NULL, NULL, NULL, '太慢', TIMESTAMP '2025-06-06 10:00'),
            ('r7', 'ces', 2.0, 1.0, 7.0, NULL, NULL, NULL, NULL, 'hard', TIMESTAMP '2025-06-07 10:00'),
            ('r8', 'csat', 1.0, 1.0, 5.0, NULL, NULL, NULL, NULL, '   ', TIMESTAMP '2025-06-08 10:00'),
            ('r9', 'csat', 2.0, 1.0, 5.0, NULL, NULL, NULL, NULL, NULL, TIMESTAMP '2025-06-09 10:00')
        ) v(response_id, kind, score, scale_min, scale_max, ticket_id, customer_id, agent_id,
            channel, comment, responded_at_local)
        """
    )
    con.execute(
        """
        CREATE TABLE tickets AS SELECT * FROM (VALUES
            ('t1', 'phone', 'refund', 'high', 'care', 'a1')
        ) v(ticket_id, channel, category, priority, team, agent_id)
        """
    )
    con.execute(
        "CREATE TABLE customers AS SELECT * FROM (VALUES ('c1', 'vip'), ('c2', 'new')) "
        "v(customer_id, segment)"
    )
    return con


def test_survey_comments_are_labelled_by_their_score(con):
    comments = read_comments(con, Settings()).set_index("comment_id")
    assert list(comments.index) == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]  # blanks left out
    assert comments["tone"].to_dict() == {
        "r1": "positive", "r2": "neutral", "r3": "positive", "r4": "positive",
        "r5": "neutral", "r6": "negative", "r7": None,
    }  # fmt: skip
    labels = comments["label"].astype(object).where(comments["label"].notna(), None)
    assert labels.to_dict() == {
        "r1": 1, "r2": None, "r3": 1, "r4": 1, "r5": None, "r6": 0, "r7": None
    }  # fmt: skip
    assert comments["origin"].unique().tolist() == ["survey"]


def test_dimensions_come_from_the_answer_then_its_ticket_and_customer(con):
    comments = read_comments(con, Settings()).set_index("comment_id")
    r1, r2 = comments.loc["r1"], comments.loc["r2"]
    assert (r1["channel"], r1["agent"], r1["category"], r1["team"]) == (
        "phone",
        "a1",
        "refund",
        "care",
    )
    assert (r2["channel"], r2["agent"]) == ("email", "a9")  # the answer's own win
    assert comments["segment"].to_dict()["r4"] == "new"
    assert comments.loc["r1", "language"] == "zh" and comments.loc["r2", "language"] == "en"


def test_a_csat_setting_moves_the_satisfied_threshold(con):
    settings = Settings(csat={"satisfied_from": 5})
    comments = read_comments(con, settings).set_index("comment_id")
    assert comments.loc["r3", "tone"] == "neutral"  # a 4: no longer satisfied, not bottom
    assert pd.isna(comments.loc["r3", "label"])


def test_a_csat_in_the_bottom_boxes_of_its_scale_is_negative():
    # 1–10 has ten points: three top boxes (8–10) satisfied, three bottom boxes (1–3) negative
    con = duckdb.connect(":memory:")
    con.execute(
        """
        CREATE TABLE survey_responses AS SELECT * FROM (VALUES
            ('a', 'csat', 3.0, 1.0, 10.0, 'x', TIMESTAMP '2025-06-01 10:00'),
            ('b', 'csat', 4.0, 1.0, 10.0, 'x', TIMESTAMP '2025-06-01 10:00'),
            ('c', 'csat', 7.0, 1.0, 10.0, 'x', TIMESTAMP '2025-06-01 10:00'),
            ('d', 'csat', 8.0, 1.0, 10.0, 'x', TIMESTAMP '2025-06-01 10:00'),
            ('e', 'csat', 2.0, NULL, NULL, 'x', TIMESTAMP '2025-06-01 10:00'),
            ('f', 'csat', 3.0, NULL, NULL, 'x', TIMESTAMP '2025-06-01 10:00')
        ) v(response_id, kind, score, scale_min, scale_max, comment, responded_at_local)
        """
    )
    con.execute("ALTER TABLE survey_responses ADD COLUMN ticket_id VARCHAR")
    con.execute("ALTER TABLE survey_responses ADD COLUMN customer_id VARCHAR")
    con.execute("ALTER TABLE survey_responses ADD COLUMN agent_id VARCHAR")
    con.execute("ALTER TABLE survey_responses ADD COLUMN channel VARCHAR")
    comments = read_comments(con, Settings()).set_index("comment_id")
    # e and f have no scale: the CSAT default 1–5, where 2 is a bottom box and 3 is not
    assert comments["tone"].to_dict() == {
        "a": "negative", "b": "neutral", "c": "neutral", "d": "positive",
        "e": "negative", "f": "neutral",
    }  # fmt: skip


def test_reviews_are_labelled_by_rating_and_keep_their_language(con):
    con.execute(
        """
        CREATE TABLE comments AS SELECT * FROM (VALUES
            ('p1', 'Love this fridge', 'app_store', 'c1', TIMESTAMP '2025-06-01 08:00', 5.0, NULL),
            ('p2', '还行', 'weibo', 'c2', TIMESTAMP '2025-06-01 09:00', 3.0, NULL),
            ('p3', 'Broke in a week', 'app_store', NULL, TIMESTAMP '2025-06-01 10:00', 2.0, 'en'),
            ('p4', 'Nice', 'weibo', NULL, TIMESTAMP '2025-06-01 11:00', NULL, 'zh-CN')
        ) v(comment_id, text, source, customer_id, posted_at_local, rating, language)
        """
    )
    comments = read_comments(con, Settings()).set_index("comment_id")
    reviews = comments[comments["origin"] == "comments"]
    labels = reviews["label"].astype(object).where(reviews["label"].notna(), None)
    assert labels.to_dict() == {"p1": 1, "p2": None, "p3": 0, "p4": None}
    assert reviews["tone"].tolist() == ["positive", "neutral", "negative", None]
    assert reviews["channel"].tolist() == ["app_store", "weibo", "app_store", "weibo"]
    assert reviews["segment"].tolist()[:2] == ["vip", "new"]
    assert reviews["language"].tolist() == ["en", "zh", "en", "zh"]  # p4: stated zh-CN wins


def test_a_survey_table_not_built_by_cleaning_says_how_to_rebuild():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE survey_responses (response_id VARCHAR, comment VARCHAR)")
    with pytest.raises(
        WarehouseError, match="survey_responses lacks comment or responded_at_local"
    ):
        read_comments(con, Settings())


def test_no_comment_anywhere_gives_an_empty_frame():
    comments = read_comments(duckdb.connect(":memory:"), Settings())
    assert comments.empty and "label" in comments.columns
    assert isinstance(comments, pd.DataFrame)


def test_without_labels_enough_or_shipped_models_the_error_says_what_to_do(con, monkeypatch):
    from cxlens.errors import ModelError
    from cxlens.models import sentiment, topics

    missing = {"zh": False, "en": False}
    monkeypatch.setattr(sentiment, "shipped_available", lambda: missing)
    monkeypatch.setattr(topics, "shipped_available", lambda: missing)
    with pytest.raises(ModelError) as error:
        topics.analyse_comments(con, Settings())
    assert str(error.value).startswith(
        "too few labelled comments to fit a sentiment model: 3 positive and 1 negative; "
    )
    assert str(error.value).endswith(
        "; and no shipped sentiment model is installed for every language of the comments "
        "(pip install snownlp vaderSentiment)"
    )
