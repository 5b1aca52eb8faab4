"""Channel names in one vocabulary: the codes of ``schema.CHANNELS``.

Helpdesks name the same channel many ways, in English and Chinese (case IM-5: 邮箱 is
e-mail, 手工录入 a ticket an agent entered). Each written name is matched after folding
case, width and separators (``Live-Chat`` = ``live chat``); a name not in the synonym
table becomes ``other`` and its text is kept in ``attributes.channel_original``. A
missing channel stays missing.

``channel_label(code, lang)`` gives the display name for reports (zh or en).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.clean.mapping import apply_value_map, build_value_map, unknown_values

if TYPE_CHECKING:
    import duckdb

OTHER = "other"  # the catch-all code of schema.CHANNELS

SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "邮箱", "邮件", "电子邮件", "电邮"),
    "phone": (
        "phone",
        "voice",
        "call",
        "telephone",
        "phone call",
        "inbound call",
        "热线",
        "电话",
        "语音",
        "来电",
        "客服电话",
    ),
    "chat": (
        "chat",
        "live chat",
        "web chat",
        "webchat",
        "messaging",
        "即时聊天",
        "在线客服",
        "在线聊天",
        "在线咨询",
    ),
    "web": ("web", "website", "web site", "网页", "网站", "官网"),
    "wechat": ("wechat", "weixin", "微信", "微信公众号", "公众号"),
    "weibo": ("weibo", "微博"),
    "social": ("social", "social media", "twitter", "facebook", "instagram", "社交媒体"),
    "help_center": (
        "help center",
        "help centre",
        "helpcenter",
        "web form",
        "webform",
        "帮助中心",
    ),
    "api": ("api", "接口"),
    "manual": ("manual", "agent-created", "agent created", "手工录入", "手动录入", "人工录入"),
    "feedback_widget": ("feedback widget", "feedback tab", "反馈标签", "反馈组件"),
    "sms": ("sms", "text message", "短信"),
}

LABELS: dict[str, tuple[str, str]] = {
    "email": ("邮件", "Email"),
    "phone": ("电话", "Phone"),
    "chat": ("在线聊天", "Chat"),
    "web": ("网页", "Web"),
    "wechat": ("微信", "WeChat"),
    "weibo": ("微博", "Weibo"),
    "social": ("社交媒体", "Social media"),
    "help_center": ("帮助中心", "Help center"),
    "api": ("API", "API"),
    "manual": ("手工录入", "Entered by agent"),
    "feedback_widget": ("反馈标签", "Feedback widget"),
    "sms": ("短信", "SMS"),
    "other": ("其他", "Other"),
}


def _fold(text: str) -> str:
    """Fold case, full-width forms and separators so that spellings of a name compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"[\s_\-]+", " ", folded)


_LOOKUP = {_fold(name): code for code, names in SYNONYMS.items() for name in (code, *names)}


def standard_channel(text: str) -> tuple[str | None, bool]:
    """``(code, True)`` for a known channel name, ``("other", False)`` for an unknown one."""
    if not text.strip():
        return None, True
    code = _LOOKUP.get(_fold(text))
    if code is None:
        return OTHER, False
    return code, True


def channel_label(code: str | None, lang: str = "en") -> str:
    """The display name of a channel code in ``lang`` (``zh`` or ``en``); unknown codes as given."""
    if code is None:
        return "未知" if lang == "zh" else "Unknown"
    labels = LABELS.get(code)
    if labels is None:
        return code
    return labels[0] if lang == "zh" else labels[1]


def standardise_channels(
    con: duckdb.DuckDBPyConnection, table_name: str, cleaning_log: CleaningLog
) -> None:
    """Rewrite ``channel`` of a staged table to channel codes, logging what changed."""
    stage = stage_name(table_name)
    value_map = build_value_map(con, stage, "channel", standard_channel, f"channel_{table_name}")
    in_map = f"FROM {value_map} m WHERE m.value = {stage}.channel"
    cleaning_log.count(
        con,
        "channel_standardised",
        table_name,
        f"EXISTS (SELECT 1 {in_map} AND m.known AND m.value IS DISTINCT FROM m.standard)",
        "channel names and synonyms (zh/en) rewritten to one code",
    )
    unknown = unknown_values(con, value_map)
    cleaning_log.count(
        con,
        "channel_unknown",
        table_name,
        f"EXISTS (SELECT 1 {in_map} AND NOT m.known)",
        "unrecognised channel names set to 'other', text kept in attributes.channel_original"
        + (f": {', '.join(unknown)}" if unknown else ""),
    )
    con.execute(
        f"UPDATE {stage} SET attributes = json_merge_patch(coalesce(attributes, '{{}}'), "
        f"json_object('channel_original', m.value)) FROM {value_map} m "
        f"WHERE {stage}.channel = m.value AND NOT m.known"
    )
    apply_value_map(con, stage, "channel", value_map)
    con.execute(f"DROP TABLE {value_map}")
