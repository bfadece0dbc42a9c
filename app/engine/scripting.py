"""The script engine processes run with: the sandbox for every expression and script, and
service calls answered from results a worker already fetched."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine

from app.domain.script_helpers import SCRIPT_HELPERS

from .sandbox import SandboxedEnvironment


class ServiceResultMissing(RuntimeError):
    """A service task ran without a worker's result: a bug, since service tasks are deferred."""


class ProductScriptEngine(PythonScriptEngine):
    def __init__(self, time_limit: float = 1.0) -> None:
        super().__init__(environment=SandboxedEnvironment(helpers=SCRIPT_HELPERS, time_limit=time_limit))
        # Results of external calls made by a worker, keyed by the service task's id, as JSON text.
        self.service_results: dict[Any, str] = {}
        # The task whose expression or script ran last: SpiffWorkflow raises some errors about an
        # expression's value (e.g. an invalid timer duration) without saying which task it was.
        self.last_task: Any = None

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        self.last_task = task
        return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        self.last_task = task
        return super().execute(task, script, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        # Overridden on the engine, not the environment: SpiffWorkflow 3.2's environment path hides
        # the real exception behind a NameError.
        try:
            return self.service_results.pop(task.id)
        except KeyError:
            raise ServiceResultMissing(
                f"service task {task.task_spec.bpmn_id} ran without a result from a worker"
            ) from None
