"""The suite runs with the network cut (tests/conftest.py); prove the cut is real."""

import socket

import pytest


def test_non_loopback_connections_are_blocked():
    with pytest.raises(OSError, match="network|resolve"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_host_resolution_is_blocked():
    with pytest.raises(OSError, match="resolve"):
        socket.getaddrinfo("pypi.org", 443)
