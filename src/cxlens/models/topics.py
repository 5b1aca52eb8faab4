"""Complaint topics: what customers' negative comments are about, found in their own words.

``TopicModel`` learns topics from the negative comments of one language: TF-IDF of their
words (stop words left out, see ``cxlens.models.text``) factorised by non-negative
matrix factorisation (NMF) into ``count`` topics, each a weighted list of terms. NMF
rather than LDA because survey comments are a sentence or two long, where LDA's word
counts are too sparse to separate themes and NMF on TF-IDF holds up; the fixed
``random_state`` and the deterministic NNDSVD start give the same topics on every run.
Every comment, positive ones included, is then placed in the topic it weighs most on,
provided it contains at least one of that topic's ``ASSIGN_TERMS`` strongest terms (a
comment that shares only a common word such as 客服 with a topic stays out), so a topic's size and its
negative share count every comment about that theme: "refunds" with 40 % negative
comments is a smaller problem than "refunds" with 90 %.

Chinese and English comments get a model each. The two vocabularies do not overlap, so
one joint model makes topics of one language anyway, and it spends its topics on the
language written most: on the sample, with one English comment in five, a joint model
found no English topic at all. ``count`` is therefore the number of topics per language.

``analyse_comments`` reads every comment in the warehouse (survey comments and the
``comments`` table), sets the tone of the ones a score rates, reads the rest with the
sentiment model (``cxlens.models.sentiment``) and assigns the topics. A survey comment is
positive, neutral or negative by its own score (CSAT satisfied by the KPI's rule, in the
bottom boxes, or between; NPS promoter, passive or detractor) and a review by its rating
(``[topics] positive_rating`` / ``negative_rating``); the sentiment model decides only
where no score does (unrated reviews, social posts, CES answers). Only negative comments
teach the topics and count as negative: a lukewarm "还行吧，就是有点慢" from a CSAT 3 is
neither, so it cannot make a topic look like a complaint. The models see the whole
history, so a topic keeps its name whatever window or filter a reader picks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.errors import ModelError, WarehouseError
from cxlens.models.sentiment import SentimentModel, shipped_available, shipped_scores
from cxlens.models.text import (
    LANGUAGES,
    check_settings,
    content_words,
    detect_language,
    stop_words,
    tokenised,
)
from cxlens.schema import DEFAULT_SCALES
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "CommentAnalysis",
    "TopicModel",
    "analyse_comments",
    "analysed",
    "in_scope",
    "read_comments",
    "weekly_topic_negatives",
]

# a comment's dimensions, as the KPI filters name them
DIMENSIONS = ("channel", "category", "priority", "team", "agent", "segment")
LABEL_KEYWORDS = 3
# a comment joins a topic only if it holds one of the topic's strongest terms, this many
ASSIGN_TERMS = 10
# a term whose occurrences over the topics have at least this share of the highest possible
# entropy is spread evenly (measured on the sample: openers and closers 0.77–0.92, a theme's
# words split between two or four topics 0.64 at most); checked from this many topics on
EVEN_SPREAD = 0.7
MIN_TOPICS_FOR_SPREAD = 3


class TopicModel:
    """Topics of short texts by NMF on TF-IDF, named by their most distinctive content words.

    Parameters
    ----------
    count : topics to find (fewer when the texts cannot fill them: at most one per
        ``min_size`` texts, and no more than the vocabulary allows).
    keywords : terms kept per topic, most distinctive first.
    min_size : a topic that fewer training texts land in is dropped.
    seed : NMF's random state.
    language : ``zh`` or ``en``: which words may name a topic (``content_words``).

    Attributes
    ----------
    vectoriser_ : the fitted TF-IDF vectoriser.
    nmf_ : the fitted NMF.
    distinctiveness_ : array (components × terms) of class-based TF-IDF (see ``fit``).
    spread_terms_ : terms left out because they spread evenly over the first fit's topics.
    terms_ : list, per NMF component, of its terms with a positive distinctiveness
        (most distinctive first).
    keywords_ : list, per kept topic, of its ``keywords`` most distinctive terms.
    labels_ : list, per kept topic, of the content words that name it (two or three).
    kept_ : NMF components kept (largest topic first).
    sizes_ : training texts per kept topic.
    """

    def __init__(
        self,
        count: int = 8,
        keywords: int = 8,
        min_size: int = 5,
        seed: int = 0,
        language: str = "en",
    ):
        self.count = count
        self.keywords = keywords
        self.min_size = min_size
        self.seed = seed
        self.language = language

    def fit(self, documents: pd.Series) -> TopicModel:
        """Learn topics from documents given as space-separated tokens.

        NMF finds the topics and each text's strongest one. A topic's terms are then
        ranked by class-based TF-IDF, written here because it is a few array operations:
        a term's share of the words of the topic's texts, times log(1 + A / f), with A the
        mean number of words per topic and f the term's count over all topics. A word
        spread evenly over every topic (an opener such as "第二次联系了") gets a small
        weight however often it occurs, while NMF's raw weights would rank it high.
        """
        documents = pd.Series(documents).fillna("").astype(str)
        documents = documents[documents.str.strip().ne("")]
        if len(documents) < self.min_size:
            raise ModelError(
                f"{len(documents)} texts are too few for topics of at least {self.min_size} "
                "(lower [topics] min_size)"
            )
        matrix, strongest, components = self._factorise(documents, frozenset())
        self.spread_terms_ = frozenset()
        if components >= MIN_TOPICS_FOR_SPREAD:
            spread = evenly_spread(matrix > 0, strongest, components)
            self.spread_terms_ = frozenset(self.vectoriser_.get_feature_names_out()[spread])
            if self.spread_terms_:
                matrix, strongest, components = self._factorise(documents, self.spread_terms_)

        self.distinctiveness_ = class_tfidf(matrix > 0, strongest, components)
        if components >= MIN_TOPICS_FOR_SPREAD:  # spread evenly over the second fit's topics
            self.distinctiveness_[:, evenly_spread(matrix > 0, strongest, components)] = 0
        terms = self.vectoriser_.get_feature_names_out()
        order = np.argsort(-self.distinctiveness_, axis=1, kind="stable")
        positive = np.take_along_axis(self.distinctiveness_, order, axis=1) > 0
        self.terms_ = [list(terms[row[ok]]) for row, ok in zip(order, positive, strict=True)]
        self.kept_ = list(range(components))  # every component, to count each one's texts
        sizes = np.bincount(self._assign(documents) + 1, minlength=components + 1)[1:]
        ranked = [k for k in np.argsort(-sizes, kind="stable") if sizes[k] >= self.min_size]
        if not ranked:
            raise ModelError(
                f"no topic holds {self.min_size} texts or more (lower [topics] min_size)"
            )
        self.kept_ = [int(k) for k in ranked]
        self.sizes_ = [int(sizes[k]) for k in ranked]
        self.keywords_ = [self.terms_[k][: self.keywords] for k in ranked]
        self.labels_ = [self._label(words) for words in self.keywords_]
        return self

    def _factorise(self, documents: pd.Series, leave_out: frozenset[str]) -> tuple:
        """TF-IDF of the documents without ``leave_out`` and NMF of it: the matrix, each
        document's strongest component, and the number of components."""
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectoriser_ = TfidfVectorizer(
            token_pattern=r"\S+",
            sublinear_tf=True,
            min_df=2 if len(documents) >= 50 else 1,
            stop_words=sorted(leave_out) or None,
        )
        matrix = self.vectoriser_.fit_transform(documents)
        components = min(self.count, max(1, len(documents) // self.min_size), *matrix.shape)
        self.nmf_ = NMF(
            n_components=components, init="nndsvda", random_state=self.seed, max_iter=1000
        )
        strongest = self.nmf_.fit_transform(matrix).argmax(axis=1)
        return matrix, strongest, components

    def _label(self, words: list[str]) -> list[str]:
        """The topic's ``LABEL_KEYWORDS`` most distinctive content words, those of two or
        more characters first (a single Chinese character such as 打 or 出 is rarely a
        theme); its leading terms where fewer than two of its keywords are content words."""
        content = [
            w for w, ok in zip(words, content_words(words, self.language), strict=True) if ok
        ]
        if len(content) < 2:
            return words[:LABEL_KEYWORDS]
        longer = [w for w in content if len(w) > 1]
        return (longer + [w for w in content if len(w) == 1])[:LABEL_KEYWORDS]

    def assign(self, documents: pd.Series) -> np.ndarray:
        """Per document, the position of its topic in ``keywords_`` (-1: none).

        A document goes to the kept topic it weighs most on, if it holds at least one of
        that topic's ``ASSIGN_TERMS`` most distinctive terms.
        """
        raw = self._assign(pd.Series(documents).fillna("").astype(str))
        position = np.full(self.nmf_.n_components, -1)
        position[self.kept_] = np.arange(len(self.kept_))
        return np.where(raw >= 0, position[np.maximum(raw, 0)], -1)

    def _assign(self, documents: pd.Series) -> np.ndarray:
        matrix = self.vectoriser_.transform(documents)
        weights = self.nmf_.transform(matrix)
        allowed = np.zeros(weights.shape[1], dtype=bool)
        allowed[self.kept_] = True
        weights[:, ~allowed] = 0
        best = weights.argmax(axis=1)

        vocabulary = self.vectoriser_.vocabulary_
        holds = np.zeros(weights.shape, dtype=bool)
        present = matrix > 0
        for k in range(weights.shape[1]):
            columns = [vocabulary[term] for term in self.terms_[k][:ASSIGN_TERMS]]
            holds[:, k] = np.asarray(present[:, columns].sum(axis=1)).ravel() > 0
        chosen = holds[np.arange(len(best)), best] & (weights.max(axis=1) > 0)
        return np.where(chosen, best, -1)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per kept topic: its position, label (its naming content words),
        keywords (most distinctive first), training size."""
        return pd.DataFrame(
            {
                "topic": range(len(self.kept_)),
                "label": [" / ".join(words) for words in self.labels_],
                "keywords": [", ".join(words) for words in self.keywords_],
                "size": self.sizes_,
            }
        )


def evenly_spread(present: Any, topic: np.ndarray, topics: int) -> np.ndarray:
    """Per term (a boolean array), whether its occurrences spread evenly over the topics:
    the entropy of its distribution over the documents' strongest topics, over log(topics),
    is at least ``EVEN_SPREAD``. Such a term (an opener or closer that any complaint can
    carry: "第二次联系了", "请尽快处理") tells no topic from another."""
    from scipy import sparse

    membership = sparse.csr_matrix(
        (np.ones(len(topic)), (topic, np.arange(len(topic)))), shape=(topics, len(topic))
    )
    counts = np.asarray((membership @ sparse.csr_matrix(present, dtype=float)).todense())
    share = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    logs = np.log(share, out=np.zeros_like(share), where=share > 0)
    entropy = -(share * logs).sum(axis=0) / np.log(topics)
    return entropy >= EVEN_SPREAD


def class_tfidf(present: Any, topic: np.ndarray, topics: int) -> np.ndarray:
    """Class-based TF-IDF (topics × terms) of documents' term occurrences ``present``
    (a sparse documents × terms matrix) grouped by ``topic`` (one per document, 0 to
    ``topics`` - 1): tf = a term's share of its topic's words, idf = log(1 + A / f) with
    A the mean words per topic and f the term's count over every topic."""
    from scipy import sparse

    membership = sparse.csr_matrix(
        (np.ones(len(topic)), (topic, np.arange(len(topic)))), shape=(topics, len(topic))
    )
    counts = np.asarray((membership @ sparse.csr_matrix(present, dtype=float)).todense())
    words = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, words, out=np.zeros_like(counts), where=words > 0)
    per_term = counts.sum(axis=0)
    mean_words = words.mean()
    idf = np.log1p(np.divide(mean_words, per_term, out=np.zeros_like(per_term), where=per_term > 0))
    return tf * idf


@dataclass
class CommentAnalysis:
    """Every comment with its language, sentiment and topic, and the models behind them.

    ``comments``: comment_id, origin (survey or comments), text, posted_at_local,
    language, tone (positive, neutral or negative: the score's where one is given, else
    the sentiment model's, which reads positive or negative only), label (1/0 from a
    positive or negative score, else NA: what the sentiment model is fitted on),
    positive (P(positive) from the sentiment model), negative (bool: tone is negative;
    a neutral score is never negative), topic (topic id such as ``zh-0``, or None) and
    the dimensions of ``DIMENSIONS``.
    ``topics``: topic, language, label, keywords, size (negative comments the topic was
    learned from). ``sentiment``: the fitted model (None when none could be fitted),
    ``sentiment_note``: why not, or ''.
    """

    comments: pd.DataFrame
    topics: pd.DataFrame
    sentiment: SentimentModel | None
    sentiment_note: str = ""


def analyse_comments(con: duckdb.DuckDBPyConnection, settings: Settings) -> CommentAnalysis:
    """Read, score and place every comment of the warehouse (see the module docstring)."""
    section = check_settings(dict(settings.topics or {}))
    comments = read_comments(con, settings)
    if comments.empty:
        raise WarehouseError(
            "no comments to read: survey_responses has no comment and there is no comments "
            "table; import survey answers with their comments, or reviews as comments"
        )

    model, note = _fit_sentiment(comments, section)
    scores = _scores(comments, model, note)
    read = pd.Series(np.where(scores < 0.5, "negative", "positive"), index=comments.index)
    tone = comments["tone"].where(comments["tone"].notna(), read)
    comments = comments.assign(tone=tone, positive=scores, negative=tone.eq("negative"))

    drop = stop_words(section["stop_words"])
    words = tokenised(comments["text"], comments["language"], drop)
    comments["topic"], topics = _topics(comments, words, section)
    return CommentAnalysis(comments, topics, model, note)


def analysed(warehouse: Any, settings: Settings) -> CommentAnalysis:
    """``analyse_comments`` on the warehouse, kept while its file and the settings stay the
    same: the report, the dashboard and the alerts ask for it several times in one run."""
    key = _cache_key(warehouse, settings)
    if key is not None and _CACHE.get("key") == key:
        return _CACHE["analysis"]
    with warehouse.connect(read_only=True) as con:
        analysis = analyse_comments(con, settings)
    if key is not None:
        _CACHE.update(key=key, analysis=analysis)
    return analysis


_CACHE: dict[str, Any] = {}


def _cache_key(warehouse: Any, settings: Settings) -> tuple | None:
    """The warehouse file's identity and change times, and the settings the analysis
    reads; None for a warehouse that is not a file (nothing is kept)."""
    path = getattr(warehouse, "path", None)
    if path is None or warehouse.location == ":memory:" or not path.exists():
        return None
    wal = path.with_name(path.name + ".wal")
    stamps = [(p.stat().st_mtime_ns, p.stat().st_size) for p in (path, wal) if p.exists()]
    return (str(path.resolve()), tuple(stamps), repr(settings.topics), repr(settings.csat))


def in_scope(comments: pd.DataFrame, scope: Any) -> pd.DataFrame:
    """The comments posted in ``scope``'s days (local, both included) that pass its filters
    (dimension → values kept). A filter on a dimension comments lack keeps none."""
    keep = pd.Series(True, index=comments.index)
    posted = comments["posted_at_local"]
    if scope.first is not None:
        keep &= posted >= pd.Timestamp(scope.first)
    if scope.last is not None:
        keep &= posted < pd.Timestamp(scope.last) + pd.Timedelta(days=1)
    for dimension, values in (scope.filters or {}).items():
        if dimension not in DIMENSIONS:
            raise ModelError(
                f"comments cannot be filtered by {dimension}; use {', '.join(DIMENSIONS)}"
            )
        keep &= comments[dimension].isin([str(v) for v in values])
    return comments[keep.fillna(False).astype(bool)]


def weekly_topic_negatives(warehouse: Any, settings: Settings, scope: Any) -> pd.DataFrame:
    """Per ISO week (``2024-W10``) and topic (its label): negative and all comments in scope.

    For the alert "a topic's negative volume doubled"; weeks are local, Monday first.
    """
    analysis = analysed(warehouse, settings)
    comments = in_scope(analysis.comments, scope)
    comments = comments[comments["topic"].notna() & comments["posted_at_local"].notna()]
    labels = analysis.topics.set_index("topic")["label"]
    iso = comments["posted_at_local"].dt.isocalendar()
    frame = pd.DataFrame(
        {
            "week": iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2),
            "topic": comments["topic"].map(labels),
            "negative": comments["negative"].astype("int64"),
            "total": 1,
        }
    )
    weekly = frame.groupby(["week", "topic"], as_index=False)[["negative", "total"]].sum()
    return weekly.sort_values(["week", "topic"], ignore_index=True)


def _fit_sentiment(
    comments: pd.DataFrame, section: dict[str, Any]
) -> tuple[SentimentModel | None, str]:
    """The fitted model on the labelled comments, or None and why (shipped models only)."""
    labelled = comments[comments["label"].notna()]
    if section["sentiment"] == "shipped":
        return None, "[topics] sentiment = 'shipped' turns the fit off"
    model = SentimentModel(
        holdout=section["holdout"],
        min_labelled=section["min_labelled"],
        choose=section["sentiment"],
    )
    try:
        return model.fit(labelled["text"], labelled["label"], labelled["language"]), ""
    except ModelError as error:
        languages = set(comments["language"])
        if not all(shipped_available()[lang] for lang in languages):
            raise ModelError(
                f"{error}; and no shipped sentiment model is installed for every language "
                "of the comments (pip install snownlp vaderSentiment)"
            ) from error
        log.info("sentiment: shipped models only (%s)", error)
        return None, str(error)


def _scores(comments: pd.DataFrame, model: SentimentModel | None, note: str) -> np.ndarray:
    """P(positive) per comment, from the chosen model of its language; without a fitted
    model (``note`` says why) every comment needs its language's shipped model."""
    if model is not None:
        return model.score(comments["text"], comments["language"])
    scores = shipped_scores(comments["text"], comments["language"])
    unread = sorted(set(comments.loc[np.isnan(scores), "language"]))
    if unread:
        raise ModelError(
            f"no sentiment model reads the {' and '.join(unread)} comments: install the "
            f"shipped models (pip install snownlp vaderSentiment), or fit one on labelled "
            f"comments ({note})"
        )
    return scores


def _topics(
    comments: pd.DataFrame, words: pd.Series, section: dict[str, Any]
) -> tuple[pd.Series, pd.DataFrame]:
    """Topic id per comment and the topics' table, one model per language."""
    topic = pd.Series(None, index=comments.index, dtype=object)
    tables = []
    for lang in LANGUAGES:
        mine = comments["language"].eq(lang)
        complaints = words[mine & comments["negative"]]
        if complaints.str.strip().ne("").sum() < section["min_size"]:
            continue
        model = TopicModel(
            section["count"], section["keywords"], section["min_size"], language=lang
        )
        try:
            model.fit(complaints)
        except ModelError as error:
            log.info("no %s topics: %s", lang, error)
            continue
        placed = model.assign(words[mine])
        topic[mine] = np.where(placed >= 0, [f"{lang}-{k}" for k in placed], None)
        table = model.summary.assign(language=lang)
        table["topic"] = lang + "-" + table["topic"].astype(str)
        tables.append(table)
    if not tables:
        raise ModelError(
            f"too few negative comments for topics: no language has {section['min_size']} "
            "(lower [topics] min_size)"
        )
    topics = pd.concat(tables, ignore_index=True)[
        ["topic", "language", "label", "keywords", "size"]
    ]
    return topic, topics


def read_comments(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame:
    """Survey comments and the ``comments`` table in one frame (see ``CommentAnalysis``)."""
    frames = [_survey_comments(con, settings), _table_comments(con, settings)]
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return pd.DataFrame(
            columns=[
                "comment_id",
                "origin",
                "text",
                "posted_at_local",
                "language",
                "tone",
                "label",
                *DIMENSIONS,
            ]
        )
    comments = pd.concat(frames, ignore_index=True)
    comments["tone"] = comments["tone"].astype(object).where(comments["tone"].notna(), None)
    label = comments["tone"].map({"positive": 1, "negative": 0})
    comments.insert(comments.columns.get_loc("tone") + 1, "label", label.astype("Int64"))
    comments["language"] = detect_language(comments["text"], comments["language"])
    return comments


def _survey_comments(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | None:
    """Survey answers with a comment, their tone set by their score: CSAT satisfied by the
    KPI's rule is positive, in the bottom boxes negative (``_csat_bottom_boxes``), between
    neutral; NPS promoters (9–10) positive, detractors (0–6) negative, passives neutral.

    Channel is the answer's, else its ticket's; agent the answer's, else the ticket's;
    category, priority and team the ticket's; segment the customer's.
    """
    import ibis

    from cxlens.metrics.surveys import csat_answers

    if not has_table(con, "survey_responses"):
        return None
    if not {"comment", "responded_at_local"} <= table_columns(con, "survey_responses"):
        raise WarehouseError(
            "survey_responses lacks comment or responded_at_local: it was not built by "
            "cxlens's cleaning; run cxlens run (or cxlens import) to rebuild it"
        )
    db = ibis.duckdb.from_connection(con)
    r = db.table("survey_responses")
    r = r.filter(r.comment.notnull() & (r.comment.strip() != ""))
    csat_valid, satisfied = csat_answers(r, settings)
    nps_valid = (r.kind == "nps") & (r.score == r.score.floor()) & r.score.between(0, 10)
    r = r.mutate(
        tone=ibis.cases(
            (csat_valid & satisfied, "positive"),
            (csat_valid & _csat_bottom_boxes(r), "negative"),
            (csat_valid, "neutral"),
            (nps_valid & (r.score >= 9), "positive"),
            (nps_valid & (r.score <= 6), "negative"),
            (nps_valid, "neutral"),
            else_=ibis.null("string"),
        )
    )

    none = ibis.null("string")
    ticket = {c: none for c in ("channel", "category", "priority", "team", "agent_id")}
    if has_table(con, "tickets"):
        t = db.table("tickets")
        have = [c for c in ticket if c in t.columns]
        side = t.select(t_ticket_id=t.ticket_id, **{f"t_{c}": t[c].cast("string") for c in have})
        r = r.left_join(side, r.ticket_id == side.t_ticket_id)
        ticket.update({c: r[f"t_{c}"] for c in have})
    segment = none
    if has_table(con, "customers") and "segment" in table_columns(con, "customers"):
        c = db.table("customers").select(c_customer_id="customer_id", c_segment="segment")
        r = r.left_join(c, r.customer_id == c.c_customer_id)
        segment = r.c_segment.cast("string")
    return r.select(
        comment_id=r.response_id.cast("string"),
        origin=ibis.literal("survey"),
        text=r.comment,
        posted_at_local=r.responded_at_local,
        language=none,
        tone=r.tone,
        channel=r.channel.cast("string").fill_null(ticket["channel"]),
        category=ticket["category"],
        priority=ticket["priority"],
        team=ticket["team"],
        agent=r.agent_id.cast("string").fill_null(ticket["agent_id"]),
        segment=segment,
    ).execute()


def _csat_bottom_boxes(r: Any) -> Any:
    """Whether a CSAT answer lies in its scale's bottom boxes, as many as the KPI counts
    top boxes (one on 2–3 points, two on 4–7, three from 8): 1–2 on 1–5, 1–3 on 1–10.
    Between the bottom boxes and the satisfied ones an answer is neutral."""
    import ibis

    low = r.scale_min.fill_null(DEFAULT_SCALES["csat"][0])
    high = r.scale_max.fill_null(DEFAULT_SCALES["csat"][1])
    points = high - low + 1
    boxes = ibis.cases((points <= 3, 1), (points <= 7, 2), else_=3)
    return r.score <= low + boxes - 1


def _table_comments(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | None:
    """Reviews and posts of the ``comments`` table, their tone set by their rating:
    positive at or above ``positive_rating``, negative at or below ``negative_rating``,
    neutral between, none (the sentiment model reads it) without a rating.

    The source (an app store, Weibo, …) stands in for the channel; the customer's segment
    comes from customers. Ticket dimensions stay empty: a review has no ticket.
    """
    if not has_table(con, "comments"):
        return None
    have = table_columns(con, "comments")

    def column(name: str) -> str:
        return f"c.{name}" if name in have else "NULL"

    segment = "NULL"
    join = ""
    if "customer_id" in have and has_table(con, "customers"):
        if "segment" in table_columns(con, "customers"):
            join = "LEFT JOIN customers k ON k.customer_id = c.customer_id"
            segment = "k.segment"
    posted = "c.posted_at_local" if "posted_at_local" in have else column("posted_at")
    section = check_settings(dict(settings.topics or {}))
    sql = f"""
        SELECT c.comment_id::VARCHAR AS comment_id, 'comments' AS origin, c.text,
            {posted}::TIMESTAMP AS posted_at_local, {column("language")}::VARCHAR AS language,
            CASE WHEN {column("rating")} >= ? THEN 'positive'
                WHEN {column("rating")} <= ? THEN 'negative'
                WHEN {column("rating")} IS NOT NULL THEN 'neutral' END AS tone,
            {column("source")}::VARCHAR AS channel, NULL::VARCHAR AS category,
            NULL::VARCHAR AS priority, NULL::VARCHAR AS team, NULL::VARCHAR AS agent,
            {segment}::VARCHAR AS segment
        FROM comments c {join}
        WHERE c.text IS NOT NULL AND trim(c.text) <> ''
    """
    params = [section["positive_rating"], section["negative_rating"]]
    return con.execute(sql, params).df()
