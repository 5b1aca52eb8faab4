"""Predictive models over customer purchase histories.

    summary.purchase_summary   frequency, recency, T and monetary value per customer
    clv.BgNbd                  how often customers buy and whether they are still active
    clv.GammaGamma             how much each repeat purchase is worth
    lifetime.customer_lifetime_values   both fitted on the orders, and each customer's
                               discounted value over [clv] horizon_months (``cxlens clv``)
    features.customer_features per-customer service, purchase and relationship features as
                               of a day, from records up to that day only
    churn.predict_churn        calibrated churn risk, validated on held-out churn, with
                               each customer's reasons (``cxlens churn``)
    survival.retention_curves  Kaplan-Meier retention by group, log-rank; cohort_matrix
                               (``cxlens retention``, ``cxlens cohorts``)
    drivers.service_drivers    which ticket factors move CSAT or NPS (``cxlens drivers``)

Models are estimator-shaped: settings in the constructor, ``fit`` returns the model,
learned values end in ``_``, and ``summary`` is a DataFrame of the estimates.
"""
