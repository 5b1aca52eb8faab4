"""Matching a file's headers to canonical column names.

Headers are compared after folding case and turning every run of spaces, dots,
dashes and underscores into one underscore, so ``Ticket ID``, ``ticket_id`` and
`` TICKET id `` are the same header. Chinese helpdesks and spreadsheets name the
common columns in Chinese; a built-in alias list maps those (工单编号 → ticket_id,
创建时间 → created_at, 渠道 → channel, 客服 → agent_id, 满意度 → score, …) whenever
the alias's canonical column belongs to the table being filled.
"""

from __future__ import annotations

import re

from cxlens.schema import Table

_SEPARATORS = re.compile(r"[\s._\-/()\[\]（）]+")


def normalise(header: str) -> str:
    """The comparable form of a header: lower case, separators folded to ``_``."""
    return _SEPARATORS.sub("_", str(header).strip().lower()).strip("_")


# Alias → canonical columns it may mean, in order of preference; the first one the
# table has wins (客户 is customer_id wherever a table has one).
ALIASES: dict[str, tuple[str, ...]] = {
    "工单编号": ("ticket_id",),
    "工单号": ("ticket_id",),
    "工单id": ("ticket_id",),
    "工单": ("ticket_id",),
    "创建时间": ("created_at",),
    "提交时间": ("created_at", "responded_at"),
    "客户": ("customer_id",),
    "客户id": ("customer_id",),
    "客户编号": ("customer_id",),
    "用户id": ("customer_id",),
    "渠道": ("channel",),
    "来源渠道": ("channel",),
    "来源": ("channel", "source"),
    "分类": ("category",),
    "类别": ("category",),
    "问题分类": ("category",),
    "优先级": ("priority",),
    "状态": ("status",),
    "工单状态": ("status",),
    "订单状态": ("status",),
    "客服": ("agent_id",),
    "客服id": ("agent_id",),
    "工号": ("agent_id",),
    "处理人": ("agent_id",),
    "受理客服": ("agent_id",),
    "团队": ("team",),
    "技能组": ("team",),
    "客服组": ("team",),
    "首次响应时间": ("first_response_at",),
    "首次解决时间": ("first_solved_at",),
    "解决时间": ("solved_at",),
    "关闭时间": ("closed_at",),
    "重开次数": ("reopens",),
    "回复次数": ("agent_replies",),
    "合并到": ("merged_into",),
    "首次响应时长": ("first_response_minutes",),
    "解决时长": ("resolution_minutes",),
    "是否接通": ("answered",),
    "已接通": ("answered",),
    "评价编号": ("response_id",),
    "问卷编号": ("response_id",),
    "评价类型": ("kind",),
    "满意度": ("score",),
    "评分": ("score", "rating"),
    "分数": ("score",),
    "评价时间": ("responded_at", "posted_at"),
    "评价内容": ("comment", "text"),
    "评论": ("comment", "text"),
    "评论id": ("comment_id",),
    "内容": ("text",),
    "发布时间": ("posted_at",),
    "语言": ("language",),
    "姓名": ("name",),
    "名称": ("name",),
    "客户名称": ("name",),
    "邮箱": ("email",),
    "电子邮件": ("email",),
    "电话": ("phone",),
    "手机": ("phone",),
    "手机号": ("phone",),
    "性别": ("gender",),
    "年龄": ("age",),
    "地区": ("region",),
    "注册时间": ("created_at",),
    "会员等级": ("segment",),
    "客户分群": ("segment",),
    "订单号": ("order_id",),
    "订单编号": ("order_id",),
    "下单时间": ("ordered_at",),
    "金额": ("amount",),
    "订单金额": ("amount",),
    "实付金额": ("amount",),
    "币种": ("currency",),
    "入职时间": ("hired_at",),
}


def canonical_for(header: str, table: Table) -> str | None:
    """The canonical column of ``table`` a header names, directly or by alias."""
    key = normalise(header)
    if key in table.column_by_name and key != "attributes":
        return key
    for candidate in ALIASES.get(key, ()):
        if candidate in table.column_by_name:
            return candidate
    return None


def auto_mapping(headers: list[str], table: Table) -> dict[str, str]:
    """canonical → header for every header that names a column of ``table``.

    The first header naming a column wins; later ones stay in ``attributes``.
    """
    mapping: dict[str, str] = {}
    for header in headers:
        canonical = canonical_for(header, table)
        if canonical and canonical not in mapping:
            mapping[canonical] = header
    return mapping


def find_header(name: str, headers: list[str]) -> str | None:
    """The file's header that ``name`` designates, compared case- and space-insensitively."""
    key = normalise(name)
    for header in headers:
        if normalise(header) == key:
            return header
    return None


# -- headers read with the wrong encoding ----------------------------------------------

# Text a person writes in a header: Latin letters and punctuation, CJK ideographs and
# their punctuation, fullwidth forms. Anything else in a header (kana inside Chinese,
# Hangul, box drawing, private use, U+FFFD) is more often bytes decoded with the wrong
# table than a real name.
_COMMON = re.compile(r"[\u0000-\u024f\u2000-\u206f\u20ac\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_MOJIBAKE = re.compile(r"[ÃÂ][\u0080-\u00bf]|锟斤拷|\ufffd")
_CANDIDATES = ("utf-8", "big5", "gb18030", "shift_jis", "euc-kr", "cp1252")


def _uncommon(text: str) -> bool:
    return bool(_MOJIBAKE.search(text)) or any(not _COMMON.match(c) for c in text)


def looks_misdecoded(headers: list[str]) -> bool:
    """Whether the headers hold characters that suggest the file was decoded wrongly."""
    return any(_uncommon(h) for h in headers)


def likely_encoding(headers: list[str], read_as: str | None) -> str | None:
    """The encoding under which the headers' bytes read as plain text, if one does."""
    if not read_as:
        return None
    try:
        raw = "\n".join(headers).encode(read_as)
    except (LookupError, UnicodeError):
        return None
    for encoding in _CANDIDATES:
        try:
            text = raw.decode(encoding)
        except UnicodeError:
            continue
        if encoding.replace("_", "-") != read_as.lower().replace("_", "-") and not _uncommon(text):
            return encoding
    return None
