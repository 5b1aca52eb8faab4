"""Survey comments for the sample, in Chinese and English.

A comment is an optional opener, a body about what went right or wrong, and an optional
closer. The body follows the score and what happened on the ticket: a slow first reply
or a reopen draws a complaint about waiting or repeating oneself, a low score otherwise
a complaint about the ticket's category, a high score praise. Two comments carry text
a report must neutralise: a script tag and a spreadsheet formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PRAISE = {
    "zh": (
        "客服回复很快，问题当天就解决了。",
        "安装师傅很专业，准时上门。",
        "退款很快就到账了。",
        "客服很耐心，一步步教我操作。",
        "物流比预期快，包装也很完好。",
        "换货流程很顺畅，点赞。",
        "电话一打就通，解释得很清楚。",
        "微信上问了几句就搞定了，省心。",
        "售后主动回访，感觉被重视。",
        "师傅顺便帮我检查了旧机器，很贴心。",
    ),
    "en": (
        "Quick reply and the issue was fixed the same day.",
        "The installer was on time and very professional.",
        "Refund arrived faster than I expected.",
        "The agent was patient and walked me through every step.",
        "Delivery was early and the box was in perfect shape.",
        "Exchange was painless, thank you.",
        "Got through on the phone right away and got a clear answer.",
        "Sorted out in a few WeChat messages.",
        "Nice that someone followed up afterwards.",
        "Friendly and helpful, no complaints.",
    ),
}
COMPLAINTS = {
    "delivery": {
        "zh": (
            "快递一直没到，客服只会让我等。",
            "说好三天到，结果等了一个多星期。",
            "送货员没打电话就放门口，箱子都压坏了。",
            "物流信息好几天不更新。",
        ),
        "en": (
            "Parcel still not here and all I hear is 'please wait'.",
            "Promised three days, took more than a week.",
            "Courier left it outside without calling; the box was crushed.",
        ),
    },
    "installation": {
        "zh": (
            "预约安装改了三次时间，太折腾。",
            "安装师傅迟到两个小时，也没提前通知。",
            "安装完发现管子漏水，又得重新约。",
        ),
        "en": (
            "Installation was rescheduled three times.",
            "Technician came two hours late without a call.",
            "After installation the hose leaked and I had to book again.",
        ),
    },
    "defect": {
        "zh": (
            "洗衣机用了两周就漏水，换货流程太麻烦。",
            "冰箱不制冷，报修后一直没人上门。",
            "空调噪音很大，售后说是正常现象，不满意。",
            "电饭煲用了一个月就坏了。",
        ),
        "en": (
            "Washing machine started leaking after two weeks.",
            "Fridge stopped cooling and nobody came to fix it.",
            "The air conditioner is very noisy and support says that is normal.",
            "Rice cooker broke within a month.",
        ),
    },
    "refund": {
        "zh": (
            "退款申请提交十天了还没到账。",
            "退货还要自己出运费，不合理。",
            "退款被拒了也不说原因。",
        ),
        "en": (
            "Refund requested ten days ago, still nothing.",
            "Why do I have to pay the return shipping?",
            "Refund was rejected without any explanation.",
        ),
    },
    "billing": {
        "zh": (
            "发票抬头开错了，重开又等了一周。",
            "优惠券没抵扣，多付了钱。",
            "被重复扣款，处理太慢。",
        ),
        "en": (
            "Invoice had the wrong company name and took a week to reissue.",
            "The coupon was not applied and I paid too much.",
            "I was charged twice and it took ages to fix.",
        ),
    },
    "account": {
        "zh": ("账号登不上，验证码一直收不到。", "改绑手机号还要上传身份证，太麻烦。"),
        "en": (
            "Could not log in, the verification code never arrived.",
            "Changing my phone number was far too complicated.",
        ),
    },
    "waiting": {
        "zh": ("在线客服排队半小时都没人理。", "电话打了好几次都占线。", "邮件两天了才回复。"),
        "en": (
            "Waited half an hour in the chat queue.",
            "Phone line was busy every time I called.",
            "Took two days to get an answer to my email.",
        ),
    },
    "repeat": {
        "zh": ("同一个问题反复说了三遍，每次都要重新解释。", "说解决了，其实根本没解决。"),
        "en": (
            "Had to explain the same problem three times.",
            "Ticket was marked solved but nothing was fixed.",
        ),
    },
}
NEUTRAL = {
    "zh": ("还行吧，就是有点慢。", "问题解决了，但过程一般。", "客服态度不错，效率有待提高。"),
    "en": (
        "OK in the end, but slow.",
        "Solved, though it took a while.",
        "Polite staff, could be faster.",
    ),
}
RECOMMEND = {
    "zh": ("东西好用，会推荐给朋友。", "价格实惠，售后也靠谱。", "买了好几台了，一直很满意。"),
    "en": (
        "Good products, I recommend them to friends.",
        "Fair prices and reliable after-sales.",
        "Bought several appliances here, always happy.",
    ),
}
DISCOURAGE = {
    "zh": ("售后太差，不会再买了。", "价格不便宜，服务跟不上。", "出了问题找不到人负责。"),
    "en": (
        "After-sales is poor, I will not buy again.",
        "Not cheap, and the service does not match.",
        "When something goes wrong nobody takes responsibility.",
    ),
}
# Openers and closers by tone, so praise never ends in "please improve".
OPENERS = {
    ("positive", "zh"): ("", "", "总的来说，", "这次"),
    ("positive", "en"): ("", "", "Overall: ", "This time "),
    ("neutral", "zh"): ("", "", "总的来说，"),
    ("neutral", "en"): ("", "", "Overall: "),
    ("negative", "zh"): ("", "", "说实话，", "第二次联系了，", "非常失望，"),
    ("negative", "en"): (
        "",
        "",
        "Honestly, ",
        "Second time I contact you. ",
        "Very disappointed. ",
    ),
}
CLOSERS = {
    ("positive", "zh"): ("", "", "谢谢！", "👍", "点赞！"),
    ("positive", "en"): ("", "", " Thanks!", " 👍", " Great job."),
    ("neutral", "zh"): ("", "", "希望改进。"),
    ("neutral", "en"): ("", "", " Room for improvement."),
    ("negative", "zh"): ("", "", "希望改进。", "请尽快处理！", "不会再买了。"),
    ("negative", "en"): ("", "", " Please improve.", " Please sort it out!", " Not buying again."),
}
TONES = {"praise": "positive", "recommend": "positive", "neutral": "neutral"}

SCRIPT_COMMENT = "客服态度很差 <script>alert(1)</script>"
FORMULA_COMMENT = "=1+1 is what the invoice should have said, not 3 items"
MULTILINE_COMMENT = 'Two problems:\n1) the "express" delivery took 9 days\n2) nobody called back'


def compose(topic: pd.Series, language: pd.Series, rng: np.random.Generator) -> pd.Series:
    """A comment per row from its topic (``praise``, ``neutral``, a category, …) and language."""
    tone = topic.map(TONES).fillna("negative")
    body = _pick_each(topic, language, lambda key: _pool(*key), rng)
    opener = _pick_each(tone, language, OPENERS.__getitem__, rng)
    closer = _pick_each(tone, language, CLOSERS.__getitem__, rng)
    return opener + body + closer


def _pool(topic: str, language: str) -> tuple[str, ...]:
    pools = {"praise": PRAISE, "neutral": NEUTRAL, "recommend": RECOMMEND, "discourage": DISCOURAGE}
    return pools[topic][language] if topic in pools else COMPLAINTS[topic][language]


def _pick_each(key: pd.Series, language: pd.Series, options, rng) -> pd.Series:
    """For each row, one of ``options((key, language))``, drawn per group, not per row."""
    picked = pd.Series("", index=key.index, dtype=object)
    for group, rows in key.groupby([key, language]).groups.items():
        pool = np.array(options(group), dtype=object)
        picked[rows] = pool[rng.integers(0, pool.size, len(rows))]
    return picked
