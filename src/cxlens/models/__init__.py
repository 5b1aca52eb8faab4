"""Predictive models over customer purchase histories.

    summary.purchase_summary   frequency, recency, T and monetary value per customer
    clv.BgNbd                  how often customers buy and whether they are still active
    clv.GammaGamma             how much each repeat purchase is worth
    lifetime.customer_lifetime_values   both fitted on the orders, and each customer's
                               discounted value over [clv] horizon_months (``cxlens clv``)

Models are estimator-shaped: settings in the constructor, ``fit`` returns the model,
learned values end in ``_``, and ``summary`` is a DataFrame of the estimates.
"""
