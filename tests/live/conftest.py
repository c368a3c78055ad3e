"""Fixtures of the live-update tests: a broker that records what was published."""

import pytest

from portal.live.broker import LocalBroker

HX = {"HX-Request": "true"}


class RecordingBroker(LocalBroker):
    """The in-process broker, remembering every batch published."""

    def __init__(self):
        super().__init__()
        self.published: list[list[dict]] = []

    def publish(self, events):
        self.published.append(events)
        super().publish(events)

    def names(self) -> list[str]:
        return sorted(event["event"] for batch in self.published for event in batch)


@pytest.fixture
def broker(app, monkeypatch):
    recording = RecordingBroker()
    monkeypatch.setitem(app.extensions, "portal_live", recording)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.2)
    return recording


@pytest.fixture
def receptionist(create_user):
    return create_user("reception", display_name="赵前台")


@pytest.fixture
def desk(client, sign_in, receptionist, freeze):
    """The client signed in as the receptionist, at 2026-11-22 09:30."""
    freeze("2026-11-22 09:30")
    sign_in(client, receptionist)
    return client


@pytest.fixture
def other_client(app):
    return app.test_client()
