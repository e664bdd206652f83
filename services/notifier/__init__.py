"""notifier: evaluates the falling-behind rules on the read model, keeps each alert's lifecycle and
notifies the Reference Group and the Thematic Working Groups (e-mail, webhooks, bp.alerts.v1)."""
