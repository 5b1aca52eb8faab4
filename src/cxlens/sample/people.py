"""The sample company's customers and agents.

Customers get a hidden mood (``mood``), a language (a few speak English and are served
by the English desk) and the moment of their first purchase; these drive orders,
tickets and surveys but are not written to the exports. A few dozen people registered
twice under differently written e-mails and phone numbers, as happens when one signs
up in the app and again by phone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import timeline

N_CUSTOMERS = 10_000
EXISTING_SHARE = 0.5  # customers before 2024; the others join during the sample
RHYTHM_DAYS = 545  # the span of a CDNOW purchase history (78 weeks)
N_DUPLICATE_PEOPLE = 36

SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
    ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"),
    ("郭", "Guo"), ("何", "He"), ("林", "Lin"), ("罗", "Luo"), ("高", "Gao"),
    ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"),
    ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"),
    ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"),
    ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"), ("霞", "Xia"), ("平", "Ping"),
    ("刚", "Gang"), ("桂英", "Guiying"), ("晓东", "Xiaodong"), ("雪", "Xue"),
    ("佳怡", "Jiayi"), ("子涵", "Zihan"), ("浩然", "Haoran"), ("雨桐", "Yutong"),
    ("思远", "Siyuan"), ("欣然", "Xinran"), ("一鸣", "Yiming"), ("梓萱", "Zixuan"),
)  # fmt: skip
WESTERN_FIRST = (
    "Emma", "Lucas", "Sophie", "Daniel", "Hannah", "Oliver", "Chloe", "Matteo",
    "Julia", "Thomas", "Anna", "James", "Laura", "Noah", "Clara", "Samuel",
)  # fmt: skip
WESTERN_LAST = (
    "Clarke", "Becker", "Moreau", "Rossi", "Novak", "Jensen", "Walsh", "Keller",
    "Dubois", "Larsen", "Fischer", "Bennett", "Costa", "Meyer", "Hughes", "Berg",
)  # fmt: skip
# Reserved example domains: no address here can reach a real mailbox.
DOMAINS = ("example.com", "example.cn", "example.net", "example.org", "mail.example.cn")
REGIONS = (
    ("Guangdong", 13), ("Zhejiang", 10), ("Jiangsu", 10), ("Shanghai", 9), ("Beijing", 8),
    ("Shandong", 7), ("Sichuan", 6), ("Hubei", 5), ("Henan", 5), ("Fujian", 5),
    ("Hunan", 4), ("Anhui", 3), ("Shaanxi", 3), ("Chongqing", 3), ("Tianjin", 3),
    ("Liaoning", 2), ("Yunnan", 2), ("Hebei", 2),
)  # fmt: skip
SEGMENTS = (("consumer", 0.78), ("business", 0.12), ("vip", 0.10))
MOBILE_PREFIXES = np.array([130, 133, 135, 136, 137, 138, 139, 150, 152, 158, 177, 186, 188, 199])

# agent_id, name, team, hired_at, speed (× response and work times), quality (CSAT shift)
AGENTS = (
    ("A01", "Chen Jing 陈静", "Messaging", "2021-03-15", 1.0, 0.0),
    ("A02", "Li Na 李娜", "Messaging", "2022-07-01", 1.0, 0.05),
    ("A03", "Zhou Yiming 周一鸣", "Messaging", "2020-09-01", 0.5, 0.7),
    ("A04", "Wang Lei 王磊", "Messaging", "2023-02-20", 1.1, 0.0),
    ("A05", "Xu Fang 徐芳", "Messaging", "2023-05-08", 1.0, -0.05),
    ("A06", "Guo Tao 郭涛", "Messaging", "2024-09-02", 1.2, 0.0),
    ("A07", "Huang Chao 黄超", "Messaging", "2023-11-13", 2.3, -0.7),
    ("A08", "Zhao Min 赵敏", "Voice & Email", "2019-06-03", 0.9, 0.1),
    ("A09", "Sun Qiang 孙强", "Voice & Email", "2021-10-11", 1.0, 0.0),
    ("A10", "Lin Xue 林雪", "Voice & Email", "2022-03-14", 1.0, 0.0),
    ("A11", "Ma Jun 马军", "Voice & Email", "2023-08-21", 1.1, -0.05),
    ("A12", "Deng Yutong 邓雨桐", "Voice & Email", "2024-02-26", 1.1, 0.0),
    ("A13", "Tang Haoran 唐浩然", "Voice & Email", "2020-04-07", 0.95, 0.05),
    ("A14", "Feng Gang 冯刚", "Technical", "2022-12-05", 2.4, -0.6),
    ("A15", "Xie Ming 谢明", "Technical", "2018-05-14", 0.9, 0.1),
    ("A16", "Cao Wei 曹伟", "Technical", "2021-01-18", 1.0, 0.0),
    ("A17", "He Jie 何杰", "Technical", "2023-04-10", 1.05, 0.0),
    ("A18", "Lucy Zhu 朱露", "English Desk", "2021-06-21", 1.0, 0.05),
    ("A19", "Daniel Song 宋丹", "English Desk", "2022-09-05", 1.0, 0.0),
    ("A20", "Hannah Luo 罗涵", "English Desk", "2024-05-13", 1.1, 0.0),
)
TEAMS = ("Messaging", "Voice & Email", "Technical", "English Desk")
ON_LEAVE_IN_STAFFING_MONTH = ("A01", "A04", "A10")


def agents_frame() -> pd.DataFrame:
    """The agents with their hidden speed and quality (only the first four are exported)."""
    columns = ["agent_id", "name", "team", "hired_at", "speed", "quality"]
    frame = pd.DataFrame(AGENTS, columns=columns)
    frame["hired_at"] = pd.to_datetime(frame["hired_at"])
    return frame


def make_customers(rng: np.random.Generator) -> pd.DataFrame:
    """Customers with contact details, segment, region, mood, language and first purchase."""
    n = N_CUSTOMERS
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(1, n + 1)]})
    frame["segment"] = rng.choice([s for s, _ in SEGMENTS], n, p=[p for _, p in SEGMENTS])
    frame["english"] = rng.random(n) < 0.08
    frame["region"] = _weighted(rng, REGIONS, n)
    frame["gender"] = rng.choice(["female", "male"], n)
    age = pd.Series(np.clip(np.round(rng.normal(37, 11, n)), 18, 75)).astype("Int64")
    frame["age"] = age.where(rng.random(n) > 0.12)
    frame["mood"] = rng.normal(0, 1, n)
    _add_names(frame, rng)
    _add_contacts(frame, rng)
    _add_first_purchase(frame, rng)
    return frame


def _weighted(rng: np.random.Generator, pairs, n: int) -> np.ndarray:
    values = np.array([v for v, _ in pairs])
    weights = np.array([w for _, w in pairs], dtype=float)
    return rng.choice(values, n, p=weights / weights.sum())


def _add_names(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(frame)
    surname = rng.integers(0, len(SURNAMES), n)
    given = rng.integers(0, len(GIVEN_NAMES), n)
    hanzi = np.array([s for s, _ in SURNAMES], dtype=object)[surname]
    hanzi += np.array([g for g, _ in GIVEN_NAMES], dtype=object)[given]
    family = np.array([p for _, p in SURNAMES], dtype=object)[surname]
    first = np.array([p for _, p in GIVEN_NAMES], dtype=object)[given]

    western_first = np.array(WESTERN_FIRST, dtype=object)[rng.integers(0, 16, n)]
    western_last = np.array(WESTERN_LAST, dtype=object)[rng.integers(0, 16, n)]
    english = frame["english"].to_numpy()
    frame["name"] = np.where(english, western_first + " " + western_last, hanzi)
    frame["_first"] = np.where(english, western_first, first)
    frame["_last"] = np.where(english, western_last, family)


def _add_contacts(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(frame)
    first = frame["_first"].str.lower().to_numpy(dtype=object)
    last = frame["_last"].str.lower().to_numpy(dtype=object)
    digits = rng.integers(0, 100, n)
    number = np.where(rng.random(n) < 0.6, digits.astype(str).astype(object), "")
    separator = np.where(rng.random(n) < 0.5, ".", "_").astype(object)
    domain = np.array(DOMAINS, dtype=object)[rng.integers(0, len(DOMAINS), n)]
    local = pd.Series(first + separator + last + number, index=frame.index)
    clash = local.groupby(local).cumcount()  # a second wei.wang becomes wei.wang.1
    local = local.where(clash == 0, local + "." + clash.astype(str))
    frame["email"] = local + "@" + domain

    prefix = MOBILE_PREFIXES[rng.integers(0, MOBILE_PREFIXES.size, n)]
    line = rng.choice(100_000_000, n, replace=False)
    frame["_mobile"] = [f"{p}{q:08d}" for p, q in zip(prefix, line, strict=True)]
    spaced = rng.random(n) < 0.15
    frame["phone"] = np.where(spaced, _international(frame["_mobile"]), frame["_mobile"])
    frame.loc[rng.random(n) < 0.05, "phone"] = None


def _international(mobile: pd.Series) -> np.ndarray:
    """``13800138000`` → ``+86 138 0013 8000``, as people type it into web forms."""
    text = mobile.astype(str)
    return ("+86 " + text.str[:3] + " " + text.str[3:7] + " " + text.str[7:]).to_numpy()


def _add_first_purchase(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """When each customer first bought and registered (seconds since the sample's start).

    Existing customers made their first purchase in the 78 weeks before the sample
    (the span of a CDNOW purchase history), so only the rest of their buying shows in
    the exports; newcomers first buy during the sample, more often in a promotion, and
    register a few days before. ``orders`` times each customer's purchases from here.
    """
    n = len(frame)
    day = timeline.DAY
    existing = rng.random(n) < EXISTING_SHARE
    before = -rng.uniform(0, RHYTHM_DAYS, n) * day
    weights = timeline.order_day_weights()
    joined = rng.choice(timeline.N_DAYS, n, p=weights / weights.sum()) * day
    hours = timeline.hour_weights("order")
    joined += rng.choice(24, n, p=hours / hours.sum()) * timeline.HOUR
    joined += rng.integers(0, timeline.HOUR, n)
    frame["existing"] = existing
    frame["first_purchase"] = np.where(existing, before, joined).astype(np.int64)

    registered = np.where(
        existing,
        before - rng.exponential(200, n) * day,
        joined - rng.uniform(0, 3, n) * day,
    )
    frame["created_at"] = registered.astype(np.int64)


def add_duplicate_people(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The same people registered a second time, e-mail and phone written differently.

    ``Wang.Li@Example.com `` beside ``wang.li@example.com``; ``+86 138 0013 8000``
    beside ``13800138000``. ``duplicate_of`` names the first registration.
    """
    has_phone = frame["phone"].notna() & ~frame["phone"].str.startswith("+")
    original = frame[has_phone].sample(N_DUPLICATE_PEOPLE, random_state=rng).sort_index()
    copy = original.copy()
    copy["duplicate_of"] = original["customer_id"].to_numpy()
    n = len(copy)
    copy["customer_id"] = [f"C{i:05d}" for i in range(N_CUSTOMERS + 1, N_CUSTOMERS + n + 1)]

    local, domain = copy["email"].str.split("@", n=1).str[0], copy["email"].str.split("@").str[1]
    title = local.str.split(".").map(lambda parts: ".".join(p.capitalize() for p in parts))
    spaces = np.where(rng.random(n) < 0.5, " ", "")
    copy["email"] = title + "@" + domain.str.replace("example", "Example", n=1) + spaces
    copy["phone"] = _international(copy["_mobile"])
    later = rng.uniform(30, 300, n) * timeline.DAY
    copy["created_at"] = np.maximum(copy["created_at"], 0) + later.astype(np.int64)
    frame = frame.assign(duplicate_of=None)
    return pd.concat([frame, copy], ignore_index=True)
