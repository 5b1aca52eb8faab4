"""Complaint topics on tiny hand-made comments, and the view's counting against SQL.

The topic sets have two themes each whose words do not overlap (refunds and deliveries in
Chinese, billing and installation in English), so a correct model puts every comment in
its theme and names the theme's words among its keywords. Counts by channel are checked
against the same GROUP BY written in DuckDB SQL over the same frame.
"""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from cxlens.errors import ModelError
from cxlens.insights.actions import Scope
from cxlens.insights.topics import _examples, negative_by
from cxlens.models.text import content_words, stop_words, tokenised
from cxlens.models.topics import TopicModel, class_tfidf, evenly_spread, in_scope

REFUNDS = [
    "退款十天了还没到账",
    "退款申请被拒绝了",
    "申请退款一直没到账",
    "退款到账太慢",
    "退款审核拖了很久",
    "退款被拒也不说原因",
]
DELIVERIES = [
    "快递三天都没送到",
    "物流信息好几天不更新",
    "快递员把箱子压坏了",
    "快递一直没到",
    "物流太慢快递没送到",
    "快递送错了地址",
]
BILLING = [
    "I was charged twice on my invoice",
    "The invoice shows the wrong charge",
    "Coupon not applied, charged too much",
    "Double charge on my card, invoice wrong",
    "Invoice amount and charge do not match",
]
INSTALLATION = [
    "The technician came late for the installation",
    "Installation was rescheduled, technician never came",
    "Technician left the installation unfinished",
    "Installation appointment missed by the technician",
    "Installation took three visits from the technician",
]


def fitted(texts, language, count=2, min_size=3):
    words = tokenised(pd.Series(texts), pd.Series([language] * len(texts)), stop_words())
    return TopicModel(count=count, keywords=5, min_size=min_size).fit(words), words


@pytest.mark.parametrize(
    ("first", "second", "language", "first_word", "second_word"),
    [
        (REFUNDS, DELIVERIES, "zh", "退款", "快递"),
        (BILLING, INSTALLATION, "en", "invoice", "installation"),
    ],
)
def test_each_comment_lands_in_its_theme(first, second, language, first_word, second_word):
    model, words = fitted(first + second, language)
    placed = model.assign(words)

    mine, theirs = placed[: len(first)], placed[len(first) :]
    assert len(set(mine)) == 1 and len(set(theirs)) == 1
    assert mine[0] != theirs[0] and min(placed) >= 0
    assert first_word in model.keywords_[mine[0]]
    assert second_word in model.keywords_[theirs[0]]
    assert sorted(model.sizes_) == sorted([len(first), len(second)])


def test_topics_are_the_same_on_every_fit():
    one, _ = fitted(REFUNDS + DELIVERIES, "zh")
    two, _ = fitted(REFUNDS + DELIVERIES, "zh")
    assert one.keywords_ == two.keywords_


def test_a_comment_without_any_keyword_of_its_topic_stays_unplaced():
    model, _ = fitted(REFUNDS + DELIVERIES, "zh")
    new = tokenised(
        pd.Series(["师傅很专业", "退款终于到账"]), pd.Series(["zh", "zh"]), stop_words()
    )
    placed = model.assign(new)
    assert placed[0] == -1
    assert "退款" in model.keywords_[placed[1]]


def test_topics_smaller_than_min_size_are_dropped():
    # three topics asked of 12 texts in two themes: at most two hold 6 texts each
    model, _ = fitted(REFUNDS + DELIVERIES, "zh", count=3, min_size=6)
    assert len(model.keywords_) <= 2
    assert all(size >= 6 for size in model.sizes_)


def test_too_few_texts_for_a_topic_is_a_model_error():
    with pytest.raises(ModelError, match=r"2 texts are too few for topics of at least 5"):
        TopicModel(min_size=5).fit(pd.Series(["退款 慢", "快递 慢"]))


def test_summary_labels_a_topic_by_its_content_words():
    model, _ = fitted(REFUNDS + DELIVERIES, "zh")
    summary = model.summary
    # the label's words are among the keywords, and each is a noun or verb
    for label, keywords in zip(summary["label"], model.keywords_, strict=True):
        words = label.split(" / ")
        assert 2 <= len(words) <= 3 and set(words) <= set(keywords)
        assert all(content_words(words, "zh"))
    assert summary["size"].tolist() == model.sizes_


INSTALLS = [
    "安装师傅迟到了",
    "安装预约改了三次",
    "师傅安装完就走了",
    "预约安装一直没人来",
    "安装师傅没带工具",
    "安装费用收得太多",
]


def test_a_word_every_theme_carries_names_no_topic():
    # "订单" opens every comment of three themes: it cannot tell one topic from another
    texts = ["订单" + text for text in REFUNDS + DELIVERIES + INSTALLS]
    model, words = fitted(texts, "zh", count=3, min_size=3)
    assert all("订单" not in keywords for keywords in model.keywords_)
    placed = model.assign(words)
    themes = [placed[:6], placed[6:12], placed[12:]]
    assert [len(set(theme)) for theme in themes] == [1, 1, 1]
    assert len({theme[0] for theme in themes}) == 3


def test_class_tfidf_by_hand():
    # five documents, three terms a b c; documents 0-1 in topic 0, 2-4 in topic 1
    present = sparse.csr_matrix([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1], [0, 0, 1]], dtype=bool)
    ours = class_tfidf(present, np.array([0, 0, 1, 1, 1]), 2)
    # topic 0 holds a twice, b once (3 words); topic 1 b once, c three times (4 words);
    # a term's count over all topics: a 2, b 2, c 3; mean words per topic 3.5
    tf = np.array([[2 / 3, 1 / 3, 0], [0, 1 / 4, 3 / 4]])
    idf = np.log([1 + 3.5 / 2, 1 + 3.5 / 2, 1 + 3.5 / 3])
    assert ours == pytest.approx(tf * idf)


def test_a_term_is_evenly_spread_when_its_topics_entropy_is_high():
    # x: once in each of three topics (entropy 1); y: topic 0 only (0);
    # z: twice in topic 0, once in topic 1: -(2/3 ln 2/3 + 1/3 ln 1/3) / ln 3 = 0.58
    present = sparse.csr_matrix([[1, 1, 1], [0, 0, 1], [1, 0, 1], [1, 0, 0]], dtype=bool)
    topic = np.array([0, 0, 1, 2])
    assert evenly_spread(present, topic, 3).tolist() == [True, False, False]


@pytest.fixture
def comments():
    """Ten comments over two channels, three topics and two months."""
    return pd.DataFrame(
        {
            "text": [f"c{i}" for i in range(10)],
            "posted_at_local": pd.to_datetime(
                [
                    "2025-05-31 23:59",
                    "2025-06-01 00:00",
                    "2025-06-15 12:00",
                    "2025-06-30 23:59",
                    "2025-07-01 00:00",
                    "2025-06-02 08:00",
                    "2025-06-03 08:00",
                    "2025-06-04 08:00",
                    "2025-06-05 08:00",
                    None,
                ]
            ),
            "channel": [
                "phone",
                "phone",
                "phone",
                "phone",
                "email",
                "email",
                "email",
                "email",
                None,
                "phone",
            ],
            "topic": ["zh-0", "zh-0", "zh-1", None, "zh-0", "zh-1", "zh-1", "en-0", "zh-0", "zh-0"],
            "negative": [True, True, True, True, False, True, True, True, True, False],
        }
    )


def test_scope_keeps_both_ends_of_the_window_and_the_filters(comments):
    june = in_scope(comments, Scope((date(2025, 6, 1), date(2025, 6, 30))))
    assert june["text"].tolist() == ["c1", "c2", "c3", "c5", "c6", "c7", "c8"]
    phone = in_scope(comments, Scope((date(2025, 6, 1), date(2025, 6, 30)), {"channel": ["phone"]}))
    assert phone["text"].tolist() == ["c1", "c2", "c3"]
    assert len(in_scope(comments, Scope())) == 10


def test_scope_refuses_a_dimension_comments_do_not_have(comments):
    with pytest.raises(ModelError, match="comments cannot be filtered by region; use channel"):
        in_scope(comments, Scope(filters={"region": ["north"]}))


def test_negative_topics_by_channel_match_sql(comments):
    topics = pd.DataFrame({"topic": ["zh-0", "zh-1", "en-0"], "label": ["a", "b", "c"]})
    ours = negative_by(comments, topics, "channel")

    sql = duckdb.sql(
        """
        WITH neg AS (SELECT * FROM comments WHERE negative),
        per_group AS (SELECT channel, count(*) AS group_negative FROM neg GROUP BY channel)
        SELECT n.channel, n.topic, count(*) AS negative, any_value(g.group_negative) AS gn
        FROM neg n JOIN per_group g ON g.channel IS NOT DISTINCT FROM n.channel
        WHERE n.topic IS NOT NULL
        GROUP BY n.channel, n.topic
        """
    ).df()
    expected = {(r.channel, r.topic): (r.negative, r.gn) for r in sql.itertuples()}
    got = {
        (None if pd.isna(r.channel) else r.channel, r.topic): (r.negative, r.group_negative)
        for r in ours.itertuples()
    }
    assert got == {(None if pd.isna(k[0]) else k[0], k[1]): v for k, v in expected.items()}
    assert (ours["share"] == ours["negative"] / ours["group_negative"]).all()
    # phone has 4 negatives (one without a topic), email 3, the unnamed channel 1
    groups = ours.assign(channel=ours["channel"].fillna("-")).groupby("channel")
    assert groups["group_negative"].first().to_dict() == {"phone": 4, "email": 3, "-": 1}
    assert ours["channel"].fillna("-").tolist()[:2] == ["phone", "phone"]  # most negatives first


def test_each_group_keeps_its_three_largest_topics():
    frame = pd.DataFrame(
        {
            "channel": ["chat"] * 10,
            "topic": ["t1"] * 4 + ["t2"] * 3 + ["t3"] * 2 + ["t4"],
            "negative": [True] * 10,
        }
    )
    topics = pd.DataFrame({"topic": ["t1", "t2", "t3", "t4"], "label": list("abcd")})
    ours = negative_by(frame, topics, "channel")
    assert ours["topic"].tolist() == ["t1", "t2", "t3"]
    assert ours["negative"].tolist() == [4, 3, 2]
    assert ours["group_negative"].tolist() == [10, 10, 10]


def test_examples_are_the_shortest_clear_negative_comments_without_repeats():
    placed = pd.DataFrame(
        {
            "topic": ["zh-0"] * 6,
            "text": [
                "慢。",
                "还行吧，就是有点慢。",
                "总的来说，还行吧，就是有点慢。",
                "回复太慢，等了两天",
                "回复很快，当天解决",
                "还行吧，就是有点慢。",
            ],
            "negative": [True, True, True, True, False, True],
        }
    )
    # "慢。" is under six characters; the third only wraps the second; the fifth is positive
    assert _examples(placed).to_dict() == {"zh-0": "回复太慢，等了两天 | 还行吧，就是有点慢。"}


def scored_analysis(labels, tones, languages):
    """Comments with their score's label and tone (None: no score), no fitted model."""
    from cxlens.models.topics import CommentAnalysis

    frame = pd.DataFrame(
        {"label": pd.array(labels, dtype="Int64"), "tone": tones, "language": languages}
    )
    return CommentAnalysis(frame, pd.DataFrame(), None)


def test_the_sentiment_line_counts_the_comments_the_model_read():
    from cxlens.insights.topics import _sentiment_line

    # zh: one scored positive, one without a score (read as positive, label NA);
    # en: a neutral score (not read), two without a score
    analysis = scored_analysis(
        [1, None, None, None, None],
        ["positive", "positive", "neutral", "negative", "positive"],
        ["zh", "zh", "en", "en", "en"],
    )
    en = _sentiment_line(analysis, analysis.comments, "en")
    assert en == [
        "Sentiment where no score says it: Chinese (1 comment without a score): SnowNLP (its "
        "bundled review model); English (2 comments without a score): VADER (its bundled "
        "lexicon)."
    ]
    zh = _sentiment_line(analysis, analysis.comments, "zh")
    assert zh == [
        "无评分的评论由模型判断情感：中文（无评分的 1 条评论）：SnowNLP（自带的评论模型）；"
        "英文（无评分的 2 条评论）：VADER（自带的情感词典）。"
    ]


def test_the_sentiment_line_says_when_every_comment_has_a_score():
    from cxlens.insights.topics import _sentiment_line

    analysis = scored_analysis([1, 0, None], ["positive", "negative", "neutral"], ["zh"] * 3)
    assert _sentiment_line(analysis, analysis.comments, "en") == [
        "Every comment here carries a score, so no sentiment model was needed; as a check, "
        "Chinese: SnowNLP (its bundled review model)."
    ]


def test_every_phrase_is_in_both_languages_and_counts_take_the_singular():
    from cxlens.insights.topics import WORDS, counted

    assert all(set(phrase) == {"en", "zh"} and all(phrase.values()) for phrase in WORDS.values())
    assert [counted(n, "comments", "en") for n in (1, 2, 1200)] == [
        "1 comment",
        "2 comments",
        "1,200 comments",
    ]
    assert counted(1, "negative", "en") == "1 negative comment"
    assert counted(1, "negative", "zh") == "1 条负面评论"
