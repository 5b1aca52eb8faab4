"""What customers say, as a reader sees it: complaint topics and sentiment, in zh or en.

``topics_view`` turns ``cxlens.models.topics`` (every comment with its sentiment and
complaint topic) into sentences naming the topics to act on first, with their size,
negative share and change against the previous period of the same length, and where
they come from (channel, category); tables of the topics (keywords, examples, monthly
trend), of the negative topics per channel and per category, and of the sentiment
model's held-out accuracy; and charts of the topics' sizes and of the top negative
topics month by month. The models learn from the whole history; the window and filters
choose which comments are counted.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import WarehouseError
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title
from cxlens.insights.labels import dimension_value
from cxlens.models.topics import CommentAnalysis, analysed, in_scope

if TYPE_CHECKING:
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

# months of counts in the topics table's trend, and in the trend chart
TREND_MONTHS = 6
CHART_MONTHS = 12
# negative topics drawn in the trend chart, topics in the size chart, per dimension value
CHART_TOPICS = 5
SIZE_TOPICS = 12
TOPICS_PER_GROUP = 3
EXAMPLES = 3
# shortest comments per topic looked at to find EXAMPLES distinct ones
CANDIDATES = 30
# an example shorter than this many characters rarely says what went wrong
MIN_EXAMPLE_CHARS = 6

WORDS: dict[str, dict[str, str]] = {
    "largest": {
        "en": "“{label}” is the largest negative topic: {comments}, {share} "
        "negative{change}{where}.",
        "zh": "“{label}”是最大的负面话题：{comments}，{share} 为负面{change}{where}。",
    },
    "up_from": {
        "en": ", up from {previous} in the previous period",
        "zh": "，上一期为 {previous} 条，有所增加",
    },
    "down_from": {
        "en": ", down from {previous} in the previous period",
        "zh": "，上一期为 {previous} 条，有所减少",
    },
    "same_as": {"en": ", as many as in the previous period", "zh": "，与上一期持平"},
    "most_on": {"en": "; most on the {channel} channel", "zh": "；主要来自{channel}渠道"},
    "and_in": {"en": " and in {category}", "zh": "、{category}类工单"},
    "most_in": {"en": "; most in {category}", "zh": "；主要集中在{category}类工单"},
    "next": {"en": "Next come {topics}.", "zh": "其次是{topics}。"},
    "next_item": {
        "en": "“{label}” ({negative})",
        "zh": "“{label}”（{negative}）",
    },
    "and": {"en": " and ", "zh": "和"},
    "rising": {
        "en": "“{label}” grew fastest: {negative}, up from {previous} in the previous period.",
        "zh": "增长最快的是“{label}”：{negative}，上一期为 {previous} 条。",
    },
    "comments_n": {"en": "{n} comments", "zh": "{n} 条评论"},
    "comment_one": {"en": "{n} comment", "zh": "{n} 条评论"},
    "negative_n": {"en": "{n} negative comments", "zh": "{n} 条负面评论"},
    "negative_one": {"en": "{n} negative comment", "zh": "{n} 条负面评论"},
    "sep": {"en": "; ", "zh": "；"},
    "no_model_needed": {
        "en": "Every comment here carries a score, so no sentiment model was needed; as a "
        "check, {models}.",
        "zh": "这里每条评论都带有评分，无需情感模型判断；作为检验，{models}。",
    },
    "model_read": {
        "en": "{language} ({read} without a score)",
        "zh": "{language}（无评分的 {read}）",
    },
    "no_topic": {
        "en": "No comment in these dates and filters falls into a topic.",
        "zh": "所选日期和筛选条件下，没有评论归入任何话题。",
    },
    "covering": {
        "en": "comments {window}; models learned from all {total} comments",
        "zh": "评论：{window}；模型基于全部 {total} 条评论学习",
    },
    "shipped_zh": {"en": "SnowNLP (its bundled review model)", "zh": "SnowNLP（自带的评论模型）"},
    "shipped_en": {"en": "VADER (its bundled lexicon)", "zh": "VADER（自带的情感词典）"},
    "sentiment_line": {
        "en": "Sentiment where no score says it: {models}.",
        "zh": "无评分的评论由模型判断情感：{models}。",
    },
    "model_fitted": {
        "en": "{language}: the model fitted on your labelled comments ({accuracy} right on "
        "{heldout} held-out comments; {shipped} {shipped_accuracy})",
        "zh": "{language}：基于贵方已标注评论拟合的模型（留出的 {heldout} 条评论中判对 {accuracy}；"
        "{shipped}为 {shipped_accuracy}）",
    },
    "model_shipped": {
        "en": "{language}: {shipped} ({shipped_accuracy} right on {heldout} held-out "
        "comments; the fitted model {accuracy})",
        "zh": "{language}：{shipped}（留出的 {heldout} 条评论中判对 {shipped_accuracy}；"
        "拟合模型为 {accuracy}）",
    },
    "model_only_shipped": {"en": "{language}: {shipped}", "zh": "{language}：{shipped}"},
    "zh": {"en": "Chinese", "zh": "中文"},
    "en": {"en": "English", "zh": "英文"},
    "fitted": {"en": "fitted on your comments", "zh": "基于贵方评论拟合"},
    "shipped": {"en": "shipped", "zh": "内置"},
    "none": {"en": "none", "zh": "无"},
    "no_negative": {
        "en": "No negative comment in these dates and filters falls into a complaint topic.",
        "zh": "所选日期和筛选条件下，没有负面评论归入任何投诉话题。",
    },
    "col_topic": {"en": "Topic", "zh": "话题"},
    "col_language": {"en": "Language", "zh": "语言"},
    "col_keywords": {"en": "Keywords", "zh": "关键词"},
    "col_comments": {"en": "Comments", "zh": "评论数"},
    "col_negative": {"en": "Negative comments", "zh": "负面评论数"},
    "col_negative_share": {"en": "Negative share", "zh": "负面占比"},
    "col_previous": {"en": "Comments, previous period", "zh": "上一期评论数"},
    "col_trend": {"en": "Comments by month ({months})", "zh": "每月评论数（{months}）"},
    "col_examples": {"en": "Examples", "zh": "示例评论"},
    "col_channel": {"en": "Channel", "zh": "渠道"},
    "col_category": {"en": "Category", "zh": "类别"},
    "col_group_share": {"en": "Share of its negative comments", "zh": "占该组负面评论"},
    "col_model": {"en": "Model used", "zh": "使用的模型"},
    "col_heldout": {"en": "Held-out comments", "zh": "留出评论数"},
    "col_fitted_accuracy": {"en": "Fitted model accuracy", "zh": "拟合模型准确率"},
    "col_shipped_model": {"en": "Shipped model", "zh": "内置模型"},
    "col_shipped_accuracy": {"en": "Shipped model accuracy", "zh": "内置模型准确率"},
    "topics_title": {
        "en": "Complaint topics, most negative comments first",
        "zh": "投诉话题（按负面评论数排序）",
    },
    "topics_note": {
        "en": "A comment counts in the topic it is most about, if it uses one of its "
        "keywords; examples are the shortest negative comments of the topic. {negative}",
        "zh": "评论归入其最相关且包含该话题关键词的话题；示例为该话题中最短的负面评论。{negative}",
    },
    "negative_means": {
        "en": "Negative means CSAT in the bottom boxes (1–2 on a 1–5 scale), NPS 0–6 or a "
        "review rated {rating} or less; neutral scores (CSAT 3, NPS 7–8, ratings between) "
        "are not negative, and only comments without a score are read by the sentiment "
        "model.",
        "zh": "负面指 CSAT 处于最低档（1–5 分制中的 1–2 分）、NPS 0–6 分或评价星级不高于 {rating}；"
        "中性评分（CSAT 3 分、NPS 7–8 分、介于两者之间的星级）不算负面，只有无评分的评论由情感模型判断。",
    },
    "by_title": {"en": "Negative topics by {dimension}", "zh": "各{dimension}的负面话题"},
    "by_note": {
        "en": "The {top} topics with the most negative comments in each {dimension}.",
        "zh": "每个{dimension}中负面评论最多的 {top} 个话题。",
    },
    "channel": {"en": "channel", "zh": "渠道"},
    "category": {"en": "category", "zh": "类别"},
    "sentiment_title": {
        "en": "Sentiment model: held-out accuracy",
        "zh": "情感模型：留出样本准确率",
    },
    "sentiment_note": {
        "en": "Held-out comments were kept out of the fit; both models were scored on the "
        "same ones. A comment with a CSAT or NPS score is labelled by it.",
        "zh": "留出的评论不参与拟合，两个模型在同一批评论上评估。带有 CSAT 或 NPS 评分的评论"
        "以评分为准。",
    },
    "sizes_title": {"en": "Comments per topic", "zh": "各话题评论数"},
    "negative_bar": {"en": "negative", "zh": "负面"},
    "other_bar": {"en": "positive or neutral", "zh": "正面或中性"},
    "trend_title": {
        "en": "Negative comments per month, top topics",
        "zh": "主要负面话题的每月负面评论数",
    },
    "axis_month": {"en": "Month", "zh": "月份"},
    "axis_comments": {"en": "Comments", "zh": "评论数"},
    "axis_negative": {"en": "Negative comments", "zh": "负面评论数"},
    "method": {
        "en": "Topics: NMF on the TF-IDF of the negative comments' words (jieba for "
        "Chinese; stop words, words of feeling, degree, negation or filler, and words spread "
        "evenly over all topics left out), up to {count} per language, learned from all "
        "{total} comments to {end}; a topic learned from fewer than {min_size} negative "
        "comments is dropped; keywords are ranked by class-based TF-IDF (how distinctive of "
        "the topic), and a topic is named by its most distinctive nouns and verbs. "
        "Sentiment: a comment's own CSAT or NPS score (or review rating) where it has "
        "one, else the model per language below. {negative} Counted: {window}; trends "
        "cover the {months} months to {last}.",
        "zh": "话题：对负面评论的词语（中文用 jieba 分词；去除停用词、表达情绪、程度、否定的词和"
        "口头语，以及均匀分布于各话题的词）做 TF-IDF 后以 NMF 分解，"
        "每种语言最多 {count} 个，基于截至 {end} 的全部 {total} 条评论学习；"
        "由少于 {min_size} 条负面评论学得的话题不显示；关键词按类别 TF-IDF（对该话题的区分度）排序，"
        "话题以区分度最高的名词和动词命名。情感：以评论自带的 CSAT、NPS 评分（或评价星级）"
        "为准，否则用下表中该语言的模型判断。{negative}统计范围：{window}；趋势为截至 {last} 的 "
        "{months} 个月。",
    },
    "all_dates": {"en": "all dates", "zh": "全部日期"},
    "dates": {"en": "{first} to {last}", "zh": "{first} 至 {last}"},
    "no_comments_in_scope": {
        "en": "no comment in these dates and filters: widen the dates or drop a filter",
        "zh": "所选日期和筛选条件下没有评论：请放宽日期或去掉筛选条件",
    },
}


def word(key: str, lang: str, **values: Any) -> str:
    """The phrase ``key`` in ``lang`` (zh or en), placeholders filled from ``values``."""
    return WORDS[key]["zh" if lang == "zh" else "en"].format(**values)


def counted(n: int, kind: str, lang: str) -> str:
    """``n`` comments (``kind`` "comments") or negative comments (``kind`` "negative") in
    ``lang``: "1 comment", "2 comments", "3 条评论"."""
    key = {"comments": ("comment_one", "comments_n"), "negative": ("negative_one", "negative_n")}
    return word(key[kind][0] if n == 1 else key[kind][1], lang, n=f"{n:,}")


def topics_view(warehouse: Warehouse, settings: Settings, lang: str, scope: Scope) -> ActionView:
    """What customers complain about in ``scope``, what changed, and where it comes from."""
    analysis = analysed(warehouse, settings)
    current, topics = scoped_topics(analysis, scope, lang)
    by_channel = negative_by(current, analysis.topics, "channel")
    by_category = negative_by(current, analysis.topics, "category")
    view = ActionView(key="topics", title=action_title("topics", lang), lang=lang)
    view.lines = _lines(topics, by_channel, by_category, analysis, current, scope, lang)
    view.tables = []
    if topics.empty:
        view.lines.insert(0, word("no_topic", lang))
    else:
        view.tables.append(_topics_table(topics, scope, settings, lang))
    for dimension, frame in (("channel", by_channel), ("category", by_category)):
        if frame[dimension].notna().any():
            view.tables.append(_by_table(frame, dimension, lang))
    if analysis.sentiment is not None:
        view.tables.append(_sentiment_table(analysis, lang))
    view.figures = [_sizes_figure(topics, lang), _trend_figure(analysis, scope, lang)]
    view.method = _method(analysis, scope, settings, lang)
    view.covering = word(
        "covering", lang, window=_window(analysis, scope, lang), total=f"{len(analysis.comments):,}"
    )
    return view


def scoped_topics(
    analysis: CommentAnalysis, scope: Scope, lang: str = "en"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comments in ``scope`` and their ``topic_table``; a WarehouseError when none is."""
    current = in_scope(analysis.comments, scope)
    if current.empty:
        raise WarehouseError(word("no_comments_in_scope", lang))
    return current, topic_table(analysis, current, previous_comments(analysis, scope), scope)


def topic_table(
    analysis: CommentAnalysis, current: pd.DataFrame, previous: pd.DataFrame | None, scope: Scope
) -> pd.DataFrame:
    """Per topic with comments in ``current``: topic, label, language, keywords, comments,
    negative, negative_share, previous (comments in the period before, NA without one),
    trend (comments per month, text) and examples; most negative comments first."""
    placed = current[current["topic"].notna()]
    counts = placed.groupby("topic").agg(comments=("text", "size"), negative=("negative", "sum"))
    frame = analysis.topics.drop(columns="size").merge(counts, left_on="topic", right_index=True)
    frame["negative"] = frame["negative"].astype("int64")
    frame["negative_share"] = frame["negative"] / frame["comments"]
    if previous is None:
        frame["previous"] = pd.NA
    else:
        before = previous[previous["topic"].notna()].groupby("topic").size()
        frame["previous"] = frame["topic"].map(before).fillna(0).astype("int64")
    monthly = _monthly(analysis, scope, TREND_MONTHS)["all"]
    frame["trend"] = frame["topic"].map(
        lambda t: " · ".join(str(int(v)) for v in monthly.get(t, pd.Series(0, monthly.index)))
    )
    frame["examples"] = frame["topic"].map(_examples(placed)).fillna("")
    frame = frame.sort_values(["negative", "comments", "topic"], ascending=[False, False, True])
    return frame.reset_index(drop=True)


def negative_by(comments: pd.DataFrame, topics: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Negative comments per ``dimension`` value and topic: dimension, topic, label, negative,
    group_negative (all negative comments of that value, topic or not) and share; the
    ``TOPICS_PER_GROUP`` largest topics per value, values with most negatives first."""
    negative = comments[comments["negative"]]
    group_total = negative.groupby(dimension, dropna=False).size().rename("group_negative")
    placed = negative[negative["topic"].notna()]
    counts = placed.groupby([dimension, "topic"], dropna=False).size().rename("negative")
    frame = counts.reset_index().merge(group_total.reset_index(), on=dimension, how="left")
    frame["share"] = frame["negative"] / frame["group_negative"]
    frame = frame.merge(topics[["topic", "label"]], on="topic", how="left")
    frame = frame.sort_values(
        ["group_negative", dimension, "negative", "topic"], ascending=[False, True, False, True]
    )
    frame = frame.groupby(dimension, dropna=False, sort=False).head(TOPICS_PER_GROUP)
    columns = [dimension, "topic", "label", "negative", "group_negative", "share"]
    return frame[columns].reset_index(drop=True)


def previous_comments(analysis: CommentAnalysis, scope: Scope) -> pd.DataFrame | None:
    """The comments of the period just before the window, as long, same filters."""
    if scope.first is None or scope.last is None:
        return None
    days = (scope.last - scope.first).days + 1
    before = Scope(
        (scope.first - timedelta(days=days), scope.first - timedelta(days=1)), scope.filters
    )
    return in_scope(analysis.comments, before)


def _monthly(analysis: CommentAnalysis, scope: Scope, months: int) -> dict[str, pd.DataFrame]:
    """All and negative comments per month (columns: topic, rows: the ``months`` months to
    the window's end, or to the last comment), with the scope's filters."""
    comments = analysis.comments
    end = scope.last or comments["posted_at_local"].max().date()
    first = (pd.Timestamp(end).to_period("M") - (months - 1)).start_time.date()
    span = in_scope(comments, Scope((first, end), scope.filters))
    span = span[span["topic"].notna()]
    grid = pd.period_range(pd.Timestamp(first), pd.Timestamp(end), freq="M").astype(str)
    month = span["posted_at_local"].dt.strftime("%Y-%m")
    result = {}
    for name, rows in (("all", span), ("negative", span[span["negative"]])):
        table = rows.groupby([month[rows.index], rows["topic"]]).size().unstack(fill_value=0)
        result[name] = table.reindex(grid, fill_value=0)
    return result


def _examples(placed: pd.DataFrame) -> pd.Series:
    """Per topic, its ``EXAMPLES`` shortest distinct negative comments long enough to be
    clear, joined by " | " (its other comments where it has no negative one)."""
    text = placed["text"].str.replace(r"\s+", " ", regex=True).str.strip()
    pool = placed.assign(text=text, length=text.str.len())
    pool = pool[pool["length"] >= MIN_EXAMPLE_CHARS]
    has_negative = pool.groupby("topic")["negative"].transform("any").astype(bool)
    pool = pool[pool["negative"] | ~has_negative]
    pool = pool.sort_values(["topic", "length", "text"])
    pool = pool.drop_duplicates(["topic", "text"]).groupby("topic").head(CANDIDATES)
    return pool.groupby("topic")["text"].agg(_distinct_examples)


def _distinct_examples(texts: pd.Series) -> str:
    """The first ``EXAMPLES`` texts (shortest first) that do not merely repeat a shorter
    one chosen before with an opener or closer around it."""
    chosen: list[str] = []
    for text in texts:
        if not any(core(shorter) in text for shorter in chosen):
            chosen.append(text)
        if len(chosen) == EXAMPLES:
            break
    return " | ".join(chosen)


def core(text: str) -> str:
    """A text without its closing punctuation, so that "slow." matches "slow. Thanks"."""
    return text.rstrip("。.!！?？~～ ")


def _lines(
    topics: pd.DataFrame,
    by_channel: pd.DataFrame,
    by_category: pd.DataFrame,
    analysis: CommentAnalysis,
    current: pd.DataFrame,
    scope: Scope,
    lang: str,
) -> list[str]:
    """The largest negative topic with its change and sources, the next two, the fastest
    riser, and which sentiment model read the unscored comments."""
    negative = topics[topics["negative"] > 0]
    if negative.empty:
        return [word("no_negative", lang), *_sentiment_line(analysis, current, lang)]
    top = negative.iloc[0]
    lines = [
        word(
            "largest",
            lang,
            label=top["label"],
            comments=counted(int(top["comments"]), "comments", lang),
            share=f"{top['negative_share']:.0%}",
            change=_change(top, lang),
            where=_where(top["topic"], by_channel, by_category, lang),
        )
    ]
    following = [
        word("next_item", lang, label=row.label, negative=counted(row.negative, "negative", lang))
        for row in negative.iloc[1:3].itertuples()
    ]
    if following:
        lines.append(word("next", lang, topics=word("and", lang).join(following)))
    riser = _riser(analysis, scope, negative)
    if riser is not None and riser["topic"] != top["topic"]:
        lines.append(
            word(
                "rising",
                lang,
                label=riser["label"],
                negative=counted(int(riser["negative"]), "negative", lang),
                previous=f"{riser['previous']:,}",
            )
        )
    return lines + _sentiment_line(analysis, current, lang)


def _change(row: pd.Series, lang: str) -> str:
    if pd.isna(row["previous"]):
        return ""
    previous = int(row["previous"])
    if row["comments"] == previous:
        return word("same_as", lang)
    return word(
        "up_from" if row["comments"] > previous else "down_from", lang, previous=f"{previous:,}"
    )


def _where(topic: str, by_channel: pd.DataFrame, by_category: pd.DataFrame, lang: str) -> str:
    """Where a topic's negative comments come from most: its top channel and category."""

    def top(frame: pd.DataFrame, dimension: str) -> str | None:
        rows = frame[(frame["topic"] == topic) & frame[dimension].notna()]
        if rows.empty:
            return None
        best = rows.sort_values(["negative", dimension], ascending=[False, True]).iloc[0]
        return dimension_value(dimension, best[dimension], lang)

    channel, category = top(by_channel, "channel"), top(by_category, "category")
    if channel and category:
        return word("most_on", lang, channel=channel) + word("and_in", lang, category=category)
    if channel:
        return word("most_on", lang, channel=channel)
    return word("most_in", lang, category=category) if category else ""


def _riser(analysis: CommentAnalysis, scope: Scope, negative: pd.DataFrame) -> pd.Series | None:
    """The topic whose negative comments grew most against the previous period (None
    without a previous period or growth)."""
    previous = previous_comments(analysis, scope)
    if previous is None:
        return None
    before = previous[previous["negative"] & previous["topic"].notna()].groupby("topic").size()
    growth = negative.assign(previous=negative["topic"].map(before).fillna(0).astype("int64"))
    growth = growth.assign(gain=growth["negative"] - growth["previous"])
    growth = growth[growth["gain"] > 0].sort_values(["gain", "topic"], ascending=[False, True])
    return None if growth.empty else growth.iloc[0]


def _sentiment_line(analysis: CommentAnalysis, current: pd.DataFrame, lang: str) -> list[str]:
    """One sentence: per language, how many comments of the scope the model read (those
    without a score, neutral scores aside) and which model, with its held-out accuracy.
    Where every comment has a score the model read none: the sentence says so first and
    gives the accuracy only as a check."""
    read = current[current["label"].isna() & current["tone"].ne("neutral")]
    read_by_language = read.groupby("language").size()
    languages = sorted(set(analysis.comments["language"]), key=["zh", "en"].index)

    def named(language: str) -> str:
        """The language, with the comments the model read in it where it read any."""
        if read.empty:
            return word(language, lang)
        count = int(read_by_language.get(language, 0))
        return word(
            "model_read", lang, language=word(language, lang), read=counted(count, "comments", lang)
        )

    if analysis.sentiment is None:
        parts = [
            word("model_only_shipped", lang, language=named(x), shipped=_shipped(x, lang))
            for x in languages
        ]
    else:
        parts = []
        for row in analysis.sentiment.summary.itertuples(index=False):
            shipped_accuracy = (
                word("none", lang)
                if pd.isna(row.shipped_accuracy)
                else f"{row.shipped_accuracy:.0%}"
            )
            key = "model_fitted" if row.used == "fitted" else "model_shipped"
            parts.append(
                word(
                    key,
                    lang,
                    language=named(row.language),
                    accuracy=f"{row.fitted_accuracy:.0%}",
                    heldout=f"{row.heldout:,}",
                    shipped=_shipped(row.language, lang),
                    shipped_accuracy=shipped_accuracy,
                )
            )
    models = word("sep", lang).join(parts)
    return [word("no_model_needed" if read.empty else "sentiment_line", lang, models=models)]


def _shipped(language: str, lang: str) -> str:
    """The shipped model of ``language`` (zh or en), named in the reader's language."""
    return word(f"shipped_{language}", lang)


def negative_meaning(settings: Settings, lang: str) -> str:
    """One sentence: which scores make a comment negative, and that neutral ones do not."""
    from cxlens.models.text import check_settings

    rating = check_settings(dict(settings.topics or {}))["negative_rating"]
    return word("negative_means", lang, rating=f"{rating:g}")


def _topics_table(topics: pd.DataFrame, scope: Scope, settings: Settings, lang: str) -> ActionTable:
    months = f"{TREND_MONTHS}"
    columns = {
        "label": word("col_topic", lang),
        "language": word("col_language", lang),
        "keywords": word("col_keywords", lang),
        "comments": word("col_comments", lang),
        "negative": word("col_negative", lang),
        "negative_share": word("col_negative_share", lang),
        "previous": word("col_previous", lang),
        "trend": word("col_trend", lang, months=months),
        "examples": word("col_examples", lang),
    }
    if scope.first is None or scope.last is None:
        columns.pop("previous")
    frame = topics.assign(language=topics["language"].map(lambda x: word(x, lang)))
    frame = frame[list(columns)].rename(columns=columns)
    formats = {
        columns["comments"]: "count",
        columns["negative"]: "count",
        columns["negative_share"]: "percent",
    }
    if "previous" in columns:
        formats[columns["previous"]] = "count"
    return ActionTable(
        key="topics",
        title=word("topics_title", lang),
        frame=frame,
        formats=formats,
        note=word("topics_note", lang, negative=negative_meaning(settings, lang)),
    )


def _by_table(frame: pd.DataFrame, dimension: str, lang: str) -> ActionTable:
    columns = {
        dimension: word(f"col_{dimension}", lang),
        "label": word("col_topic", lang),
        "negative": word("col_negative", lang),
        "share": word("col_group_share", lang),
    }
    shown = frame.assign(
        **{dimension: frame[dimension].map(lambda v: dimension_value(dimension, v, lang))}
    )
    shown = shown[list(columns)].rename(columns=columns)
    name = word(dimension, lang)
    return ActionTable(
        key=f"topics_by_{dimension}",
        title=word("by_title", lang, dimension=name),
        frame=shown,
        formats={columns["negative"]: "count", columns["share"]: "percent"},
        note=word("by_note", lang, dimension=name, top=TOPICS_PER_GROUP),
    )


def _sentiment_table(analysis: CommentAnalysis, lang: str) -> ActionTable:
    summary = analysis.sentiment.summary
    frame = pd.DataFrame(
        {
            word("col_language", lang): summary["language"].map(lambda x: word(x, lang)),
            word("col_model", lang): summary["used"].map(lambda x: word(x, lang)),
            word("col_heldout", lang): summary["heldout"],
            word("col_fitted_accuracy", lang): summary["fitted_accuracy"],
            word("col_shipped_model", lang): summary["language"].map(lambda x: _shipped(x, lang)),
            word("col_shipped_accuracy", lang): summary["shipped_accuracy"],
        }
    )
    formats = {
        word("col_heldout", lang): "count",
        word("col_fitted_accuracy", lang): "percent",
        word("col_shipped_accuracy", lang): "percent",
    }
    return ActionTable(
        key="topics_sentiment",
        title=word("sentiment_title", lang),
        frame=frame,
        formats=formats,
        note=word("sentiment_note", lang),
    )


def _sizes_figure(topics: pd.DataFrame, lang: str) -> Any:
    """Horizontal bars per topic: negative and other comments, most negative on top."""
    import plotly.graph_objects as go

    shown = topics.head(SIZE_TOPICS).iloc[::-1]
    figure = go.Figure()
    figure.add_bar(
        y=shown["label"],
        x=shown["negative"],
        orientation="h",
        name=word("negative_bar", lang),
        marker_color="#c0392b",
    )
    figure.add_bar(
        y=shown["label"],
        x=shown["comments"] - shown["negative"],
        orientation="h",
        name=word("other_bar", lang),
        marker_color="#95a5a6",
    )
    figure.update_layout(
        title=word("sizes_title", lang),
        barmode="stack",
        xaxis={"title": word("axis_comments", lang)},
        legend={"orientation": "h"},
    )
    return figure


def _trend_figure(analysis: CommentAnalysis, scope: Scope, lang: str) -> Any:
    """Lines of negative comments per month for the topics with the most of them."""
    import plotly.graph_objects as go

    negative = _monthly(analysis, scope, CHART_MONTHS)["negative"]
    labels = analysis.topics.set_index("topic")["label"]
    top = negative.sum().sort_values(ascending=False).head(CHART_TOPICS).index
    figure = go.Figure()
    for topic in top:
        figure.add_scatter(
            x=list(negative.index),
            y=negative[topic],
            mode="lines+markers",
            name=labels.get(topic, topic),
        )
    figure.update_layout(
        title=word("trend_title", lang),
        xaxis={"title": word("axis_month", lang)},
        yaxis={"title": word("axis_negative", lang)},
        legend={"orientation": "h"},
    )
    return figure


def _method(analysis: CommentAnalysis, scope: Scope, settings: Settings, lang: str) -> str:
    from cxlens.models.text import check_settings

    section = check_settings(dict(settings.topics or {}))
    comments = analysis.comments
    end = comments["posted_at_local"].max()
    last = scope.last or (end.date() if pd.notna(end) else "")
    window = _window(analysis, scope, lang)
    return word(
        "method",
        lang,
        count=section["count"],
        total=f"{len(comments):,}",
        end=end.date() if pd.notna(end) else "",
        min_size=section["min_size"],
        window=window,
        negative=negative_meaning(settings, lang),
        months=TREND_MONTHS,
        last=last,
    )


def _window(analysis: CommentAnalysis, scope: Scope, lang: str) -> str:
    """The days counted: the scope's, an open end filled with the first or last comment's
    day; "all dates" without a window."""
    if scope.first is None and scope.last is None:
        return word("all_dates", lang)
    posted = analysis.comments["posted_at_local"]
    first = scope.first or (posted.min().date() if posted.notna().any() else "…")
    last = scope.last or (posted.max().date() if posted.notna().any() else "…")
    return word("dates", lang, first=first, last=last)
