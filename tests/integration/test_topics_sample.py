"""Complaint topics and sentiment on the bundled sample, built as a user builds it.

``cxlens sample`` and ``cxlens run`` write the warehouse in subprocesses; ``cxlens
topics`` and ``cxlens sentiment`` then run in-process. Counts are checked against SQL on
the warehouse: the comments read, the negative comments a score labels per channel (CSAT
1–2, the two bottom boxes of 1–5; NPS 0–6 detractors; CSAT 3 is neutral), and the weekly
negatives the alerts read. The topics are checked against the sentence each sample comment
was generated from (cxlens.sample.comments), which no model of ours sees.
"""

import io
import json
import subprocess
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.insights.actions import Scope, action_view
from cxlens.insights.topics import negative_by
from cxlens.models.text import weekly_topic_negatives
from cxlens.models.topics import analysed, in_scope
from cxlens.sample import comments as generator
from cxlens.settings import load_settings
from cxlens.store import Warehouse

CXLENS = [sys.executable, "-m", "cxlens"]
JUNE = Scope((date(2025, 6, 1), date(2025, 6, 30)))


def cx(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample project after ``cxlens run``: its cxlens.toml, settings and warehouse."""
    root = tmp_path_factory.mktemp("topics_sample")
    project = root / "project"
    done = cx("sample", str(project), "--force", cwd=root)
    assert done.returncode == 0, done.stderr
    config = project / "cxlens.toml"
    done = cx("run", "--config", str(config), "--out", str(root / "out"), cwd=root)
    assert done.returncode == 0, done.stderr
    settings = load_settings(config)
    return config, settings, Warehouse.for_settings(settings)


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def sql(warehouse, query: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        return con.execute(query).df()
    finally:
        con.close()


def test_every_survey_comment_is_read(sample):
    _, settings, warehouse = sample
    comments = analysed(warehouse, settings).comments
    count = sql(warehouse, "SELECT count(*) AS n FROM survey_responses WHERE trim(comment) <> ''")[
        "n"
    ].iloc[0]
    assert len(comments) == count
    assert set(comments["language"]) == {"zh", "en"}


def test_labelled_negatives_per_channel_match_sql(sample):
    _, settings, warehouse = sample
    comments = analysed(warehouse, settings).comments
    labelled = comments[comments["label"].notna()]
    ours = negative_by(
        labelled.assign(topic="any"), pd.DataFrame({"topic": ["any"], "label": ["any"]}), "channel"
    )

    expected = sql(
        warehouse,
        """
        SELECT coalesce(s.channel, t.channel) AS channel, count(*) AS negative
        FROM survey_responses s LEFT JOIN tickets t USING (ticket_id)
        WHERE trim(s.comment) <> '' AND (
            (s.kind = 'csat' AND s.score BETWEEN coalesce(s.scale_min, 1)
                AND coalesce(s.scale_max, 5) AND s.score <= 2)
            OR (s.kind = 'nps' AND s.score = floor(s.score) AND s.score BETWEEN 0 AND 6))
        GROUP BY 1
        """,
    )
    assert dict(zip(ours["channel"].fillna("-"), ours["negative"], strict=True)) == dict(
        zip(expected["channel"].fillna("-"), expected["negative"], strict=True)
    )


def test_topics_json_has_every_table_and_the_counts_add_up(sample):
    config, settings, warehouse = sample
    result = run("topics", "--config", str(config), "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)

    assert view["missing"] is None
    assert set(view["tables"]) == {
        "topics",
        "topics_by_channel",
        "topics_by_category",
        "topics_sentiment",
    }
    assert (
        view["lines"][0].startswith("“") and " is the largest negative topic: " in view["lines"][0]
    )
    topics = pd.DataFrame(view["tables"]["topics"])
    comments = analysed(warehouse, settings).comments
    assert topics["Comments"].sum() == comments["topic"].notna().sum()
    assert topics["Negative comments"].tolist() == sorted(topics["Negative comments"], reverse=True)
    assert set(topics["Language"]) == {"Chinese", "English"}


def test_a_window_counts_its_comments_and_compares_with_the_month_before(sample):
    config, settings, warehouse = sample
    result = run(
        "topics",
        "--config",
        str(config),
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-30",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))

    june = sql(
        warehouse,
        "SELECT count(*) AS n FROM survey_responses WHERE trim(comment) <> '' "
        "AND responded_at_local::DATE BETWEEN '2025-06-01' AND '2025-06-30'",
    )
    analysis = analysed(warehouse, settings)
    assert len(in_scope(analysis.comments, JUNE)) == june["n"].iloc[0]
    assert table["comments"].sum() <= june["n"].iloc[0]
    assert (table["negative_share"] == table["negative"] / table["comments"]).all()
    may = in_scope(analysis.comments, Scope((date(2025, 5, 2), date(2025, 5, 31))))
    before = may["topic"].value_counts()
    assert table["previous"].tolist() == [int(before.get(t, 0)) for t in table["topic"]]


def test_weekly_negatives_match_sql_over_the_same_comments(sample):
    _, settings, warehouse = sample
    weekly = weekly_topic_negatives(warehouse, settings, JUNE)
    analysis = analysed(warehouse, settings)
    placed = in_scope(analysis.comments, JUNE)
    names = analysis.topics[["topic", "label"]].rename(columns={"label": "topic_label"})
    placed = placed[placed["topic"].notna()].merge(names, on="topic")
    expected = duckdb.sql(
        "SELECT strftime(posted_at_local, '%G-W%V') AS week, topic_label AS topic, "
        "sum(negative::INT) AS negative, count(*) AS total FROM placed GROUP BY ALL "
        "ORDER BY week, topic"
    ).df()
    assert weekly["week"].tolist() == expected["week"].tolist()
    assert weekly["topic"].tolist() == expected["topic"].tolist()
    assert weekly["negative"].tolist() == expected["negative"].astype(int).tolist()
    assert weekly["total"].tolist() == expected["total"].astype(int).tolist()
    assert set(weekly["week"]) == {
        "2025-W22",
        "2025-W23",
        "2025-W24",
        "2025-W25",
        "2025-W26",
        "2025-W27",
    }


def test_the_chinese_view_reads_in_chinese(sample):
    _, settings, warehouse = sample
    view = action_view("topics", warehouse, settings, "zh", JUNE)
    assert view.missing is None and view.title == "客户之声"
    assert "是最大的负面话题" in view.lines[0]
    assert list(view.tables[0].frame.columns)[:4] == ["话题", "语言", "关键词", "评论数"]
    assert view.figures[0].layout.title.text == "各话题评论数"


def test_a_window_without_comments_says_what_to_do(sample):
    _, settings, warehouse = sample
    view = action_view("topics", warehouse, settings, "en", Scope((date(2030, 1, 1), None)))
    assert view.missing == "no comment in these dates and filters: widen the dates or drop a filter"


def test_sentiment_on_the_warehouse_reports_both_models(sample):
    config, _, _ = sample
    result = run("sentiment", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    languages = pd.DataFrame(report["languages"])
    assert set(languages["language"]) == {"zh", "en"}
    weighted = (languages["fitted_accuracy"] * languages["heldout"]).sum() / languages[
        "heldout"
    ].sum()
    assert report["accuracy"] == pytest.approx(weighted)


def test_sentiment_on_a_labelled_file(tmp_path):
    rows = [(f"{a} {t}", 1) for a in ("great", "quick", "kind") for t in "abcdefgh"]
    rows += [(f"{a} {t}", 0) for a in ("slow", "rude", "late") for t in "abcdefgh"]
    path = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=["words", "mood"]).to_csv(path, index=False)
    result = run(
        "sentiment",
        "--labelled",
        str(path),
        "--text-column",
        "words",
        "--label-column",
        "mood",
        "--holdout",
        "0.25",
    )
    assert result.exit_code == 0, result.output
    assert "Held-out accuracy" in result.stdout
    assert "on 12 held-out comments." in result.stdout  # a quarter of 48 distinct texts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "use table or json or csv"),
        (["--from", "2025-13-01"], "'2025-13-01' is not a day like 2025-06-30"),
        (["--from", "2025-06-02", "--to", "2025-06-01"], "2025-06-01 is before --from 2025-06-02"),
        (["--top", "0"], "show at least one row"),
    ],
)
def test_bad_flags_say_what_is_wrong(sample, args, message):
    config, _, _ = sample
    result = CliRunner().invoke(app, ["topics", "--config", str(config), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())


def test_a_bad_topics_setting_is_refused_by_name(sample):
    config, _, _ = sample
    bad = config.with_name("bad.toml")
    bad.write_text(config.read_text(encoding="utf-8") + "\n[topics]\ncolour = 1\n", "utf-8")
    done = cx("topics", "--config", str(bad), cwd=config.parent)
    assert done.returncode == 1
    assert "[topics] colour: unknown key; the keys are count, min_size" in done.stderr


# Content words of the sample's main complaint themes (cxlens.sample.comments; the
# per-category complaints are each under MAIN_SHARE), written by hand from their
# sentences: a topic named after a theme must carry one of them.
THEME_WORDS = {
    "waiting": {"排队", "人理", "在线", "半小时", "占线", "电话", "邮件", "回复", "两天", "chat",
                "queue", "waited", "hour", "phone", "busy", "line", "email", "answer", "days"},
    "repeat": {"反复", "解释", "三遍", "同一个", "解决", "explain", "problem", "ticket",
               "marked", "solved", "fixed"},
    "discourage": {"售后", "价格", "服务", "便宜", "跟不上", "负责", "找", "sales", "buy",
                   "cheap", "service", "responsibility", "wrong"},
}  # fmt: skip
# a sentence is a main complaint when it wrote this share of its language's negative comments
MAIN_SHARE = 0.05


def generated_sentences(comments: pd.DataFrame) -> pd.DataFrame:
    """theme and sentence per comment: the complaint sentence of the generator it holds."""
    found = pd.DataFrame({"theme": None, "sentence": None}, index=comments.index)
    pools = {**generator.COMPLAINTS, "discourage": generator.DISCOURAGE}
    for theme, by_language in pools.items():
        for sentence in (s for sentences in by_language.values() for s in sentences):
            holds = comments["text"].str.contains(sentence, regex=False)
            found.loc[holds, ["theme", "sentence"]] = (theme, sentence)
    return found


def test_each_main_complaint_lands_in_one_topic_named_by_its_words(sample):
    # A theme's sentences share no words ("排队半小时没人理", "电话占线", "邮件两天才回复"
    # are all "waiting"), which no word-based model can join, so each main sentence of a
    # theme is checked: most of its negative comments in one topic, named by its theme.
    _, settings, warehouse = sample
    analysis = analysed(warehouse, settings)
    negative = analysis.comments[analysis.comments["negative"]]
    negative = negative.join(generated_sentences(negative))
    labels = analysis.topics.set_index("topic")["label"]

    per_sentence = negative.groupby(["language", "theme", "sentence"]).size().rename("n")
    share = per_sentence / per_sentence.groupby(level="language").transform("sum")
    main = share[share >= MAIN_SHARE].reset_index()
    main = main[main["theme"].isin(list(THEME_WORDS))]
    assert set(main["theme"]) == set(THEME_WORDS)  # every theme has a main sentence
    for row in main.itertuples():
        rows = negative[negative["sentence"] == row.sentence]
        counts = rows["topic"].value_counts()
        assert counts.iloc[0] >= 0.7 * len(rows), (row.sentence, counts.to_dict())
        label = labels[counts.index[0]]
        assert set(label.split(" / ")) & THEME_WORDS[row.theme], (row.sentence, label)


def test_neutral_scores_never_count_as_negative(sample):
    _, settings, warehouse = sample
    comments = analysed(warehouse, settings).comments
    neutral = sql(
        warehouse,
        "SELECT response_id FROM survey_responses WHERE trim(comment) <> '' AND "
        "((kind = 'csat' AND score = 3) OR (kind = 'nps' AND score IN (7, 8)))",
    )["response_id"].astype(str)
    assert len(neutral) > 100
    rows = comments[comments["comment_id"].isin(set(neutral))]
    assert len(rows) == len(neutral) and not rows["negative"].any()
    # and the sample's neutral sentences ("还行吧，就是有点慢") teach no topic its name
    names = " / ".join(analysis_labels(warehouse, settings)).split(" / ")
    assert not {"一般", "有点", "还行", "不错", "慢", "没", "根本", "ok", "slow"} & set(names)


def analysis_labels(warehouse, settings) -> list[str]:
    return analysed(warehouse, settings).topics["label"].tolist()


def test_june_says_which_comments_it_covers_and_that_every_one_has_a_score(sample):
    _, settings, warehouse = sample
    counts = sql(
        warehouse,
        "SELECT count(*) AS every, "
        "count(*) FILTER (WHERE responded_at_local::DATE BETWEEN '2025-06-01' AND '2025-06-30' "
        "AND score IS NULL) AS june_unscored "
        "FROM survey_responses WHERE trim(comment) <> ''",
    )
    every, june_unscored = (int(v) for v in counts.iloc[0])
    assert june_unscored == 0  # the sample scores every comment
    en = action_view("topics", warehouse, settings, "en", JUNE)
    assert en.covering == (
        f"comments 2025-06-01 to 2025-06-30; models learned from all {every:,} comments"
    )
    assert en.lines[-1].startswith(
        "Every comment here carries a score, so no sentiment model was needed; as a check, "
    )
    zh = action_view("topics", warehouse, settings, "zh", JUNE)
    assert zh.covering == f"评论：2025-06-01 至 2025-06-30；模型基于全部 {every:,} 条评论学习"
    assert zh.lines[-1].startswith("这里每条评论都带有评分，无需情感模型判断；作为检验，")
    assert not any("; " in line or "its bundled" in line for line in zh.lines)
    shipped = zh.tables[-1].frame["内置模型"].tolist()
    assert not any("its bundled" in name for name in shipped)
