"""Sign-in throttling: failed attempts counted per account and per client address.

Only *failures* count, so an editor who signs in every morning never gets near the limit,
while someone guessing passwords is stopped after ``LOGIN_MAX_FAILURES`` tries within
``LOGIN_FAILURE_WINDOW`` seconds. The counters live in Flask-Limiter's storage (memory on one
machine, Redis when ``RATELIMIT_STORAGE_URI`` points there), so every instance behind a load
balancer sees the same numbers, and they expire by themselves at the end of the window.

The account counter stops slow guessing of one address from many machines; the client
counter stops one machine from trying one password on many addresses.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerSecond

from ..extensions import limiter

ACCOUNT_SCOPE = "login-account"
CLIENT_SCOPE = "login-client"


def _item(maximum: int) -> RateLimitItem:
    window = int(current_app.config["LOGIN_FAILURE_WINDOW"])
    return RateLimitItemPerSecond(maximum, window)


def _account_item() -> RateLimitItem:
    return _item(int(current_app.config["LOGIN_MAX_FAILURES"]))


def _client_item() -> RateLimitItem:
    # One office behind one address can be given more room than one account.
    configured = current_app.config.get("LOGIN_MAX_CLIENT_FAILURES")
    return _item(int(configured or current_app.config["LOGIN_MAX_FAILURES"]))


def _counters(account: str, client: str) -> list[tuple[RateLimitItem, str, str]]:
    return [
        (_account_item(), ACCOUNT_SCOPE, account),
        (_client_item(), CLIENT_SCOPE, client),
    ]


def _enabled() -> bool:
    # RATELIMIT_ENABLED = False switches every limit off, this one included.
    return bool(limiter.enabled and limiter.initialized)


def seconds_until_allowed(account: str, client: str) -> int | None:
    """None when an attempt may be checked now; otherwise how long to wait (at least 1 s)."""
    if not _enabled():
        return None
    waits = []
    for item, scope, key in _counters(account, client):
        if not limiter.limiter.test(item, scope, key):
            reset_at = limiter.limiter.get_window_stats(item, scope, key).reset_time
            waits.append(max(1, math.ceil(reset_at - time.time())))
    return max(waits) if waits else None


def record_failure(account: str, client: str) -> None:
    if not _enabled():
        return
    for item, scope, key in _counters(account, client):
        limiter.limiter.hit(item, scope, key)


def forget_account_failures(account: str) -> None:
    """A right password clears the account's count. The client's count stays: otherwise a
    guesser with an account of their own could reset it by signing in between guesses."""
    if _enabled():
        limiter.limiter.clear(_account_item(), ACCOUNT_SCOPE, account)
