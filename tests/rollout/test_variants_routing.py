"""Canary routing as pure logic: a uniform, stable bucket per conversation; key routes before collection ones."""

from __future__ import annotations

import pytest

from grounded.retrieval.variants import DEFAULT_PROFILE, VariantRouter, bucket
from grounded.settings import Settings

pytestmark = pytest.mark.unit


def router(tmp_path, **variants) -> VariantRouter:
    return VariantRouter(Settings(home=tmp_path, variants=variants).variants, tmp_path)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5, 1.0])
def test_share_is_honoured_within_tolerance(tmp_path, share):
    r = router(tmp_path, profiles={"b": {}}, canary={"kb": {"profile": "b", "share": share}})
    n = 4000
    routed = sum(r.route("kb", f"user-{i}") == "b" for i in range(n)) / n
    assert abs(routed - share) <= 0.03


def test_stable_per_id_and_keys_override_collections(tmp_path):
    assert bucket("kb", "conv-1") == bucket("kb", "conv-1") != bucket("kb", "conv-2")
    r = router(tmp_path, profiles={"b": {}, "c": {}},
               canary={"kb": {"profile": "b", "share": 1.0}, "key:k1": {"profile": "c", "share": 1.0}})
    assert r.route("kb", "x") == "b" and r.route("kb", "x", key_id="k1") == "c"
    assert r.route("other", "x") == DEFAULT_PROFILE and r.route("kb", None) == DEFAULT_PROFILE
    r.set_kill_switch(True)
    assert r.route("kb", "x", key_id="k1") == DEFAULT_PROFILE
    r.set_kill_switch(False)
    assert r.route("kb", "x") == "b"


def test_routes_must_name_defined_profiles(tmp_path):
    with pytest.raises(ValueError, match="undefined answer profiles"):
        router(tmp_path, canary={"kb": {"profile": "nope", "share": 0.5}})
