"""IBM's Telco Customer Churn sample (``ibm-telco``): customers and their contracts.

The file (``customerID, gender, SeniorCitizen, Partner, Dependents, tenure, …,
Contract, PaperlessBilling, PaymentMethod, MonthlyCharges, TotalCharges, Churn``) is a
snapshot without dates: ``tenure`` counts the months a customer has stayed and
``Churn`` is "Yes" for customers who left within the last month.

The preset dates everything from one snapshot day, ``AS_OF``. IBM's companion status
file labels the data as a third quarter without naming a year, so the snapshot is the
last day of a third quarter, 2017-09-30. A subscription starts ``tenure`` months before
the snapshot; a churned one ends on the snapshot day, so its churn falls in the
snapshot's month (September 2017) and tenure-0 customers start that day.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

AS_OF = "2017-09-30"

_STARTED_AT = (
    f"strftime(DATE '{AS_OF}' - to_months(try_cast(trim({{tenure}}) AS INTEGER)), '%Y-%m-%d')"
)
_ENDED_AT = f"CASE WHEN lower(trim({{Churn}})) = 'yes' THEN '{AS_OF}' END"

CUSTOMERS = Target(
    table="customers",
    columns={
        "customer_id": "customerID",
        "created_at": "sql:" + _STARTED_AT,
        "gender": "gender",
        "segment": "Contract",
    },
    attributes=("SeniorCitizen", "Partner", "Dependents"),
)

SUBSCRIPTIONS = Target(
    table="subscriptions",
    columns={
        "subscription_id": "customerID",
        "customer_id": "customerID",
        "started_at": "sql:" + _STARTED_AT,
        "ended_at": "sql:" + _ENDED_AT,
        "plan": "Contract",
        "mrr": "MonthlyCharges",
    },
    attributes=(
        "tenure",
        "Churn",
        "TotalCharges",
        "InternetService",
        "PhoneService",
        "MultipleLines",
        "OnlineSecurity",
        "OnlineBackup",
        "DeviceProtection",
        "TechSupport",
        "StreamingTV",
        "StreamingMovies",
        "PaperlessBilling",
        "PaymentMethod",
        # PwC's copy of the file (Churn-Dataset.csv) adds each customer's ticket counts.
        "numAdminTickets",
        "numTechTickets",
    ),
)

PRESET = Preset(
    name="ibm-telco",
    description="IBM Telco Customer Churn sample (customerID, gender, tenure, Contract, ...)",
    targets=(CUSTOMERS, SUBSCRIPTIONS),
    documentation=(
        "Layout of IBM's Telco Customer Churn sample (MANIFEST entry "
        "telco_customer_churn_ibm.csv). The file has no dates; the snapshot day is "
        f"{AS_OF} (end of a third quarter; IBM's status file says Q3 without a year). "
        "started_at = snapshot - tenure months (also the customer's created_at); "
        "ended_at = snapshot day when Churn is Yes. Customer: gender, segment = Contract, "
        "SeniorCitizen/Partner/Dependents in attributes. Subscription: one per customer "
        "(id = customerID), plan = Contract, mrr = MonthlyCharges; services, billing, "
        "tenure and TotalCharges (blank for 11 new customers) in attributes, and the "
        "numAdminTickets/numTechTickets counts of PwC's copy of the file where present."
    ),
)
