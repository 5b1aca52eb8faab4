"""Is a comment positive or negative: a shipped model per language, and one cxlens fits.

Shipped models come inside installed packages, so nothing is downloaded at run time:
SnowNLP's naive Bayes model for Chinese (trained by its author on product reviews) and
the VADER lexicon for English. Each gives a score that reads as P(positive): SnowNLP's
``sentiments`` directly, VADER's compound score in −1…1 mapped to (compound + 1) / 2.
A text is positive at 0.5 or more. Both packages are optional: where one is missing,
its language has no shipped model and the fitted one is used alone.

``SentimentModel`` fits cxlens's own model on the user's labelled comments (comments
whose CSAT or NPS score labels them, or a labelled file): TF-IDF of word unigrams and
bigrams (jieba's words for Chinese, lower-case words for English) beside TF-IDF of
character 1- to 3-grams of the Chinese texts (they catch words jieba cuts differently),
then a logistic regression. A stratified held-out share of the labels (fixed seed)
stays out of the fit. The split is by distinct text: a comment repeated word for word
(survey comments often are) lands wholly in the fit or wholly in the held-out rows, so
copies of training comments do not flatter the held-out accuracy. The held-out accuracy of the fitted and of the shipped model on
those same rows decides, per language, which one scores the comments. The fitted model
lives in memory only: nothing learned from a user's comments is written to disk or
into the package.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.errors import InputError, ModelError
from cxlens.models.text import detect_language, tokenised

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

__all__ = [
    "SHIPPED_MODELS",
    "SentimentModel",
    "fit_labelled_file",
    "shipped_available",
    "shipped_scores",
]

SHIPPED_MODELS = {
    "zh": ("snownlp", "SnowNLP (its bundled review model)"),
    "en": ("vaderSentiment", "VADER (its bundled lexicon)"),
}
POSITIVE_LABELS = {"1", "1.0", "pos", "positive", "true", "yes", "正面", "好评"}
NEGATIVE_LABELS = {"0", "0.0", "neg", "negative", "false", "no", "负面", "差评"}


def shipped_available() -> dict[str, bool]:
    """Per language, whether the package of its shipped model is installed."""
    import importlib.util

    return {
        lang: importlib.util.find_spec(pkg) is not None for lang, (pkg, _) in SHIPPED_MODELS.items()
    }


def shipped_scores(texts: pd.Series, languages: pd.Series) -> np.ndarray:
    """P(positive) from the shipped model of each text's language; NaN where none is installed.

    Both packages score one string at a time, so each distinct text is scored once.
    """
    texts = texts.fillna("").astype(str)
    scores = np.full(len(texts), np.nan)
    available = shipped_available()
    for lang, score_one in (("zh", _snownlp), ("en", _vader)):
        rows = (languages == lang).to_numpy()
        if not rows.any() or not available[lang]:
            continue
        scorer = score_one()
        distinct = pd.unique(texts[rows])
        by_text = dict(zip(distinct, (scorer(text) for text in distinct), strict=True))
        scores[rows] = texts[rows].map(by_text).to_numpy(dtype=float)
    return scores


def _snownlp() -> Any:
    from snownlp import SnowNLP

    return lambda text: float(SnowNLP(text).sentiments) if text.strip() else 0.5


def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return lambda text: (analyser.polarity_scores(text)["compound"] + 1) / 2


class SentimentModel:
    """Positive or negative, fitted on labelled comments and checked on held-out ones.

    Parameters
    ----------
    holdout : share (0–1) or number of distinct labelled texts kept out of the fit.
    seed : random state of the stratified split (fixed, so a rerun gives the same split).
    min_labelled : fewer labelled comments than this is a ModelError.
    choose : ``auto`` (per language, the fitted model where its held-out accuracy beats
        the shipped model's), ``fitted`` or ``shipped``.
    c : inverse regularisation strength of the logistic regression (4 did best of 1, 4
        and 10 on the Chinese review corpora, all within a point of each other).

    Attributes
    ----------
    pipeline_ : the fitted scikit-learn pipeline (features and classifier).
    holdout_index_ : positions (among the texts given to ``fit``) of the held-out comments.
    holdout_scores_ : DataFrame of the held-out rows: language, label, fitted, shipped
        (P(positive) from each model; shipped NaN where no shipped model).
    used_ : language → ``fitted`` or ``shipped``.
    accuracy_ , shipped_accuracy_ : held-out accuracy over every language (shipped: over
        the rows a shipped model scored; NaN when none did).
    """

    def __init__(
        self,
        holdout: float | int = 0.2,
        seed: int = 0,
        min_labelled: int = 100,
        choose: str = "auto",
        c: float = 4.0,
    ) -> None:
        self.holdout = holdout
        self.seed = seed
        self.min_labelled = min_labelled
        self.choose = choose
        self.c = c

    def fit(
        self, texts: pd.Series, labels: pd.Series, languages: pd.Series | None = None
    ) -> SentimentModel:
        """Fit on the training split of labelled texts (1 positive, 0 negative) and score the
        held-out split with this model and the shipped one."""
        from sklearn.model_selection import train_test_split

        texts, labels, languages = self._checked(texts, labels, languages)
        majority = labels.groupby(texts.str.strip()).mean().ge(0.5).astype(int)
        _, held_texts = train_test_split(
            np.arange(len(majority)),
            test_size=self.holdout,
            stratify=majority.to_numpy(),
            random_state=self.seed,
        )
        is_held = texts.str.strip().isin(majority.index[held_texts])
        train, held = texts.index[~is_held], texts.index[is_held]

        self.pipeline_ = _pipeline(self.c, languages.loc[train], len(train))
        self.pipeline_.fit(_features(texts.loc[train], languages.loc[train]), labels.loc[train])
        log.info("sentiment model fitted on %d labelled comments", len(train))

        self.holdout_index_ = held
        self.holdout_scores_ = pd.DataFrame(
            {
                "language": languages.loc[held],
                "label": labels.loc[held],
                "fitted": self.predict_proba(texts.loc[held], languages.loc[held]),
                "shipped": shipped_scores(texts.loc[held], languages.loc[held]),
            }
        )
        self._choose()
        return self

    def _checked(
        self, texts: pd.Series, labels: pd.Series, languages: pd.Series | None
    ) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Rows with a text and a 0/1 label; enough of them, and of each label, to fit."""
        texts = pd.Series(texts).reset_index(drop=True)
        labels = pd.Series(labels).reset_index(drop=True)
        if languages is None:
            languages = detect_language(texts)
        languages = pd.Series(languages).reset_index(drop=True)
        keep = texts.notna() & texts.astype(str).str.strip().ne("") & labels.isin([0, 1])
        texts, labels, languages = (
            texts[keep].astype(str),
            labels[keep].astype(int),
            languages[keep],
        )
        counts = labels.value_counts()
        distinct = labels.groupby(texts.str.strip()).mean().ge(0.5).value_counts()
        if len(labels) < self.min_labelled or len(distinct) < 2 or distinct.min() < 10:
            raise ModelError(
                f"too few labelled comments to fit a sentiment model: {counts.get(1, 0):,} "
                f"positive and {counts.get(0, 0):,} negative; it needs at least "
                f"{self.min_labelled:,} in all and 10 different texts of each (lower [topics] "
                "min_labelled, or label more comments)"
            )
        return texts, labels, languages

    def _choose(self) -> None:
        """Overall accuracies, and per language the model that scores comments."""
        held = self.holdout_scores_
        correct = (held["fitted"] >= 0.5).astype(int) == held["label"]
        self.accuracy_ = float(correct.mean())
        scored = held["shipped"].notna()
        shipped_correct = (held["shipped"] >= 0.5).astype(int) == held["label"]
        self.shipped_accuracy_ = float(shipped_correct[scored].mean()) if scored.any() else np.nan
        self.used_ = {}
        for row in self.summary.itertuples(index=False):
            self.used_[row.language] = row.used

    @property
    def summary(self) -> pd.DataFrame:
        """Per language: held-out comments, fitted and shipped accuracy, the model used."""
        held = self.holdout_scores_.assign(
            fitted_right=lambda f: (f["fitted"] >= 0.5).astype(int) == f["label"],
            shipped_right=lambda f: ((f["shipped"] >= 0.5).astype(int) == f["label"]).where(
                f["shipped"].notna()
            ),
        )
        frame = held.groupby("language", sort=True).agg(
            heldout=("label", "size"),
            fitted_accuracy=("fitted_right", "mean"),
            shipped_accuracy=("shipped_right", lambda s: s.dropna().astype(float).mean()),
        )
        frame = frame.reset_index()
        frame["shipped_model"] = frame["language"].map(lambda lang: SHIPPED_MODELS[lang][1])
        beats = frame["shipped_accuracy"].isna() | (
            frame["fitted_accuracy"] > frame["shipped_accuracy"]
        )
        if self.choose == "fitted":
            beats[:] = True
        elif self.choose == "shipped":
            beats = frame["shipped_accuracy"].isna()
        frame["used"] = np.where(beats, "fitted", "shipped")
        return frame

    def predict_proba(self, texts: pd.Series, languages: pd.Series | None = None) -> np.ndarray:
        """The fitted model's P(positive) per text."""
        texts = pd.Series(texts).fillna("").astype(str)
        languages = detect_language(texts) if languages is None else pd.Series(languages)
        features = _features(texts.reset_index(drop=True), languages.reset_index(drop=True))
        return self.pipeline_.predict_proba(features)[:, 1]

    def predict(self, texts: pd.Series, languages: pd.Series | None = None) -> np.ndarray:
        """The fitted model's label per text: 1 positive, 0 negative."""
        return (self.predict_proba(texts, languages) >= 0.5).astype(int)

    def score(self, texts: pd.Series, languages: pd.Series) -> np.ndarray:
        """P(positive) per text from the model chosen for its language (``used_``)."""
        texts = pd.Series(texts).fillna("").astype(str).reset_index(drop=True)
        languages = pd.Series(languages).reset_index(drop=True)
        scores = self.predict_proba(texts, languages)
        shipped = languages.map(self.used_).eq("shipped").to_numpy()
        if shipped.any():
            scores[shipped] = shipped_scores(texts[shipped], languages[shipped])
        return scores


def _features(texts: pd.Series, languages: pd.Series) -> pd.DataFrame:
    """The two views the pipeline reads: words (all texts) and characters (Chinese texts)."""
    return pd.DataFrame(
        {
            "words": tokenised(texts, languages).to_numpy(),
            "chars": texts.where(languages.eq("zh"), "").to_numpy(),
        }
    )


def _pipeline(c: float, languages: pd.Series, rows: int) -> Pipeline:
    """TF-IDF of words and Chinese characters, then a logistic regression.

    Terms seen in one comment only are dropped once there are enough comments (1,000)
    for that to remove noise rather than signal; characters only where Chinese texts are.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    min_df = 2 if rows >= 1000 else 1
    words = TfidfVectorizer(
        token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df
    )
    parts = [("words", words, "words")]
    if languages.eq("zh").any():
        chars = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=min_df
        )
        parts.append(("chars", chars, "chars"))
    classifier = LogisticRegression(C=c, max_iter=2000)
    return Pipeline([("features", ColumnTransformer(parts)), ("classifier", classifier)])


def fit_labelled_file(
    path: Path,
    text_column: str | None = None,
    label_column: str = "label",
    holdout: float | int = 0.2,
    seed: int = 0,
    choose: str = "auto",
) -> SentimentModel:
    """Fit a SentimentModel on a labelled CSV (a text column, a 0/1 or positive/negative label).

    ``text_column`` defaults to the first of ``text``, ``review``, ``comment`` the file has.
    """
    frame = _read_labelled(path)
    text_column = text_column or next(
        (name for name in ("text", "review", "comment") if name in frame.columns), None
    )
    for name, flag in ((text_column, "--text-column"), (label_column, "--label-column")):
        if name is None or name not in frame.columns:
            wanted = repr(name) if name else "text, review or comment"
            raise InputError(
                f"{path}: no column {wanted}; the columns are "
                f"{', '.join(map(str, frame.columns))} (name the right one with {flag})",
                path,
            )
    labels = _labels(frame[label_column], path, label_column)
    texts = frame[text_column]
    model = SentimentModel(holdout=holdout, seed=seed, min_labelled=20, choose=choose)
    return model.fit(texts, labels, detect_language(texts.fillna("").astype(str)))


def _read_labelled(path: Path) -> pd.DataFrame:
    from cxlens.ingest import detect

    sniffed = detect.sniff(path)
    if sniffed.format != "csv":
        raise InputError(f"{path}: a labelled file must be CSV text; save it as CSV", path)
    encoding = sniffed.encoding or "utf-8"
    sep = detect.delimiter(detect.sample_text(path, encoding))
    try:
        frame = pd.read_csv(path, encoding=encoding, sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise _refusal(path, _csv_fault(path, encoding, sep), str(error).strip()) from error

    # A first row with one value more than the header makes pandas read the first column
    # as an index instead of failing, shifting every value one column left.
    if not isinstance(frame.index, pd.RangeIndex):
        raise _refusal(
            path, _csv_fault(path, encoding, sep), "a row has more values than the header"
        )
    return frame


def _refusal(path: Path, fault: tuple[int, str] | None, otherwise: str) -> InputError:
    """The error for a labelled file that is not clean CSV, naming its line when known."""
    line, what = fault or (None, otherwise)
    where = f"line {line} " if line else ""
    return InputError(
        f"{path}: {where}{what}; fix the file (close the quote, or quote a value that "
        "holds the delimiter) and run again",
        path,
    )


def _csv_fault(path: Path, encoding: str, sep: str) -> tuple[int, str] | None:
    """The physical line where a CSV goes wrong and what is wrong there, or None.

    pandas counts records, not lines, in its message (a quoted value spanning lines puts
    them apart), so the file is read again with the csv module, which keeps line numbers.
    This runs only after pandas refused the file or read it shifted."""
    import csv

    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep, strict=True)
        width, end = None, 0
        try:
            for cells in reader:
                if width is None:
                    width = len(cells)
                elif len(cells) > width:
                    return end + 1, f"has {len(cells)} values where the header names {width}"
                end = reader.line_num
        except csv.Error as error:
            if "eof" in str(error).lower() or "end of data" in str(error).lower():
                return end + 1, "opens a quoted value that is never closed"
            return end + 1, f"is not valid CSV ({error})"
    return None


def _labels(column: pd.Series, path: Path, name: str) -> pd.Series:
    """1 and 0 from the label column's words; a row with any other value is an error."""
    words = column.astype(str).str.strip().str.lower()
    labels = pd.Series(np.nan, index=column.index)
    labels[words.isin(POSITIVE_LABELS)] = 1
    labels[words.isin(NEGATIVE_LABELS)] = 0
    unknown = words[labels.isna()]
    if not unknown.empty:
        raise InputError(
            f"{path}: column {name} has {len(unknown):,} labels that are neither positive "
            f"nor negative, such as {unknown.iloc[0]!r}; use 1/0 or positive/negative",
            path,
        )
    return labels.astype(int)
