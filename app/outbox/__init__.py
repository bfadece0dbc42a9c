"""The notification outbox: messages to organisations (orphan courts through NPAIS, the others
by e-mail and in the app), queued by processes and delivered by the outbox sender
(``workers/outbox.py``). See docs/outbox.md."""
