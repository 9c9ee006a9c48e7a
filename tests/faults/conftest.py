"""The fault tests' own redis-server, swapped in for the app's while a test runs."""
import pytest

from tests.faults.test_redis_outage import PrivateRedis


@pytest.fixture
def private_redis(app):
    server = PrivateRedis()
    server.start()
    real = app.extensions["redis"]
    app.extensions["redis"] = server.client()
    yield server
    app.extensions["redis"] = real
    if server.process.poll() is None:
        server.stop()
