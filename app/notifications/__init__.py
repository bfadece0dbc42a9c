"""Reminders before a task's deadline and escalations to the supervisors after it."""
