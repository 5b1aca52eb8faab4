"""The public data bundled in cxlens.datasets: unchanged copies, attributed, loadable."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cxlens import datasets
from cxlens.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"


@pytest.mark.parametrize("name", datasets.FILES)
def test_bundled_file_is_a_byte_for_byte_copy(name):
    original = SHARED / name
    if not original.exists():
        pytest.skip(f"{original} is not on this machine")
    assert datasets.path(name).read_bytes() == original.read_bytes()


@pytest.mark.parametrize("name", datasets.FILES)
def test_readme_attributes_every_bundled_file(name):
    readme = datasets.path("g3.csv").with_name("README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
    size = f"{datasets.path(name).stat().st_size:,}"
    assert size in row
    assert ("Apache-2.0" if "telco" in name else "MIT") in row


def test_package_data_ships_the_bundled_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["cxlens"]
    for name in (*datasets.FILES, "README.md"):
        assert f"datasets/*{Path(name).suffix}" in patterns


def test_unknown_name_names_the_bundled_files():
    with pytest.raises(ConfigError, match="g3.csv"):
        datasets.path("olist.csv")


def _data_lines(name: str) -> list[bytes]:
    return [line for line in datasets.path(name).read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("loader", "name", "header", "columns"),
    [
        (datasets.load_telco, "telco_customer_churn_ibm.csv", True, 21),
        (datasets.load_cdnow_master, "cdnow_master.txt", True, 4),
        (datasets.load_cdnow_sample, "cdnow_sample.txt", False, 5),
        (datasets.load_cdnow_summary, "cdnow_customers_summary.csv", True, 4),
        (
            datasets.load_cdnow_summary_with_transactions,
            "cdnow_customers_summary_with_transactions.csv",
            True,
            5,
        ),
        (datasets.load_g3, "g3.csv", True, 7),
    ],
)
def test_loader_reads_every_line_of_its_file(loader, name, header, columns):
    frame = loader()
    assert frame.shape == (len(_data_lines(name)) - header, columns)


def test_loaders_keep_the_documented_values():
    master = datasets.load_cdnow_master()
    assert master["customer_id"].nunique() == 23_570
    assert master.iloc[0].tolist()[0] == "00001"
    assert str(master["date"].min().date()) == "1997-01-01"
    telco = datasets.load_telco()
    assert (telco["TotalCharges"].str.strip() == "").sum() == 11
    summary = datasets.load_cdnow_summary_with_transactions()
    assert summary.iloc[0][["x", "t_x", "T"]].tolist() == [2, 30.43, 38.86]
