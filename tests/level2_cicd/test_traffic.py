"""The loop's client side of the service: waiting for a hot swap is bounded and says why it failed."""

from __future__ import annotations

import httpx
import pytest

from level2_cicd.traffic import ServedVersionError, wait_for_version


def service_serving(champion: str, challenger: str | None = None, error: str | None = None) -> httpx.Client:
    """A client of a service stuck on ``champion`` (an in-memory transport standing in for /model)."""

    def model(request: httpx.Request) -> httpx.Response:
        found = {"version": champion, "last_error": error, "challenger_error": error}
        return httpx.Response(200, json=found | {"challenger": {"version": challenger} if challenger else None})

    return httpx.Client(transport=httpx.MockTransport(model), base_url="http://service")


def test_the_served_version_is_returned_once_it_is_the_registrys() -> None:
    assert wait_for_version(service_serving("3"), "3", timeout=1) == "3"
    assert wait_for_version(service_serving("3", challenger="4"), "4", timeout=1, role="challenger") == "4"


def test_a_service_that_never_swaps_is_an_error_naming_both_versions_and_the_loading_error() -> None:
    with pytest.raises(ServedVersionError, match=r"still serves 2 as champion .* registry named 3 \(model file gone\)"):
        wait_for_version(service_serving("2", error="model file gone"), "3", timeout=0.5)
