"""Comments as model input: the [topics] settings, language detection and tokens.

Expected tokens were cut by hand from jieba 0.42.1's segmentation of each sentence (shown
in the comments), less the stop words the module names.
"""

import pandas as pd
import pytest

from cxlens.errors import ConfigError
from cxlens.insights.topics import WORDS
from cxlens.models.text import (
    CHINESE_STOP_WORDS,
    DEFAULTS,
    check_settings,
    content_words,
    detect_language,
    stop_words,
    tokenised,
    tokens,
)


def test_empty_section_gets_every_default():
    checked = check_settings({})
    assert checked == DEFAULTS
    assert checked["count"] == 8


def test_given_values_are_kept_and_ratings_become_floats():
    checked = check_settings({"count": 12, "positive_rating": 5, "negative_rating": 1})
    assert checked["count"] == 12
    assert checked["positive_rating"] == 5.0 and isinstance(checked["positive_rating"], float)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"colour": 1}, "[topics] colour: unknown key; the keys are count, min_size"),
        ({"count": 0}, "[topics] count = 0 must be a whole number from 1 to 50"),
        ({"count": 2.5}, "[topics] count = 2.5 must be a whole number from 1 to 50"),
        ({"count": True}, "[topics] count = True must be a whole number from 1 to 50"),
        ({"min_size": 0}, "[topics] min_size = 0 must be a whole number from 1 to 10000"),
        ({"stop_words": "亲"}, "[topics] stop_words must be a list of words"),
        ({"sentiment": "best"}, "[topics] sentiment = 'best': use auto, fitted, shipped"),
        ({"holdout": 0.9}, "[topics] holdout = 0.9: give the share of labelled comments"),
        ({"holdout": "20%"}, "[topics] holdout = '20%': give the share"),
        ({"positive_rating": "4"}, "[topics] positive_rating = '4' must be a number"),
        (
            {"positive_rating": 3, "negative_rating": 3},
            "[topics] negative_rating (3) must be below positive_rating (3)",
        ),
    ],
)
def test_bad_settings_name_the_key_and_what_is_allowed(section, message):
    with pytest.raises(ConfigError) as error:
        check_settings(section)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("冰箱不制冷，报修后一直没人上门。", "zh"),
        ("Fridge 不制冷", "zh"),  # 3 CJK characters against 1 Latin word
        ("the WeChat 客服 was slow", "en"),  # 2 CJK characters against 3 Latin words
        ("Refund requested ten days ago, still nothing.", "en"),
        ("客服态度很差 <script>alert(1)</script>", "zh"),  # 6 characters against 3 words
        ("👍👍", "en"),
        ("", "en"),
    ],
)
def test_language_is_zh_where_cjk_characters_outnumber_latin_words(text, language):
    assert detect_language(pd.Series([text])).tolist() == [language]


def test_a_stated_language_wins_and_unknown_ones_fall_back_to_the_text():
    texts = pd.Series(["很好", "very good", "很好", "very good", "很好"])
    given = pd.Series(["en-US", "zh-CN", None, "fr", "English"])
    assert detect_language(texts, given).tolist() == ["en", "zh", "zh", "en", "en"]


def test_a_chinese_sentence_becomes_jieba_words_without_stop_words():
    # jieba: 我 的 洗衣机 漏水 了 ， 客服 也 不 回复 (不 is a negation word)
    words = tokens("我的洗衣机漏水了，客服也不回复", "zh", stop_words())
    assert words == ["洗衣机", "漏水", "客服", "回复"]


@pytest.mark.parametrize(
    ("text", "language", "kept"),
    [
        ("还行吧，就是有点慢。", "zh", []),  # jieba: 还行 吧 ， 就是 有点 慢 。
        (
            "问题解决了，但过程一般。",
            "zh",
            ["问题", "解决", "过程"],
        ),  # 问题 解决 了 ， 但 过程 一般 。
        (
            "说解决了，其实根本没解决。",
            "zh",
            ["解决", "解决"],
        ),  # 说 解决 了 ， 其实 根本 没 解决 。
        ("OK in the end, but slow.", "en", []),
        ("Took two days to get an answer", "en", ["days", "answer"]),
    ],
)
def test_words_that_judge_grade_deny_or_fill_leave_topics(text, language, kept):
    assert tokens(text, language, stop_words()) == kept


def test_content_words_are_chinese_nouns_and_verbs_and_never_judging_words():
    # jieba.posseg tags alone: 回复 v, 邮件 n, 便宜 a, 半小时 b; 一般 and 根本 are judging words
    words = ["回复", "邮件", "便宜", "半小时", "一般", "根本"]
    assert content_words(words, "zh") == [True, True, False, False, False, False]
    assert content_words(["refund", "slow", "the", "queue"], "en") == [True, False, False, True]


def test_without_a_stop_list_only_punctuation_goes():
    # jieba: 快递 三天 都 没 送到 ！
    assert tokens("快递三天都没送到！", "zh") == ["快递", "三天", "都", "没", "送到"]


def test_english_words_are_lower_cased_and_stop_words_dropped():
    words = tokens("The Phone line was BUSY every time I called!", "en", stop_words())
    assert words == ["phone", "line", "busy", "called"]  # "time" is a filler word


def test_feeling_words_and_extra_stop_words_leave_topics():
    words = tokens(
        "Very disappointed, the invoice was wrong. Please improve", "en", stop_words(["Invoice"])
    )
    assert words == ["wrong"]


def test_tokenised_keeps_the_index_and_cuts_repeats_alike():
    texts = pd.Series(["退款很慢", "Refund is slow", "退款很慢"], index=[10, 11, 12])
    languages = pd.Series(["zh", "en", "zh"], index=[10, 11, 12])
    cut = tokenised(texts, languages, stop_words())
    # jieba: 退款 很 慢 (很 is a stop word, 慢 a judging word); "is" is an English stop
    # word, "slow" a judging one
    assert cut.to_dict() == {10: "退款", 11: "refund", 12: "退款"}


def test_the_chinese_stop_list_holds_function_words_only():
    assert {"的", "了", "是", "我们"} <= CHINESE_STOP_WORDS
    assert not {"慢", "退款", "快递", "不", "没"} & CHINESE_STOP_WORDS
    assert {"慢", "不", "没", "一般", "有点", "还行", "不错", "根本"} <= stop_words()


def test_every_phrase_of_the_view_is_in_both_languages():
    for key, phrases in WORDS.items():
        assert set(phrases) == {"en", "zh"}, key
        assert all(text.strip() for text in phrases.values()), key


def test_both_languages_of_a_phrase_take_the_same_placeholders():
    import string

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, phrases in WORDS.items():
        assert fields(phrases["en"]) == fields(phrases["zh"]), key
