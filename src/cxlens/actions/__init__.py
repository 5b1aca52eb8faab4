"""Turning predictions into what to do next.

targets.plan_call_list      whom to contact first within a budget: expected saved value
                            = P(churn) × P(the offer keeps them) × value − cost, the exact
                            optimum for small lists and a bounded greedy for large ones
recommend.next_best_products   a product to offer each customer, from order-line
                            co-occurrence
retention.retention_targets    the call list of ``cxlens targets``: churn risk, value,
                            reasons, action and next-best product per customer
"""
