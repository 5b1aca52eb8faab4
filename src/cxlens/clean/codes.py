"""Priorities, ticket statuses and order statuses in one vocabulary each.

Exports write them in many ways: ServiceNow's ``1 - Critical``, Kaggle's ``Medium``,
Chinese helpdesks' 紧急 or 已解决. Each distinct value is matched after folding case and
width and dropping a leading number such as ``2 - ``; a value not in the table is kept
lower-cased and logged, so that nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.clean.mapping import Mapper, apply_value_map, build_value_map, unknown_values

if TYPE_CHECKING:
    import duckdb

PRIORITIES: dict[str, tuple[str, ...]] = {
    "urgent": ("urgent", "critical", "highest", "p1", "紧急", "特急", "最高", "严重"),
    "high": ("high", "p2", "高", "较高"),
    "normal": ("normal", "medium", "moderate", "p3", "中", "普通", "一般", "正常"),
    # ServiceNow's "5 - Planning" is below Low; it is the lowest we have.
    "low": ("low", "lowest", "planning", "p4", "低", "较低", "最低"),
}

TICKET_STATUSES: dict[str, tuple[str, ...]] = {
    "new": ("new", "新建", "新", "未处理", "待处理", "未分配"),
    "open": (
        "open",
        "active",
        "in progress",
        "assigned",
        "reopened",
        "处理中",
        "进行中",
        "已分配",
        "打开",
        "重新打开",
    ),
    "pending": (
        "pending",
        "pending customer response",
        "awaiting user info",
        "waiting on customer",
        "待回复",
        "等待回复",
        "待客户回复",
        "等待客户",
    ),
    "on_hold": (
        "on hold",
        "hold",
        "awaiting problem",
        "awaiting vendor",
        "awaiting evidence",
        "awaiting change",
        "挂起",
        "暂停",
    ),
    "solved": ("solved", "resolved", "已解决", "已处理", "解决"),
    "closed": ("closed", "已关闭", "关闭", "已完成"),
    # A ticket merged into another keeps the status 'merged'; see is_merged.
    "merged": ("merged", "已合并"),
}

ORDER_STATUSES: dict[str, tuple[str, ...]] = {
    "completed": ("completed", "complete", "delivered", "paid", "已完成", "完成", "已支付"),
    "refunded": ("refunded", "refund", "returned", "已退款", "退款", "退货"),
    "cancelled": ("cancelled", "canceled", "已取消", "取消"),
}


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    folded = re.sub(r"^\d+\s*[-.:)]\s*", "", folded)
    return re.sub(r"[\s_\-]+", " ", folded)


def vocabulary_mapper(vocabulary: dict[str, tuple[str, ...]]) -> Mapper:
    """A mapper to the vocabulary's codes; unknown values come back lower-cased."""
    lookup = {_fold(name): code for code, names in vocabulary.items() for name in (code, *names)}

    def mapper(text: str) -> tuple[str | None, bool]:
        if not text.strip():
            return None, True
        code = lookup.get(_fold(text))
        if code is None:
            return unicodedata.normalize("NFKC", text).strip().lower(), False
        return code, True

    return mapper


def standardise_codes(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    column: str,
    vocabulary: dict[str, tuple[str, ...]],
    cleaning_log: CleaningLog,
) -> None:
    """Rewrite ``column`` of a staged table to the vocabulary's codes, logging what changed."""
    stage = stage_name(table_name)
    value_map = build_value_map(
        con, stage, column, vocabulary_mapper(vocabulary), f"{column}_{table_name}"
    )
    in_map = f"FROM {value_map} m WHERE m.value = {stage}.{column}"
    cleaning_log.count(
        con,
        f"{column}_standardised",
        table_name,
        f"EXISTS (SELECT 1 {in_map} AND m.known AND m.value IS DISTINCT FROM m.standard)",
        f"{column} values rewritten to one of: {', '.join(vocabulary)}",
    )
    unknown = unknown_values(con, value_map)
    cleaning_log.count(
        con,
        f"{column}_unknown",
        table_name,
        f"EXISTS (SELECT 1 {in_map} AND NOT m.known)",
        f"{column} values not recognised, kept lower-cased"
        + (f": {', '.join(unknown)}" if unknown else ""),
    )
    apply_value_map(con, stage, column, value_map)
    con.execute(f"DROP TABLE {value_map}")
