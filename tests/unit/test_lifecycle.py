"""Alert lifecycle on an injected clock: group_wait, batching, repeats, resolve, ack, silences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifier.digest import next_digest
from services.notifier.lifecycle import Alert, Notice, Silence, Timing, due, reconcile
from services.notifier.rules import AlertKind, Finding, Severity

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
TIMING = Timing(group_wait=timedelta(seconds=30), repeat_interval=timedelta(days=7))


def finding(subject: str = "priority:5", kind: AlertKind = AlertKind.PRIORITY_BEHIND) -> Finding:
    return Finding(kind, subject, Severity.CRITICAL, (5,), f"{subject} is behind", {"ratio": 0.4})


class World:
    """Alerts evaluated and notified as the notifier does, on a clock the test moves."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.silences: list[Silence] = []
        self.sent: list[tuple[datetime, str, str]] = []
        self.now = T0

    def evaluate(self, *findings: Finding) -> None:
        self.alerts = reconcile(self.alerts, findings, self.now, lambda f: ["reference_group"])

    def tick(self, after: timedelta = timedelta(0)) -> list[Notice]:
        self.now += after
        updated, notices = due(self.alerts, self.now, TIMING, self.silences)
        self.alerts = {**self.alerts, **updated}
        self.sent += [(self.now, n.alert.subject, n.event) for n in notices]
        return notices


def events(notices: list[Notice]) -> list[tuple[str, str]]:
    return [(n.alert.subject, n.event) for n in notices]


def test_the_first_notice_waits_for_group_wait_and_batches_what_fired_meanwhile() -> None:
    world = World()
    world.evaluate(finding("priority:5"))
    assert world.tick() == []
    world.now += timedelta(seconds=10)
    world.evaluate(finding("priority:5"), finding("action_point:5.1", AlertKind.ACTION_POINT_BEHIND))
    assert world.tick(timedelta(seconds=19)) == []
    batch = world.tick(timedelta(seconds=1))  # 30 s after the first fired
    assert sorted(events(batch)) == [("action_point:5.1", "firing"), ("priority:5", "firing")]
    assert world.tick(timedelta(seconds=30)) == []


def test_repeats_come_every_repeat_interval_not_before() -> None:
    world = World()
    world.evaluate(finding())
    world.tick(timedelta(seconds=30))
    assert world.tick(timedelta(days=7) - timedelta(seconds=1)) == []
    assert events(world.tick(timedelta(seconds=1))) == [("priority:5", "repeat")]
    assert world.tick(timedelta(days=1)) == []
    assert events(world.tick(timedelta(days=6))) == [("priority:5", "repeat")]


def test_a_resolve_is_notified_once_and_a_new_firing_is_a_new_instance() -> None:
    world = World()
    world.evaluate(finding())
    world.tick(timedelta(seconds=30))
    world.now += timedelta(hours=1)
    world.evaluate()
    assert events(world.tick()) == [("priority:5", "resolved")]
    assert world.tick(timedelta(days=8)) == []
    world.evaluate(finding())
    again = world.tick(timedelta(seconds=30))
    assert events(again) == [("priority:5", "firing")]
    assert again[0].alert.starts_at == world.now - timedelta(seconds=30)


def test_an_alert_resolved_before_its_first_notice_is_never_notified() -> None:
    world = World()
    world.evaluate(finding())
    world.now += timedelta(seconds=5)
    world.evaluate()
    assert world.tick(timedelta(days=1)) == []


def test_an_acknowledgement_stops_repeats_but_not_the_resolve() -> None:
    world = World()
    world.evaluate(finding())
    [notice] = world.tick(timedelta(seconds=30))
    fp = notice.alert.fingerprint
    world.alerts[fp] = world.alerts[fp].model_copy(
        update={"acknowledged_at": world.now, "acknowledged_by": "ana"}
    )
    assert world.tick(timedelta(days=30)) == []
    world.evaluate()
    assert events(world.tick()) == [("priority:5", "resolved")]


def test_a_silence_stops_notices_and_its_expiry_brings_them_back() -> None:
    world = World()
    world.evaluate(finding())
    world.tick(timedelta(seconds=30))
    world.silences.append(
        Silence(
            id="s1",
            matchers={"kind": "priority_*", "priority": "5"},
            starts_at=world.now,
            ends_at=world.now + timedelta(days=10),
            author="ana",
            comment="known: funding gap",
            created_at=world.now,
        )
    )
    assert world.tick(timedelta(days=7)) == []  # the repeat is silenced
    assert events(world.tick(timedelta(days=3))) == [("priority:5", "silence_ended")]
    assert world.tick(timedelta(days=1)) == []
    assert events(world.tick(timedelta(days=6))) == [("priority:5", "repeat")]


def test_a_silence_that_does_not_match_changes_nothing_and_keys_are_stable() -> None:
    world = World()
    world.evaluate(finding())
    world.silences.append(
        Silence(
            id="s2",
            matchers={"subject": "priority:4"},
            starts_at=T0,
            ends_at=T0 + timedelta(days=1),
            author="ana",
            comment="",
            created_at=T0,
        )
    )
    [first] = world.tick(timedelta(seconds=30))
    again = World()
    again.evaluate(finding())
    [same] = again.tick(timedelta(seconds=30))
    assert first.key == same.key


def test_the_digest_comes_once_a_period_and_missed_periods_are_not_made_up() -> None:
    week = timedelta(days=7)
    assert next_digest(None, T0, week) == (False, T0 + week)  # the first a week after start
    assert next_digest(T0 + week, T0 + week - timedelta(seconds=1), week) == (False, T0 + week)
    assert next_digest(T0 + week, T0 + week, week) == (True, T0 + 2 * week)
    assert next_digest(T0 + week, T0 + 5 * week + timedelta(hours=1), week) == (True, T0 + 6 * week)
