"""The fitted sentiment model's held-out split and accuracy, and the shipped models' scores.

Accuracies are recomputed with scikit-learn's ``accuracy_score`` and plain pandas on the
held-out rows the model reports; shipped scores against the packages' own outputs.
"""

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from cxlens.errors import InputError, ModelError
from cxlens.models import sentiment
from cxlens.models.sentiment import SentimentModel, fit_labelled_file, shipped_scores

THINGS_EN = ["refund", "delivery", "installer", "phone line", "invoice", "chat", "repair"]
THINGS_ZH = ["退款", "快递", "安装", "电话", "发票", "在线客服", "维修"]


def labelled() -> pd.DataFrame:
    """Short comments in both languages; every text twice, as survey comments repeat."""
    rows = []
    for thing in THINGS_EN:
        rows += [(f"{a} {thing}, thank you", 1) for a in ("great", "quick", "friendly", "easy")]
        rows += [(f"{a} {thing}, not happy", 0) for a in ("slow", "rude", "broken", "late")]
    for thing in THINGS_ZH:
        rows += [(f"{thing}{a}，谢谢", 1) for a in ("很快", "很好", "很专业", "很满意")]
        rows += [(f"{thing}{a}，不满意", 0) for a in ("太慢", "太差", "很糟糕", "没人管")]
    frame = pd.DataFrame(rows, columns=["text", "label"])
    return pd.concat([frame, frame], ignore_index=True)


@pytest.fixture(scope="module")
def model():
    data = labelled()
    return SentimentModel(holdout=0.25, min_labelled=20).fit(data["text"], data["label"]), data


def test_no_text_is_both_fitted_and_held_out(model):
    fitted, data = model
    held = data.iloc[fitted.holdout_index_]
    trained = data.drop(index=data.index[fitted.holdout_index_])
    assert set(held["text"]).isdisjoint(trained["text"])
    assert len(held) == 2 * held["text"].nunique()  # both copies of a text go together


def test_the_split_keeps_the_share_of_positive_texts(model):
    fitted, data = model
    held = data.iloc[fitted.holdout_index_].drop_duplicates("text")
    distinct = data.drop_duplicates("text")
    assert held["label"].mean() == pytest.approx(distinct["label"].mean(), abs=1 / len(held))
    assert len(held) == round(0.25 * len(distinct))


def test_held_out_accuracy_matches_scikit_learn(model):
    fitted, data = model
    held = data.iloc[fitted.holdout_index_]
    expected = accuracy_score(held["label"], fitted.predict(held["text"]))
    assert fitted.accuracy_ == pytest.approx(expected)
    assert fitted.accuracy_ >= 0.9  # the two vocabularies do not overlap


def test_summary_is_per_language_on_the_same_rows(model):
    fitted, data = model
    held = data.iloc[fitted.holdout_index_].assign(
        language=lambda f: f["text"].str.contains("[一-龥]").map({True: "zh", False: "en"}),
        right=lambda f: fitted.predict(f["text"]) == f["label"],
    )
    summary = fitted.summary.set_index("language")
    assert summary["heldout"].to_dict() == held.groupby("language").size().to_dict()
    by_hand = held.groupby("language")["right"].mean()
    assert summary["fitted_accuracy"].to_dict() == pytest.approx(by_hand.to_dict())
    assert set(summary["used"]) <= {"fitted", "shipped"}


def test_used_follows_the_choice_setting():
    data = labelled()
    forced = SentimentModel(holdout=0.25, min_labelled=20, choose="fitted")
    assert set(forced.fit(data["text"], data["label"]).used_.values()) == {"fitted"}
    shipped = SentimentModel(holdout=0.25, min_labelled=20, choose="shipped")
    summary = shipped.fit(data["text"], data["label"]).summary
    expected = summary["shipped_accuracy"].isna().map({True: "fitted", False: "shipped"})
    assert summary["used"].tolist() == expected.tolist()


def test_too_few_labels_say_how_many_are_needed():
    texts = pd.Series(["good", "bad"] * 10)
    labels = pd.Series([1, 0] * 10)
    with pytest.raises(ModelError) as error:
        SentimentModel(min_labelled=100).fit(texts, labels)
    assert str(error.value).startswith(
        "too few labelled comments to fit a sentiment model: 10 positive and 10 negative; "
        "it needs at least 100 in all and 10 different texts of each"
    )


def test_vader_scores_map_compound_to_a_probability():
    vader = pytest.importorskip("vaderSentiment.vaderSentiment")
    SentimentIntensityAnalyzer = vader.SentimentIntensityAnalyzer

    text = "The agent was rude and the refund never came."
    compound = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    scores = shipped_scores(pd.Series([text]), pd.Series(["en"]))
    assert scores[0] == pytest.approx((compound + 1) / 2)
    assert scores[0] < 0.5


def test_snownlp_scores_are_its_own_sentiments():
    SnowNLP = pytest.importorskip("snownlp").SnowNLP

    text = "退款申请提交十天了还没到账"
    scores = shipped_scores(pd.Series([text, text]), pd.Series(["zh", "zh"]))
    assert scores.tolist() == [SnowNLP(text).sentiments] * 2


def test_a_language_without_its_package_has_no_shipped_score(monkeypatch):
    pytest.importorskip("vaderSentiment")
    monkeypatch.setattr(sentiment, "shipped_available", lambda: {"zh": False, "en": True})
    scores = shipped_scores(pd.Series(["很好", "very good"]), pd.Series(["zh", "en"]))
    assert pd.isna(scores[0]) and scores[1] > 0.5


def test_a_labelled_file_takes_words_for_labels(tmp_path):
    data = labelled().assign(label=lambda f: f["label"].map({1: "positive", 0: "Negative"}))
    path = tmp_path / "reviews.csv"
    data.rename(columns={"text": "review"}).to_csv(path, index=False)
    fitted = fit_labelled_file(path, holdout=0.25)
    assert fitted.accuracy_ >= 0.9
    assert len(fitted.holdout_index_) == 2 * round(0.25 * data["text"].nunique())


def test_a_labelled_file_without_the_column_names_the_flag(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("body,label\nslow,0\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value) == (
        f"{path}: no column text, review or comment; the columns are body, label "
        "(name the right one with --text-column)"
    )


def test_a_labelled_file_with_other_labels_says_which(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nslow,0\nfine,3\nok,3\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value) == (
        f"{path}: column label has 2 labels that are neither positive nor negative, such "
        "as '3'; use 1/0 or positive/negative"
    )


def test_a_labelled_file_with_an_unclosed_quote_names_its_line(tmp_path):
    path = tmp_path / "reviews.csv"
    # line 1 header, lines 2-3 one quoted value over two lines, line 4 a row, line 5 the
    # quote that never closes
    path.write_text('text,label\n"slow\nreply",0\nfine,1\n"late, again,0\nok,1\n', "utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value).startswith(
        f"{path}: line 5 opens a quoted value that is never closed; fix the file"
    )


def test_a_labelled_file_with_a_value_too_many_names_its_line(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"slow\nreply",0\nlate,0,again\n', "utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value).startswith(
        f"{path}: line 4 has 3 values where the header names 2; fix the file"
    )


def test_a_first_row_with_a_value_too_many_is_refused_not_shifted(tmp_path):
    path = tmp_path / "reviews.csv"
    # line 2, the first row, holds 3 values under a 2-name header: pandas alone would take
    # the first column for an index and read "good" as the text and "extra" as its label
    path.write_text("text,label\n1,good,extra\nslow,0\n", "utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value).startswith(
        f"{path}: line 2 has 3 values where the header names 2; fix the file"
    )


def test_a_first_row_over_two_lines_with_a_value_too_many_names_its_first_line(tmp_path):
    path = tmp_path / "reviews.csv"
    # lines 2-3 are one row (a quoted value over two lines) with 3 values
    path.write_text('text,label\n"slow\nreply",0,again\nfine,1\n', "utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path)
    assert str(error.value).startswith(
        f"{path}: line 2 has 3 values where the header names 2; fix the file"
    )


def test_a_missing_label_column_is_named_with_the_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,mood\nslow,0\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        fit_labelled_file(path, label_column="label")
    assert str(error.value) == (
        f"{path}: no column 'label'; the columns are text, mood "
        "(name the right one with --label-column)"
    )
