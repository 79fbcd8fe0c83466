"""With TEST_REDIS_URL (as CI sets it), rate limits really live in Redis."""

import os

import pytest
import redis

from moderation.extensions import limiter


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="SQLite run: in-memory limits")
def test_limits_are_counted_in_redis(app):
    url = os.environ["TEST_REDIS_URL"]
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    server = redis.Redis.from_url(url)
    server.ping()  # unreachable Redis fails the run, never skips it
    limiter.reset()
    from limits import parse

    limiter.limiter.hit(parse("5/minute"), "shared-storage-probe")
    assert any(b"shared-storage-probe" in key for key in server.keys("*"))
    limiter.reset()
