"""Channel names, priorities and statuses in one vocabulary each."""

import json

import pytest

from cxlens.clean.channels import LABELS, channel_label, standard_channel
from cxlens.clean.codes import PRIORITIES, TICKET_STATUSES, vocabulary_mapper
from cxlens.schema import CHANNELS
from helpers_raw import clean_rows, fetch, rule_rows

# case IM-5: every Chinese channel name a Chinese helpdesk exports, and the English ones
CHANNEL_NAMES = {
    "邮箱": "email", "邮件": "email", "email": "email", "E-mail": "email", "Mail": "email",
    "电话": "phone", "phone": "phone", "Voice": "phone", "call": "phone", "热线": "phone",
    "即时聊天": "chat", "在线客服": "chat", "chat": "chat", "Live Chat": "chat",
    "web chat": "chat", "live_chat": "chat",
    "微信": "wechat", "WeChat": "wechat",
    "微博": "weibo", "Weibo": "weibo",
    "帮助中心": "help_center", "Help Center": "help_center", "help centre": "help_center",
    "web form": "help_center",
    "手工录入": "manual", "manual": "manual", "agent-created": "manual",
    "API": "api", "api": "api",
    "反馈标签": "feedback_widget", "Feedback Widget": "feedback_widget",
    "Twitter": "social", "Facebook": "social", "social": "social",
    "SMS": "sms", "短信": "sms",
    "web": "web", "Website": "web", "网页": "web",
    " ＥＭＡＩＬ ": "email",  # full-width letters and stray spaces
}  # fmt: skip


@pytest.mark.parametrize(("name", "code"), CHANNEL_NAMES.items())
def test_channel_names_map_to_one_code(name, code):
    assert standard_channel(name) == (code, True)


def test_channels_in_tickets_and_surveys_are_standardised(tmp_path):
    names = list(CHANNEL_NAMES)
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                {"ticket_id": f"T{i:02}", "created_at": "2024-01-01", "channel": name}
                for i, name in enumerate([*names, "carrier pigeon", None])
            ],
            "survey_responses": [
                {
                    "response_id": "R1",
                    "kind": "csat",
                    "score": 5,
                    "responded_at": "2024-01-02",
                    "channel": "微信",
                },
            ],
        },
    )
    got = dict(fetch(warehouse, "SELECT ticket_id, channel FROM tickets"))
    expected = {f"T{i:02}": CHANNEL_NAMES[name] for i, name in enumerate(names)}
    expected |= {f"T{len(names):02}": "other", f"T{len(names) + 1:02}": None}
    assert got == expected
    assert fetch(warehouse, "SELECT channel FROM survey_responses") == [("wechat",)]

    unknown_id = f"T{len(names):02}"
    attributes = fetch(
        warehouse, f"SELECT attributes FROM tickets WHERE ticket_id = '{unknown_id}'"
    )
    assert json.loads(attributes[0][0]) == {"channel_original": "carrier pigeon"}
    rows, keys = rule_rows(rules, "channel_unknown", "tickets")
    assert (rows, keys) == (1, [unknown_id])
    already_codes = sum(1 for name in names if name == CHANNEL_NAMES[name])
    assert rule_rows(rules, "channel_standardised", "tickets")[0] == len(names) - already_codes
    assert "carrier pigeon" in next(r.description for r in rules if r.rule == "channel_unknown")


def test_every_channel_code_has_labels_in_both_languages():
    assert set(LABELS) == set(CHANNELS)
    assert channel_label("email", "zh") == "邮件"
    assert channel_label("email", "en") == "Email"
    assert channel_label("help_center", "zh") == "帮助中心"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1 - Critical", "urgent"), ("2 - High", "high"), ("3 - Moderate", "normal"),
        ("medium", "normal"), ("Normal", "normal"), ("4 - Low", "low"), ("low", "low"),
        ("紧急", "urgent"), ("高", "high"), ("中", "normal"), ("低", "low"),
    ],
)  # fmt: skip
def test_priorities(text, code):
    assert vocabulary_mapper(PRIORITIES)(text) == (code, True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("New", "new"), ("新建", "new"), ("Open", "open"), ("处理中", "open"),
        ("Pending Customer Response", "pending"), ("待回复", "pending"),
        ("On-Hold", "on_hold"), ("Resolved", "solved"), ("已解决", "solved"),
        ("Closed", "closed"), ("已关闭", "closed"), ("Active", "open"),
    ],
)  # fmt: skip
def test_statuses(text, code):
    assert vocabulary_mapper(TICKET_STATUSES)(text) == (code, True)


def test_unknown_status_is_kept_lower_cased_and_logged(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                {"ticket_id": "T1", "created_at": "2024-01-01", "status": "Escalated L2"},
                {
                    "ticket_id": "T2",
                    "created_at": "2024-01-01",
                    "status": "已解决",
                    "priority": "P1",
                },
            ]
        },
    )
    assert fetch(warehouse, "SELECT status, priority FROM tickets ORDER BY ticket_id") == [
        ("escalated l2", None),
        ("solved", "urgent"),
    ]
    assert rule_rows(rules, "status_unknown", "tickets") == (1, ["T1"])
    assert rule_rows(rules, "status_standardised", "tickets") == (1, ["T2"])
