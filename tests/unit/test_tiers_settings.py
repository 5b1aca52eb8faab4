"""[tiers] in cxlens.toml: defaults, custom rules, and bad settings refused with a message
that names the key and says what is allowed."""

import pytest

from cxlens.actions.tiers import DEFAULT_SEGMENTS, check_settings
from cxlens.errors import ConfigError
from cxlens.settings import load_settings


def test_defaults_are_frequency_edges_the_eight_tiers_and_the_tiers_to_call():
    checked = check_settings({})
    assert checked["recency_days"] == checked["monetary"] == "quintiles"
    assert checked["frequency"] == [2, 3, 4, 6]  # 1, 2, 3, 4-5, 6+ purchase days
    assert [(s["name"], s["rank"]) for s in checked["segments"]] == [
        ("champions", 1), ("loyal", 2), ("new", 4), ("potential loyalists", 4),
        ("cannot lose", 3), ("at risk", 5), ("hibernating", 6), ("lost", 7),
    ]  # fmt: skip
    assert checked["call"] == ["cannot lose", "at risk"]
    assert checked["segments"][0]["m"] == [1, 5]  # no m: any monetary score
    assert check_settings(checked) == checked  # completing twice changes nothing


def test_default_rules_leave_no_score_without_a_tier():
    checked = check_settings({})["segments"]
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                assert any(
                    s["r"][0] <= r <= s["r"][1]
                    and s["f"][0] <= f <= s["f"][1]
                    and s["m"][0] <= m <= s["m"][1]
                    for s in checked
                ), (r, f, m)
    assert len(DEFAULT_SEGMENTS) == 8


def test_custom_rules_from_a_settings_file(tmp_path):
    config = tmp_path / "cxlens.toml"
    config.write_text(
        """
[tiers]
recency_days = [30, 90, 180, 365]
frequency = "quintiles"
call = ["sleeping"]

[[tiers.segments]]
name = "best"
name_zh = "最佳"
r = [4, 5]
f = [4, 5]
rank = 2

[[tiers.segments]]
name = "sleeping"
r = [1, 2]
f = [1, 5]
m = [3, 5]
rank = 1
""",
        encoding="utf-8",
    )
    tiers = load_settings(config).tiers
    assert tiers["recency_days"] == [30.0, 90.0, 180.0, 365.0]
    assert tiers["frequency"] == "quintiles"
    assert tiers["segments"][1] == {"name": "sleeping", "name_zh": "sleeping", "r": [1, 2],
                                    "f": [1, 5], "m": [3, 5], "rank": 1}  # fmt: skip
    assert tiers["segments"][0]["rank"] == 2
    assert tiers["call"] == ["sleeping"]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"colour": "red"}, "[tiers] colour: not a setting; use recency_days, frequency"),
        ({"recency_days": [30, 90, 180]}, "[tiers] recency_days = [30, 90, 180]; write four"),
        ({"frequency": [2, 2, 5, 8]}, "[tiers] frequency = [2, 2, 5, 8]; the four edges must rise"),
        ({"monetary": [-1, 2, 3, 4]}, "[tiers] monetary = [-1, 2, 3, 4]; write four ascending"),
        ({"frequency": "quintile"}, """[tiers] frequency = 'quintile'; write four ascending"""),
        (
            {"frequency": None},
            "[tiers] frequency = None; write four ascending finite numbers, 0 or more (where "
            'scores change), e.g. recency_days = [30, 90, 180, 365], or "quintiles"',
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 5], "rank": 0}]},
            "[[tiers.segments]] number 1 (a): rank = 0; write a whole number from 1",
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 5], "rank": "high"}]},
            "[[tiers.segments]] number 1 (a): rank = 'high'; write a whole number from 1",
        ),
        (
            {
                "segments": [
                    {"name": "a", "r": [4, 5], "f": [1, 5], "rank": 1},
                    {"name": "b", "r": [1, 3], "f": [1, 5]},
                ]
            },  # fmt: skip
            "[[tiers.segments]] without a rank: 'b'; give every tier a rank (1 = most valuable)",
        ),
        ({"segments": []}, "[tiers] segments must be [[tiers.segments]] tables"),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 5], "rr": 1}]},
            "[[tiers.segments]] number 1: rr is not a key; use name, name_zh, r, f, m",
        ),
        (
            {"segments": [{"name": "a", "r": [0, 2], "f": [1, 5]}]},
            "[[tiers.segments]] number 1 (a): r = [0, 2]; scores run from 1 to 5",
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 6]}]},
            "[[tiers.segments]] number 1 (a): f = [1, 6]; scores run from 1 to 5",
        ),
        (
            {"segments": [{"name": "a", "r": [5, 4], "f": [1, 5]}]},
            "[[tiers.segments]] number 1 (a): r = [5, 4]; scores run from 1 to 5",
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 5], "m": [2.5, 5]}]},
            "[[tiers.segments]] number 1 (a): m = [2.5, 5]",
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5]}]},
            "[[tiers.segments]] number 1 (a) lacks f, e.g. r = [4, 5]",
        ),
        (
            {"segments": [{"name": "a", "r": [1, 5], "f": [1, 5]}] * 2},
            "[[tiers.segments]] number 2: the name 'a' is taken",
        ),
        (
            {"segments": [{"name": "others", "r": [1, 5], "f": [1, 5]}]},
            "the name 'others' is taken",
        ),
        ({"segments": [{"r": [1, 5], "f": [1, 5]}]}, "[[tiers.segments]] number 1 needs a name"),
        (
            {"call": ["vip"]},
            "[tiers] call names 'vip', which no segment has; use some of champions",
        ),
        ({"call": "at risk"}, "[tiers] call must be a list of tier names"),
        (
            {"monetary": [float("nan"), 1, 2, 3]},
            "[tiers] monetary = [nan, 1, 2, 3]; write four ascending finite numbers",
        ),
        (
            {"frequency": [1, 2, 3, float("inf")]},
            "[tiers] frequency = [1, 2, 3, inf]; write four ascending finite numbers",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_key_and_the_fix(section, message):
    with pytest.raises(ConfigError) as refused:
        check_settings(section)
    assert message in str(refused.value)


def test_a_bad_rule_in_the_file_stops_loading(tmp_path):
    config = tmp_path / "cxlens.toml"
    config.write_text('[[tiers.segments]]\nname = "x"\nr = [1, 9]\nf = [1, 5]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"number 1 \(x\): r = \[1, 9\]; scores run from 1 to 5"):
        load_settings(config)
