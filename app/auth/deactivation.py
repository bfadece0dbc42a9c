"""Taking an account out of use when a person leaves, and back into use.

A deactivated account cannot sign in (locally or through the identity provider), its open
browser sessions end at their next request, and the work it held goes back to the team: its
claimed tasks return to their candidate groups, and tasks it had delegated stay with the
colleague doing them. Each task is handed back by the engine in a transaction of its own, so the
instance's history records who handed it back; a run that stops half-way is simply run
again.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from app.auth.service import SessionEnd, account_id_of, end_sessions_of
from app.db import transaction
from app.db.models import HumanTask, User
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.services import Services


@dataclass(frozen=True)
class Deactivation:
    user_id: int
    was_active: bool
    sessions_ended: int
    tasks_returned: int        # claimed tasks given back to their groups
    delegations_ended: int     # tasks delegated to a colleague, now the colleague's own
    tasks_left: int            # tasks that could not be handed back (a concurrent change)


def deactivate_account(services: Services, username: str, by: str) -> Deactivation:
    """Deactivate ``username`` (``NoSuchAccount`` if there is none); ``by`` is who does it, as
    the tasks' histories name them."""
    with transaction(services.sessions) as session:
        user_id = account_id_of(session, username)
        user = session.get(User, user_id)
        assert user is not None
        was_active = user.active
        user.active = False
        ended = end_sessions_of(session, user_id, SessionEnd.ACCOUNT_DEACTIVATED)
    with services.sessions() as session:
        held = session.execute(
            select(HumanTask.id, HumanTask.assignee, HumanTask.delegated_by)
            .where(HumanTask.status == "open",
                   or_(HumanTask.assignee == username, HumanTask.delegated_by == username))
            .order_by(HumanTask.id)).all()
    actor = Actor(by)
    returned = delegations = left = 0
    for task_id, assignee, delegated_by in held:
        try:
            if assignee == username:
                services.engine.assign(task_id, actor, None)
                returned += 1
            elif delegated_by == username:
                # Someone else is doing it for this person: it becomes theirs.
                services.engine.assign(task_id, actor, assignee)
                delegations += 1
        except EngineError:
            left += 1
    return Deactivation(user_id, was_active, ended, returned, delegations, left)


def reactivate_account(services: Services, username: str) -> bool:
    """Let ``username`` sign in again; False if the account was already active. The tasks
    handed back stay with their groups."""
    with transaction(services.sessions) as session:
        user = session.get(User, account_id_of(session, username))
        assert user is not None
        was_active = user.active
        user.active = True
    return not was_active
