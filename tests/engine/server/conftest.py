"""Fixtures for the server tests: a real `lampwright serve` subprocess."""

from __future__ import annotations

import pytest
from serve_helpers import start_server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory):
    """One shared server for the client tests (default limits)."""
    served = start_server(tmp_path_factory.mktemp("serve-home"))
    yield served
    died = served.proc.poll()
    served.stop()
    assert died is None, "the server died during the tests:\n" + "".join(served.log[-40:])
