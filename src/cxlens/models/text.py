"""Customers' own words as model input: language, tokens and the ``[topics]`` settings.

A comment is Chinese (``zh``) when its CJK characters outnumber its Latin words, else
English (``en``); a language recorded with the comment (``comments.language``) wins.
Counting Chinese *characters* against English *words* puts the two on a similar footing:
a Chinese word is one to three characters, so "Fridge 不制冷" reads as Chinese and "the
WeChat 客服 was slow" as English.

Chinese is cut into words by jieba's dictionary model (a comment has no spaces to split
on); English into lower-case words. Stop words (function words such as 的/了/是 and
"the/was/and") and words of feeling or request ("非常失望", "please improve") carry no
theme, so topic models drop them; sentiment models keep them, since 不 and "not" turn a
sentence around. The English list is scikit-learn's; jieba
ships none for Chinese, so the short Chinese list below is written here.

jieba logs its dictionary loading to stderr on first use; the first call here sets its
logger to warnings only, so commands print data and nothing else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cxlens.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
LATIN_WORD = r"[A-Za-z]+"
ENGLISH_WORD = re.compile(r"[a-z][a-z0-9']*[a-z0-9]|[a-z]")
# a token worth keeping holds a CJK character or a Latin letter (no punctuation, digits,
# emoji or spaces)
MEANINGFUL = re.compile(rf"{CJK}|[a-z]")

CHINESE_STOP_WORDS = frozenset(
    """
    的 地 得 了 着 过 是 在 有 和 与 及 或 而 并 也 都 就 还 又 再 才 只 很 太 更 最 挺
    我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 这 那 这个 那个 这些 那些 这样
    那样 这次 那次 这里 那里 一个 一下 一些 一点 一直 一样 个 些 种 次 把 被 让 给 对 从
    到 向 往 为 为了 因为 所以 但 但是 可是 不过 如果 虽然 还是 而且 然后 就是 只是 已经
    吗 呢 吧 啊 呀 哦 嗯 哈 啦 么 嘛 呗 哇 什么 怎么 怎么样 为什么 哪 哪里 多少 可以 能 会
    要 想 去 来 上 下 里 中 说 做 用 比 等 之 其 其实 总的来说 说实话 总之 另外 还有 以及
    """.split()
)
# Words that voice a feeling or a request but name no theme ("please improve", "非常失望"):
# the sentiment model reads them, topic models leave them out with the stop words.
FEELING_WORDS = frozenset(
    """
    希望 改进 改善 请 尽快 麻烦 谢谢 感谢 点赞 满意 不满意 失望 非常 特别 真的 真是 实在 总体
    please improve improvement room honestly disappointed disappointing overall thanks thank
    great job good bad very really sort
    """.split()
)
# Words that judge, grade, deny or fill ("一般", "有点", "还行", "不错", "没", "根本", "slow",
# "ok", "though"): they say how a customer feels about something or how much, never what
# the something is, so a topic named by them ("一般 / 过程 / 解决") gives a manager nothing to
# act on. Topic models leave them out; the sentiment model keeps them.
JUDGING_WORDS = frozenset(
    """
    一般 还行 还好 凑合 不错 挺好 很好 好 差 太差 很差 糟糕 慢 太慢 很慢 快 很快 行 合理 不合理
    正常 专业 耐心 顺畅 靠谱 贴心 省心 满意 清楚 好用 实惠 完好 麻烦 太麻烦 折腾 太折腾 有待 提高
    有点 有些 有点儿 比较 稍微 十分 极其 相当 完全 根本 其实 就是 反正 结果 终于 居然 竟然 总算
    好像 感觉 觉得 算是 而已 似乎 确实 好几 好几次 几次 每次 总是 老是 一直 又 再次 多次
    不 没 没有 别 未 无 不是 不能 不会 没人 也不 都没 从来 不到 不了 不说
    ok okay fine slow slower slowly fast faster quick quickly poor terrible awful horrible
    nice polite rude kind friendly helpful patient professional useless annoying
    far too quite rather bit little lot still just even ever never though while
    way end actually basically literally simply time times
    take takes took taking go goes going went got gets getting does did doing come comes came
    say says said tell told hear heard
    """.split()
)
# jieba's part-of-speech tags (ICTCLAS style) of the words a topic may be named by: nouns
# (n, nr, ns, nt, nz, ng), verbal nouns and verbs (vn, v, vd, vi, vg), abbreviations (j).
CONTENT_TAGS = ("n", "v", "j")
DEFAULTS: dict[str, Any] = {
    "count": 8,
    "min_size": 5,
    "keywords": 8,
    "stop_words": [],
    "sentiment": "auto",
    "holdout": 0.2,
    "min_labelled": 100,
    "positive_rating": 4.0,
    "negative_rating": 2.0,
}
SENTIMENT_CHOICES = ("auto", "fitted", "shipped")
_QUIET = [False]


def check_settings(section: dict[str, Any]) -> dict[str, Any]:
    """The ``[topics]`` section completed with defaults; a ConfigError for a bad key or value.

    ``count`` topics per language, ``min_size`` comments for a topic to be shown,
    ``keywords`` terms shown per topic, ``stop_words`` extra words to leave out of
    topics, ``sentiment`` (auto: the fitted model where it beats the shipped one on
    held-out comments), ``holdout`` (share of labelled comments kept out of the fit),
    ``min_labelled`` (labelled comments needed to fit), ``positive_rating`` and
    ``negative_rating`` (the ratings of ``comments`` that label a review positive or
    negative; those between stay unlabelled).
    """
    unknown = sorted(set(section) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"[topics] {unknown[0]}: unknown key; the keys are {', '.join(DEFAULTS)}")
    checked = {**DEFAULTS, **section}
    _integer(checked, "count", 1, 50)
    _integer(checked, "min_size", 1, 10_000)
    _integer(checked, "keywords", 3, 30)
    _integer(checked, "min_labelled", 20, 10_000_000)
    words = checked["stop_words"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConfigError('[topics] stop_words must be a list of words, such as ["亲", "hi"]')
    if checked["sentiment"] not in SENTIMENT_CHOICES:
        raise ConfigError(
            f"[topics] sentiment = {checked['sentiment']!r}: use {', '.join(SENTIMENT_CHOICES)}"
        )
    holdout = checked["holdout"]
    if isinstance(holdout, bool) or not isinstance(holdout, int | float):
        holdout = None
    if holdout is None or not 0.05 <= holdout <= 0.5:
        raise ConfigError(
            f"[topics] holdout = {checked['holdout']!r}: give the share of labelled comments "
            "kept out of the fit to measure accuracy, between 0.05 and 0.5"
        )
    for key in ("positive_rating", "negative_rating"):
        value = checked[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"[topics] {key} = {value!r} must be a number (a rating)")
        checked[key] = float(value)
    if checked["negative_rating"] >= checked["positive_rating"]:
        raise ConfigError(
            f"[topics] negative_rating ({checked['negative_rating']:g}) must be below "
            f"positive_rating ({checked['positive_rating']:g})"
        )
    checked["holdout"] = float(holdout)
    return checked


def _integer(section: dict[str, Any], key: str, low: int, high: int) -> None:
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"[topics] {key} = {value!r} must be a whole number from {low} to {high}")


def detect_language(texts: pd.Series, given: pd.Series | None = None) -> pd.Series:
    """``zh`` or ``en`` per text (see the module docstring); ``given`` (zh/en) wins where set.

    A given value such as ``zh-CN`` or ``Chinese`` counts as zh, ``en-US`` as en; any
    other value is ignored and the text decides.
    """
    import numpy as np
    import pandas as pd

    texts = texts.fillna("").astype(str)
    cjk = texts.str.count(CJK)
    latin = texts.str.count(LATIN_WORD)
    detected = pd.Series(np.where((cjk > 0) & (cjk >= latin), "zh", "en"), index=texts.index)
    if given is None:
        return detected
    stated = given.astype("string").str.strip().str.lower()
    stated = stated.where(~stated.str.match(r"^(zh|chinese|中文|cn)", na=False), "zh")
    stated = stated.where(~stated.str.match(r"^(en|english|英文)", na=False), "en")
    return stated.where(stated.isin(LANGUAGES), detected).astype(object)


def stop_words(extra: Iterable[str] = ()) -> frozenset[str]:
    """Words topic models leave out: Chinese and English stop words, words of feeling or
    request (``FEELING_WORDS``) and words that judge, grade, deny or fill
    (``JUDGING_WORDS``), none of which names a theme, and ``extra`` (lower-cased)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    extra_words = {w.strip().lower() for w in extra}
    return CHINESE_STOP_WORDS | ENGLISH_STOP_WORDS | FEELING_WORDS | JUDGING_WORDS | extra_words


def content_words(words: Iterable[str], language: str) -> list[bool]:
    """Per word, whether it can name a topic: a noun or verb (jieba's part-of-speech tag of
    the word alone) for zh; for en, which has no tagger among cxlens's packages, any word
    outside ``stop_words()``. A stop or judging word is never a content word."""
    drop = stop_words()
    if language != "zh":
        return [w not in drop for w in words]
    import jieba.posseg

    _jieba()
    tagged = []
    for w in words:
        flags = [pair.flag for pair in jieba.posseg.lcut(w)]
        tagged.append(w not in drop and any(f.startswith(CONTENT_TAGS) for f in flags))
    return tagged


def tokens(text: str, language: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """The words of one text: jieba's for zh, lower-case words for en, without ``drop``.

    Punctuation, digits and emoji are left out; a Chinese text's Latin words come out
    lower-cased, as jieba keeps them whole.
    """
    text = text.lower()
    if language == "zh":
        words = (word.strip() for word in _jieba().lcut(text))
    else:
        words = iter(ENGLISH_WORD.findall(text))
    return [w for w in words if w and w not in drop and MEANINGFUL.search(w)]


def tokenised(
    texts: pd.Series, languages: pd.Series, drop: frozenset[str] = frozenset()
) -> pd.Series:
    """Each text's tokens joined by spaces, ready for a whitespace vectoriser.

    jieba cuts one string at a time, so each distinct (text, language) pair is cut
    once and the result mapped back: survey comments repeat a great deal.
    """
    import pandas as pd

    pairs = pd.DataFrame({"text": texts.fillna("").astype(str), "language": languages})
    distinct = pairs.drop_duplicates()
    cut = [
        " ".join(tokens(text, language, drop))
        for text, language in zip(distinct["text"], distinct["language"], strict=True)
    ]
    distinct = distinct.assign(tokens=cut)
    joined = pairs.merge(distinct, on=["text", "language"], how="left")
    return pd.Series(joined["tokens"].to_numpy(), index=texts.index, dtype=object)


def weekly_topic_negatives(warehouse: Any, settings: Any, scope: Any) -> pd.DataFrame:
    """Per ISO week and complaint topic: negative and all comments in ``scope``.

    Columns week (``2024-W10``), topic (its label), negative, total; the alerts' rule "a
    topic's negative volume doubled" reads it. See ``cxlens.models.topics``.
    """
    from cxlens.models.topics import weekly_topic_negatives as weekly

    return weekly(warehouse, settings, scope)


def _jieba() -> Any:
    """jieba, with its start-up messages silenced the first time."""
    import jieba

    if not _QUIET[0]:
        jieba.setLogLevel(logging.WARNING)
        _QUIET[0] = True
    return jieba
