"""Public data sets shipped with cxlens, for the sample project, examples and model checks.

Each file is a byte-for-byte copy of a file published under a licence that allows
copying it with attribution (Apache-2.0 or MIT); ``README.md`` beside this module names
the repository, path, commit, licence and authors of each. The loaders return pandas
DataFrames with the columns as the file names them, so a reader can compare our numbers
with the papers and tools that used the same data.

    >>> from cxlens import datasets
    >>> datasets.path("g3.csv").name
    'g3.csv'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cxlens.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FILES",
    "load_cdnow_master",
    "load_cdnow_sample",
    "load_cdnow_summary",
    "load_cdnow_summary_with_transactions",
    "load_g3",
    "load_telco",
    "path",
]

FILES: tuple[str, ...] = (
    "telco_customer_churn_ibm.csv",
    "cdnow_master.txt",
    "cdnow_sample.txt",
    "cdnow_customers_summary.csv",
    "cdnow_customers_summary_with_transactions.csv",
    "g3.csv",
)


def path(name: str) -> Path:
    """The installed path of the bundled file ``name`` (one of ``FILES``).

    Use it to hand a bundled file to ``cxlens import`` or to copy it elsewhere; the
    loaders below read the same files.
    """
    if name not in FILES:
        raise ConfigError(
            f"no bundled data set called {name!r}; the bundled files are: {', '.join(FILES)}"
        )
    resource = resources.files(__name__).joinpath(name)
    with resources.as_file(resource) as real_path:
        return Path(real_path)


def load_telco() -> pd.DataFrame:
    """IBM's Telco Customer Churn sample: one row per customer of a fictional telco.

    Origin: IBM/telco-customer-churn-on-icp4d, ``data/Telco-Customer-Churn.csv``
    (Apache-2.0). Size: 7,043 rows × 21 columns. ``TotalCharges`` is a blank space for
    the 11 customers with ``tenure`` 0, so it is read as text; ``tenure`` is in months
    and ``Churn`` is ``Yes``/``No``. Contractual churn: the preset ``ibm-telco`` maps it.

    Columns: customerID, gender, SeniorCitizen, Partner, Dependents, tenure,
    PhoneService, MultipleLines, InternetService, OnlineSecurity, OnlineBackup,
    DeviceProtection, TechSupport, StreamingTV, StreamingMovies, Contract,
    PaperlessBilling, PaymentMethod, MonthlyCharges, TotalCharges, Churn.

    A row: ``7590-VHVEG, Female, 0, Yes, No, 1, No, No phone service, DSL, No, Yes, No,
    No, No, No, Month-to-month, Yes, Electronic check, 29.85, 29.85, No``.
    """
    import pandas as pd

    return pd.read_csv(path("telco_customer_churn_ibm.csv"), dtype={"TotalCharges": "string"})


def load_cdnow_master() -> pd.DataFrame:
    """Every CD purchase of CDNOW's first-quarter-1997 cohort until the end of June 1998.

    Origin: CamDavidsonPilon/lifetimes, ``lifetimes/datasets/CDNOW_master.txt`` (MIT);
    the data behind Fader, Hardie & Lee (2005). Size: 69,659 rows (23,570 customers) ×
    4 columns. The file is whitespace-separated with CRLF line ends; ``date`` is parsed
    from ``YYYYMMDD``; ``customer_id`` stays text (``00001``) as the file writes it;
    ``dollar_value`` is in US dollars. Non-contractual: the preset ``cdnow`` maps it.

    Columns: customer_id, date, number_of_cds, dollar_value.

    A row: ``00001, 1997-01-01, 1, 11.77``.
    """
    import pandas as pd

    frame = pd.read_csv(
        path("cdnow_master.txt"), sep=r"\s+", dtype={"customer_id": "string", "date": "string"}
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def load_cdnow_sample() -> pd.DataFrame:
    """The 1-in-10 CDNOW sample (2,357 customers) used in the BG/NBD paper.

    Origin: CamDavidsonPilon/lifetimes, ``lifetimes/datasets/CDNOW_sample.txt`` (MIT).
    Size: 6,919 rows × 5 columns. The file has no header; the names below are ours.
    ``customer_id`` is the master file's id, ``sample_id`` the 1…2,357 numbering the
    paper's summary uses; ``date`` is parsed from ``YYYYMMDD``.

    Columns: customer_id, sample_id, date, number_of_cds, dollar_value.

    A row: ``00004, 0001, 1997-01-01, 2, 29.33``.
    """
    import pandas as pd

    names = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
    frame = pd.read_csv(
        path("cdnow_sample.txt"),
        sep=r"\s+",
        header=None,
        names=names,
        dtype={"customer_id": "string", "sample_id": "string", "date": "string"},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def load_cdnow_summary() -> pd.DataFrame:
    """The CDNOW sample summarised per customer in weeks, the BG/NBD reference input.

    Origin: CamDavidsonPilon/lifetimes, ``lifetimes/datasets/cdnow_customers_summary.csv``
    (MIT). Size: 2,357 rows × 4 columns. ``frequency`` counts repeat purchase days,
    ``recency`` is the week of the last one and ``T`` the weeks observed, both from the
    first purchase (Fader, Hardie & Lee 2005).

    Columns: ID, frequency, recency, T.

    A row: ``1, 2, 30.43, 38.86``.
    """
    import pandas as pd

    return pd.read_csv(path("cdnow_customers_summary.csv"))


def load_cdnow_summary_with_transactions() -> pd.DataFrame:
    """The CDNOW summary with mean repeat spend, the Gamma-Gamma reference input.

    Origin: CamDavidsonPilon/lifetimes,
    ``lifetimes/datasets/cdnow_customers_summary_with_transactions.csv`` (MIT).
    Size: 2,357 rows × 5 columns; CRLF line ends. ``x`` is the repeat purchase count,
    ``t_x`` and ``T`` are in weeks and ``zbar`` is the mean value of the repeat
    purchases in dollars (0 where ``x`` is 0), as in Fader & Hardie (2013).

    Columns: ID, x, t_x, T, zbar.

    A row: ``1, 2, 30.43, 38.86, 22.35``.
    """
    import pandas as pd

    return pd.read_csv(path("cdnow_customers_summary_with_transactions.csv"))


def load_g3() -> pd.DataFrame:
    """Seventeen patients of a small two-arm study, a Kaplan–Meier and log-rank check.

    Origin: CamDavidsonPilon/lifelines, ``lifelines/datasets/g3.csv`` (MIT).
    Size: 17 rows × 7 columns. ``time`` is the follow-up duration, ``event`` is
    ``True`` where it ended in the event (``False``: censored), ``group`` is ``RIT`` or
    ``Control``; ``no.`` restarts at 1 in each group.

    Columns: no., age, sex, histology, group, event, time.

    A row: ``1, 41, Female, Grade3, RIT, True, 53``.
    """
    import pandas as pd

    return pd.read_csv(path("g3.csv"))
