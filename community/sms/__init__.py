"""Text messages the way Chinese SMS gateways take them (issue 26).

- templates.py: every message the platform texts, by code, with named parameters
  and the zh/en wording (filed by the city with its gateway for approval);
- gateways.py / aliyun.py / tencent.py: the senders and their error classes;
- limits.py: per-phone and per-IP caps, the daily budget, opt-outs (退订);
- services.py: send a code now, deliver a queued notice, apply a receipt, and
  whether a request's resident was reached;
- views.py: the receipt callbacks.
"""
