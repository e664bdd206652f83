"""The weekly digest to the Reference Group: the status of all six priorities, what changed
since the last digest, and what is projected late. Pure: schedule and content."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.notifier.lifecycle import Alert, AlertState
from services.notifier.render import one_line
from services.notifier.wording import quantity
from shared.domain.views import ReadModel, late_indicators
from shared.isodate import long_date


def next_digest(due_at: datetime | None, now: datetime, every: timedelta) -> tuple[bool, datetime]:
    """(send now?, when the next one is due). The first comes one period after the notifier
    first ran; missed periods are not made up: one digest, then the next in a period."""
    if due_at is None:
        return False, now + every
    if now < due_at:
        return False, due_at
    following = due_at + every
    while following <= now:
        following += every
    return True, following


def digest_lines(model: ReadModel, alerts: Iterable[Alert], since: datetime) -> list[str]:
    lines = [f"Status of the Call for Action as of {long_date(model.as_of)}:", ""]
    for p in model.priorities:
        counts: dict[str, int] = {}
        for a in p.action_points:
            counts[str(a.status)] = counts.get(str(a.status), 0) + 1
        spread = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))
        lines.append(f"Priority {p.id}: {str(p.status).replace('_', ' ').upper()} ({spread}) — {p.title}")
        lines.append(f"  why: {p.why}")
    changed = [a for a in alerts if a.starts_at >= since or (a.ends_at is not None and a.ends_at >= since)]
    lines += ["", f"Since {long_date(since)}:"]
    lines += [
        f"  {'resolved' if a.state is AlertState.RESOLVED else 'new'}: {one_line(a.summary)}"
        for a in sorted(changed, key=lambda a: a.starts_at)
    ] or ["  no alert started or resolved"]
    lines += ["", "Projected late at the pace so far:"]
    lines += [
        f"  {ap.id} {i.name}: target {quantity(i.target, i.unit)} by {long_date(i.target_date)}, projected "
        + (long_date(i.projected_completion) if i.projected_completion else "never at this pace")
        for ap, i in late_indicators(model.action_points.values())
    ] or ["  nothing"]
    return lines


def digest_html(lines: list[str]) -> str:
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'
