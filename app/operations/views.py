"""The operators' cockpit (/operations): admins and operators only. Every change is an engine
operation recorded on the instance's history with who did it and why."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer
from app.db.models import utcnow
from app.engine.errors import EngineError, InstanceNotActive, InstanceNotFound
from app.web import engine_error_message, log_engine_refusal

from . import service

bp = Blueprint("operations", __name__)


@bp.before_request
@login_required
def _operators_only() -> None:
    if not service.may_operate(current_user.roles, current_viewer().is_auditor):
        abort(403)


@bp.get("/operations")
def cockpit() -> str:
    with services_of(current_app).sessions() as db:
        incidents = service.open_incident_rows(db)
        retrying = service.retrying_jobs(db)
        late = service.late_timers(db, utcnow())
        counts = service.process_counts(db)
        suspended = service.suspended_instances(db)
    chosen = request.args.get("instance", "")
    return render_template("operations/cockpit.html", incidents=incidents, retrying=retrying,
                           late=late, counts=counts, suspended=suspended,
                           chosen_instance=chosen if chosen.isdigit() else "",
                           chosen_action=request.args.get("action", ""),
                           actions=service.ACTIONS, reason_max=service.REASON_MAX)


@bp.post("/operations/incidents/retry")
def retry() -> Response:
    one = request.form.get("one", "")
    ids = [int(one)] if one.isdigit() else [int(v) for v in request.form.getlist("incident_ids")
                                             if v.isdigit()]
    if not ids:
        flash(gettext("Choose the incidents to retry."), "error")
        return redirect(url_for("operations.cockpit"))
    done, refused = service.retry_incidents(services_of(current_app).sessions, ids,
                                            current_user.username)
    if done:
        flash(gettext("Retried: %(ids)s. Their jobs or timers run again.",
                      ids=", ".join(f"#{i}" for i in done)), "success")
    if refused:
        flash(gettext("Not retried (already resolved or not found): %(ids)s.",
                      ids=", ".join(f"#{i}" for i in refused)), "error")
    return redirect(url_for("operations.cockpit"))


@bp.post("/operations/intervene")
def intervene() -> Response:
    instance = request.form.get("instance_id", "").strip()
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")
    back = url_for("operations.cockpit", instance=instance or None, action=action or None,
                   _anchor="intervene")
    if not instance.isdigit() or action not in service.ACTIONS:
        flash(gettext("Give the process number and choose what to do."), "error")
        return redirect(back)
    if not reason.strip():
        flash(gettext("Give the reason: it is recorded in the process history."), "error")
        return redirect(back)
    services = services_of(current_app)
    try:
        service.intervene(services.engine, services.sessions, int(instance), action, reason,
                          current_user.username)
    except service.InterventionRefused:
        flash(gettext("The reason can be at most %(n)s characters.", n=service.REASON_MAX),
              "error")
        return redirect(back)
    except InstanceNotFound:
        flash(gettext("There is no process %(id)s.", id=instance), "error")
        return redirect(back)
    except InstanceNotActive as err:
        log_engine_refusal(err)
        flash(gettext("Process %(id)s is not in a state that allows this: only a running process "
                      "can be suspended, only a suspended one resumed, and an ended or terminated "
                      "one cannot be changed.", id=instance), "error")
        return redirect(back)
    except EngineError as err:
        log_engine_refusal(err)
        flash(engine_error_message(err), "error")
        return redirect(back)
    done = {"suspend": gettext("Process %(id)s is suspended.", id=instance),
            "resume": gettext("Process %(id)s is resumed.", id=instance),
            "terminate": gettext("Process %(id)s is terminated.", id=instance)}
    flash(done[action], "success")
    return redirect(url_for("operations.cockpit"))


@bp.post("/operations/move-token")
def move_token() -> Response:
    """Move a stuck instance's token back to an element it passed (app.engine.interventions)."""
    from app.engine.interventions import MoveRefused
    from app.engine.interventions import move_token as move

    instance = request.form.get("instance_id", "").strip()
    element = request.form.get("element_id", "").strip()
    reason = " ".join(request.form.get("reason", "").split())
    back = url_for("operations.cockpit", instance=instance or None, _anchor="move-token")
    if not instance.isdigit() or not element:
        flash(gettext("Give the process number and the element to move to."), "error")
        return redirect(back)
    if not reason or len(reason) > service.REASON_MAX:
        flash(gettext("Give the reason (at most %(n)s characters): it is recorded in the process "
                      "history.", n=service.REASON_MAX), "error")
        return redirect(back)
    try:
        move(services_of(current_app).engine, int(instance), element, reason,
             current_user.username)
    except InstanceNotFound:
        flash(gettext("There is no process %(id)s.", id=instance), "error")
        return redirect(back)
    except MoveRefused as err:
        log_engine_refusal(err)
        flash(gettext("The token was not moved: %(why)s", why=str(err)), "error")
        return redirect(back)
    except EngineError as err:
        log_engine_refusal(err)
        flash(engine_error_message(err), "error")
        return redirect(back)
    flash(gettext("Process %(id)s now stands at %(element)s.", id=instance, element=element),
          "success")
    return redirect(url_for("operations.cockpit"))
