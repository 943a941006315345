"""`LEDGER_CORS_ORIGINS`: read and validated at start-up (checklist §2.5)."""

from __future__ import annotations

import pytest

from ledger.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("raw", "origins"),
    [
        pytest.param(None, (), id="default: no origin"),
        pytest.param("", (), id="empty: no origin"),
        pytest.param("*", ("*",), id="any origin"),
        pytest.param(
            " https://LMS.example.com, http://localhost:8080 ,",
            ("https://lms.example.com", "http://localhost:8080"),
            id="a list, trimmed and lower-cased",
        ),
    ],
)
def test_cors_origins_are_read_from_the_environment(raw: str | None, origins: tuple) -> None:
    """(checklist §2.5): comma-separated origins or `*`; none unless configured (issue 7)."""
    environ = {} if raw is None else {"LEDGER_CORS_ORIGINS": raw}
    assert Settings.from_environ(environ).cors_origins == origins


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("https://lms.example.com/", id="trailing slash"),
        pytest.param("https://lms.example.com/path", id="a path"),
        pytest.param("lms.example.com", id="no scheme"),
        pytest.param("null", id="the opaque origin null"),
        pytest.param("*, https://lms.example.com", id="* with others"),
        pytest.param("https://*.example.com", id="a wildcard inside"),
    ],
)
def test_a_bad_cors_origin_stops_start_up_with_a_clear_message(raw: str) -> None:
    """(checklist §2.5): a bad value fails fast, naming the setting and the expected form."""
    with pytest.raises(SettingsError, match="LEDGER_CORS_ORIGINS"):
        Settings.from_environ({"LEDGER_CORS_ORIGINS": raw})
