"""The weekly digest to the Reference Group: the status of all six priorities, what changed
since the last digest, and what is projected late. Pure: schedule and content."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.notifier.lifecycle import Alert, AlertState, said
from services.notifier.render import one_line
from services.notifier.wording import ENGLISH, quantity, status_words
from shared.domain.views import ReadModel, late_indicators
from shared.i18n import Messages


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


def digest_lines(
    model: ReadModel, alerts: Iterable[Alert], since: datetime, words: Messages = ENGLISH
) -> list[str]:
    """The digest's lines, in the language of `words` (the Call for Action's texts in English)."""
    _ = words.gettext
    lines = [_("Status of the Call for Action as of {day}:").format(day=words.date(model.as_of)), ""]
    for p in model.priorities:
        counts: dict[str, int] = {}
        for a in p.action_points:
            counts[str(a.status)] = counts.get(str(a.status), 0) + 1
        spread = ", ".join(f"{n} {status_words(s, words)}" for s, n in sorted(counts.items()))
        status = status_words(str(p.status), words).upper()
        lines.append(
            _("Priority {id}: {status} ({spread}) — {title}").format(
                id=p.id, status=status, spread=spread, title=p.title
            )
        )
        lines.append(_("  why: {why}").format(why=words.said(p.why)))
    changed = [a for a in alerts if a.starts_at >= since or (a.ends_at is not None and a.ends_at >= since)]
    lines += ["", _("Since {day}:").format(day=words.date(since))]
    resolved, new = _("resolved"), _("new")
    lines += [
        f"  {resolved if a.state is AlertState.RESOLVED else new}: {one_line(said(a, words))}"
        for a in sorted(changed, key=lambda a: a.starts_at)
    ] or [_("  no alert started or resolved")]
    lines += ["", _("Projected late at the pace so far:")]
    late = late_indicators(model.action_points.values())
    for ap, i in late:
        projected = words.date(i.projected_completion) if i.projected_completion else _("never at this pace")
        lines.append(
            _("  {id} {name}: target {target} by {day}, projected {projected}").format(
                id=ap.id,
                name=i.name,
                target=quantity(i.target, i.unit, words),
                day=words.date(i.target_date),
                projected=projected,
            )
        )
    if not late:
        lines.append(_("  nothing"))
    return lines


def digest_html(lines: list[str], language: str = "en") -> str:
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    return f'<!doctype html><html lang="{language}"><body style="font-family:sans-serif">{body}</body></html>'
