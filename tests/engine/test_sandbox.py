"""The script sandbox: real escape attempts are refused with a clear error, ordinary scripts work.

Each escape runs through the public environment exactly as SpiffWorkflow would call it, and the
last tests run a small BPMN process through SpiffWorkflow itself.
"""
from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from app.engine.sandbox import (
    SandboxedEnvironment,
    ScriptError,
    ScriptLimitExceeded,
    ScriptRejected,
)

TIME_LIMIT = 0.2  # seconds; small so the runaway-script tests stay quick


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(helpers={"double": lambda n: n * 2}, time_limit=TIME_LIMIT)


def run(env: SandboxedEnvironment, mode: str, source: str, context: dict[str, Any] | None = None):
    context = {} if context is None else context
    if mode == "eval":
        return env.evaluate(source, context)
    return env.execute(source, context)


def assert_refused(
    env: SandboxedEnvironment, mode: str, source: str, error: type[Exception], message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(error) as caught:
        run(env, mode, source, {"items": [1, 2, 3]})
    text = str(caught.value)
    assert message in text, text
    assert "Traceback" not in text and len(text) < 500, text  # for a process owner to read
    assert time.monotonic() - started < 10 * TIME_LIMIT + 1


# --- Escapes from the brief -----------------------------------------------------------------------

ESCAPES = [
    ("eval", "__import__('os')", ScriptRejected, "The name '__import__' is not allowed"),
    ("exec", "import os", ScriptRejected, "import is not allowed in process scripts"),
    ("exec", "from os import path", ScriptRejected, "import is not allowed in process scripts"),
    ("eval", "().__class__.__bases__", ScriptRejected,
     "Access to attribute '__class__' is not allowed"),
    ("eval", "().__class__.__bases__[0].__subclasses__()", ScriptRejected,
     "Access to attribute '__subclasses__' is not allowed"),
    ("eval", "open('/etc/passwd')", ScriptRejected, "'open' is not available in process scripts"),
    ("eval", "os.system('id')", NameError, "name 'os' is not defined"),
    ("eval", "(x for x in []).gi_frame.f_back.f_globals", ScriptRejected,
     "Access to attribute 'gi_frame' is not allowed"),
    ("eval", "getattr(1, '__class__')", ScriptRejected,
     "'getattr' is not available in process scripts"),
    ("eval", "type(1)", ScriptRejected, "'type' is not available in process scripts"),
    ("eval", "eval('1')", ScriptRejected, "Eval calls are not allowed"),
    ("exec", "exec('x=1')", ScriptRejected, "Exec calls are not allowed"),
    ("eval", "globals()", ScriptRejected, "'globals' is not available in process scripts"),
    ("eval", "vars()", ScriptRejected, "'vars' is not available in process scripts"),
    ("eval", "'a' * 10**10", ScriptLimitExceeded,
     "Size limit exceeded: the result would have more than 1,000,000 items or characters"),
    ("eval", "[0] * 10**9", ScriptLimitExceeded, "more than 1,000,000 items or characters"),
    ("eval", "10 ** 10 ** 10", ScriptLimitExceeded, "an integer of more than 10,000 bits"),
    ("eval", "1 << 10**9", ScriptLimitExceeded, "an integer of more than 10,000 bits"),
    ("eval", "list(range(10**12))", ScriptLimitExceeded, "more than 1,000,000 items"),
    ("eval", "'x'.ljust(10**10)", ScriptRejected,
     "Access to attribute 'ljust' of a value of type 'str' is not allowed"),
    ("eval", "'%0999999999d' % 1", ScriptLimitExceeded,
     "format widths and precisions above 1,000 are not allowed"),
    ("eval", "f'{1:999999999}'", ScriptLimitExceeded,
     "format widths and precisions above 1,000 are not allowed"),
]


@pytest.mark.parametrize(("mode", "source", "error", "message"), ESCAPES)
def test_escape_from_the_brief_is_refused(env, mode, source, error, message):
    assert_refused(env, mode, source, error, message)


def test_infinite_loop_hits_the_time_limit(env):
    assert_refused(env, "exec", "while True: pass", ScriptLimitExceeded,
                   "Time limit exceeded: the script ran longer than 0.2 seconds")


def test_straight_line_code_meets_the_deadline_between_big_operations(env):
    script = "big = list(range(10**6))\n" + "n = big.count(7)\n" * 500
    assert_refused(env, "exec", script, ScriptLimitExceeded, "Time limit exceeded")


def test_runaway_lambda_recursion_is_stopped(env):
    with pytest.raises(ScriptLimitExceeded, match="Recursion limit exceeded|Time limit exceeded"):
        env.execute("f = lambda n: f(n-1) + f(n-1)\nf(100)", {})


def test_exponential_recursion_with_a_base_case_hits_the_time_limit(env):
    assert_refused(env, "exec", "f = lambda n: 1 if n == 0 else f(n-1) + f(n-1)\nr = f(100)",
                   ScriptLimitExceeded, "Time limit exceeded")


# --- Other runaways, including ones that try to catch the timeout and carry on ---------------------

RUNAWAY_SCRIPTS = [
    "r = [x for x in range(10**6) for y in range(10**6)]",
    "r = any(x < 0 for x in range(10**6) for y in range(10**6))",
    "r = sorted(range(10**6), key=lambda n: [m for m in range(10**6)])",
    "def calls(n):\n    if n < 100:\n        calls(n + 1)\n        calls(n + 1)\ncalls(0)",
    "while True:\n    try:\n        while True: pass\n    except:\n        pass",
    "while True:\n    try:\n        pass\n    finally:\n        continue",
    "def spin():\n    while True: pass\nwhile True:\n    try:\n        spin()\n    except:\n        pass",
    # A RecursionError first, then an endless loop in the handler.
    "def deep(): deep()\ntry:\n    deep()\nexcept:\n    while True: pass",
]


@pytest.mark.parametrize("script", RUNAWAY_SCRIPTS)
def test_runaway_script_hits_the_time_limit(env, script):
    assert_refused(env, "exec", script, ScriptLimitExceeded, "Time limit exceeded")


# --- More ways in ---------------------------------------------------------------------------------

MORE_ESCAPES = [
    # Runtime allow-list: names that pass the compile-time check on types that are not allowed.
    ("eval", "(x for x in []).gi_running", ScriptRejected,
     "Access to attribute 'gi_running' of a value of type 'generator' is not allowed"),
    ("eval", "(lambda: 0).func_globals", ScriptRejected,
     "Access to attribute 'func_globals' of a function is not allowed"),
    ("eval", "double.func_globals", ScriptRejected, "of a function is not allowed"),
    ("eval", "str.join(',', ['a'])", ScriptRejected,
     "Access to attribute 'join' of the class 'str' is not allowed"),
    ("eval", "str.ljust('', 10**9)", ScriptRejected, "of the class 'str' is not allowed"),
    ("eval", "date.fromordinal(1)", ScriptRejected, "of the class 'date' is not allowed"),
    ("eval", "Decimal.from_float(0.5)", ScriptRejected, "of the class 'Decimal' is not allowed"),
    ("eval", "'{0.__class__}'.format(1)", ScriptRejected,
     "Access to attribute 'format' of a value of type 'str' is not allowed; use an f-string"),
    ("eval", "(1).to_bytes(10**9, 'big')", ScriptRejected, "Access to attribute 'to_bytes'"),
    ("eval", "'x'.translate({120: 'y' * 10**6})", ScriptRejected, "'translate'"),
    ("eval", "x.__class__", ScriptRejected, "Access to attribute '__class__' is not allowed"),
    ("eval", "x.f_globals", ScriptRejected, "Access to attribute 'f_globals' is not allowed"),
    ("eval", "items.append(4)", ScriptRejected, "expressions may not do; use a script task"),
    ("exec", "t = (1, 2)\nt[0] = 5", ScriptRejected,
     "Changing items of a value of type 'tuple' is not allowed"),
    ("exec", "items.x = 1", ScriptRejected, "Changing or deleting attributes is not allowed"),
    ("exec", "print('hello')", ScriptRejected, "print() is not available in process scripts"),
    ("exec", "class A:\n    pass", ScriptRejected, "Class definitions are not allowed"),
    ("exec", "def gen():\n    yield 1", ScriptRejected, "Generator functions (yield)"),
    ("exec", "with items:\n    pass", ScriptRejected, "with statements are not allowed"),
    ("exec", "_getattr_ = 1", ScriptRejected, "The name '_getattr_' is not allowed"),
    ("exec", "try:\n    pass\nexcept* ValueError:\n    pass", ScriptRejected, "TryStar"),
    ("eval", "breakpoint()", ScriptRejected, '"breakpoint" is a reserved name'),
    ("eval", "compile('1', '', 'eval')", ScriptRejected, "'compile' is not available"),
    ("eval", "__builtins__", ScriptRejected, "The name '__builtins__' is not allowed"),
    ("exec", "x = (", ScriptRejected, "Line 1: SyntaxError"),
    # Allocation in one step, or piled up over many.
    ("exec", "s = 'ab'\nwhile True:\n    s += s", ScriptLimitExceeded, "Size limit exceeded"),
    ("exec", "a = [1]\nwhile True:\n    a.extend(a)", ScriptLimitExceeded, "Size limit exceeded"),
    ("exec", "a = [1]\nwhile True:\n    a[len(a):] = a", ScriptLimitExceeded, "Size limit exceeded"),
    ("exec", "a = [1]\nwhile True:\n    a += a", ScriptLimitExceeded, "Size limit exceeded"),
    ("exec", "s = 'x' * 10**6\nkept = [s.upper() for i in range(100)]", ScriptLimitExceeded,
     "Memory limit exceeded: the script copied more than 20,000,000"),
    ("eval", "str([[0] * 1000] * 1000)", ScriptLimitExceeded,
     "the text would be longer than 1,000,000 characters"),
    ("eval", "f'{[[0] * 1000] * 1000}'", ScriptLimitExceeded, "the text would be longer"),
    ("exec", "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000", ScriptLimitExceeded,
     "the data produced by the script is too large to save"),
    ("eval", "[[[0] * 1000] * 1000] * 1000", ScriptLimitExceeded, "too large to save"),
    ("eval", "'x'.join(['a' * 10**6] * 10)", ScriptLimitExceeded, "Size limit exceeded"),
    ("eval", "('a' * 1000).replace('', 'b' * 10**4)", ScriptLimitExceeded, "Size limit exceeded"),
    ("eval", "'%s' * 100 % tuple(['x' * 10**5] * 100)", ScriptLimitExceeded, "Size limit exceeded"),
    ("eval", "'%(a)s%(a)s%(a)s' % {'a': 'x' * 500000}", ScriptRejected,
     "Named fields in % formatting are not allowed"),
    ("eval", "'%s' % {n: 'x' * 10**5 for n in range(100)}", ScriptLimitExceeded, "Size limit"),
    ("eval", "'%*d' % (10**9, 1)", ScriptRejected, "Widths given as '*' are not allowed"),
    ("eval", "f'{\"x\" * 600000}{\"y\" * 600000}'", ScriptLimitExceeded, "Size limit exceeded"),
    ("eval", "f'{1:{\"9\" * 9}}'", ScriptLimitExceeded, "format widths and precisions"),
    ("eval", "f'{date(2024, 1, 1):%0999999999Y}'", ScriptLimitExceeded, "format widths"),
    ("eval", "date(2024, 1, 1).strftime('%_999999999Y')", ScriptLimitExceeded, "format widths"),
    ("eval", "int(Decimal('1e999999'))", ScriptLimitExceeded, "more than 10,000 bits"),
    ("eval", "round(Decimal('9e900000'))", ScriptLimitExceeded, "more than 10,000 bits"),
    ("eval", "'%d' % Decimal('1e900000')", ScriptLimitExceeded, "more than 10,000 bits"),
    ("eval", "f'{Decimal(\"1e9999999\"):f}'", ScriptLimitExceeded, "the text would be longer"),
    ("eval", "int('f' * 100000, 16)", ScriptLimitExceeded, "more than 10,000 bits"),
    ("eval", "Decimal('9' * 5000) * 2", ScriptLimitExceeded,
     "decimal numbers may have at most 3,011 digits"),
    ("eval", "sum([[1]] * 1000, [])", ScriptRejected, "sum() can only add numbers"),
    ("eval", "[*'ab', *'cd']", ScriptRejected, "Unpacking with * inside a list"),
    ("eval", "{**{'a': 1}}", ScriptRejected, "Unpacking with ** inside a dict"),
    ("eval", "max(*items, *items)", ScriptRejected, "at most one *args and one **kwargs"),
]


@pytest.mark.parametrize(("mode", "source", "error", "message"), MORE_ESCAPES)
def test_other_escape_is_refused(env, mode, source, error, message):
    assert_refused(env, mode, source, error, message)


def test_errors_share_a_base_class():
    assert issubclass(ScriptRejected, ScriptError)
    assert issubclass(ScriptLimitExceeded, ScriptError)


def test_function_leaked_from_a_run_cannot_run_later(env):
    leaked = env.evaluate("lambda: sum(range(10))", {})
    with pytest.raises(ScriptRejected, match="only run while the sandbox runs"):
        leaked()


def test_task_data_cannot_replace_the_guards(env):
    context = {"_getattr_": "not a guard", "__builtins__": {"open": open}, "age": 2}
    assert env.evaluate("age.real", context) == 2
    with pytest.raises(ScriptRejected, match="'open' is not available"):
        env.evaluate("open('/etc/passwd')", context)


def test_task_data_shadowing_a_helper_is_refused(env):
    with pytest.raises(ScriptRejected, match="'double' have the same name as a script helper"):
        env.execute("x = 1", {"double": 3})


def test_invalid_helpers_are_refused():
    with pytest.raises(ValueError, match="Invalid helper name"):
        SandboxedEnvironment(helpers={"_secret": len})
    with pytest.raises(TypeError, match="not callable"):
        SandboxedEnvironment(helpers={"value": 3})


def test_call_service_is_not_the_environments_business(env):
    with pytest.raises(NotImplementedError):
        env.call_service({}, operation_name="x")


# --- What scripts and expressions can do ----------------------------------------------------------

EXPRESSIONS = [
    ("1 + 2 * 3 - 4 / 2", 5.0),
    ("2 ** 10 + 7 // 2 + 7 % 3 + (1 << 4) - abs(-3)", 1024 + 3 + 1 + 16 - 3),
    ("age < 3 and not age >= 3", True),
    ("1 < age <= 2 or name == 'Anna'", True),
    ("person['children'][0]['age'] + len(person['children'])", 6),
    ("person.get('missing', 'none')", "none"),
    ("items[1:] + [4]", [2, 3, 4]),
    ("sorted(items, key=lambda n: -n)", [3, 2, 1]),
    ("[c['name'] for c in person['children'] if c['age'] < 18]", ["Līga", "Jānis"]),
    ("{c['name']: c['age'] for c in person['children']}", {"Līga": 4, "Jānis": 12}),
    ("{n % 2 for n in items}", {0, 1}),
    ("any(n > 2 for n in items) and all(n > 0 for n in items)", True),
    ("sum(n * n for n in items)", 14),
    ("max(items) + min(items)", 4),
    ("list(zip(items, 'abc'))[2]", (3, "c")),
    ("[i for i, n in enumerate(items) if n == 2]", [1]),
    ("date(2024, 1, 31) + timedelta(days=1)", date(2024, 2, 1)),
    ("(date(2024, 3, 1) - date(2024, 2, 1)).days", 29),
    ("datetime(2024, 1, 1, 12, tzinfo=timezone.utc) + timedelta(hours=36)",
     datetime(2024, 1, 3, 0, tzinfo=UTC)),
    ("date.fromisoformat('2024-05-01').isocalendar().week", 18),
    ("datetime.now(timezone.utc).year >= 2024", True),
    ("f'{date(2024, 1, 31):%d.%m.%Y}'", "31.01.2024"),
    ("date(2024, 1, 31).strftime('%Y-%m')", "2024-01"),
    ("Decimal('0.1') + Decimal('0.2') == Decimal('0.3')", True),
    ("isinstance(Decimal(2) / 3, Decimal)", True),
    ("(Decimal('10.005') * 3).quantize(Decimal('0.01'))", Decimal("30.02")),
    ("int(Decimal('12.7')) + round(Decimal('2.5'))", 14),
    ("double(21)", 42),
    ("name.strip().upper().replace('A', 'a')", "aNNa"),
    ("', '.join(sorted(c['name'] for c in person['children']))", "Jānis, Līga"),
    ("'%s is %d' % (name, age)", "Anna is 2"),
    ("f'{name!r} owes {1234.5:,.2f} EUR'", "'Anna' owes 1,234.50 EUR"),
    ("str(items) + str(None)", "[1, 2, 3]None"),
    ("isinstance(name, (str, int)) and isinstance(items, list) and not isinstance(age, dict)",
     True),
    ("int('42') + float('0.5') + len(range(10))", 52.5),
    ("'x' * 3 + 'y' * 2", "xxxyy"),
    ("""
        age < 3
    """, True),
]


@pytest.mark.parametrize(("expression", "expected"), EXPRESSIONS)
def test_expression(env, expression, expected):
    context = {
        "age": 2,
        "name": "Anna",
        "items": [1, 2, 3],
        "person": {"children": [{"name": "Līga", "age": 4}, {"name": "Jānis", "age": 12}]},
    }
    assert env.evaluate(expression, context) == expected


def test_expression_sees_data_objects_and_helpers(env):
    assert env.evaluate("double(limit) > age", {"age": 5}, {"limit": 3}) is True


def test_script_assigns_variables_into_the_task_data(env):
    context = {
        "items": [{"price": Decimal("1.50")}, {"price": Decimal("2.25")}],
        "obsolete": True,
        "_internal": "kept",
    }
    env.execute(
        "total = sum(item['price'] for item in items)\n"
        "label = f'{total:.2f} EUR'\n"
        "doubled = double(2)\n"
        "names = [str(i) for i in range(3)]\n"
        "a, *rest = [1, 2, 3]\n"
        "counts = {}\n"
        "for word in 'a b a'.split():\n"
        "    counts[word] = counts.get(word, 0) + 1\n"
        "def square(n):\n"
        "    return n * n\n"
        "squares = [square(n) for n in range(4)]\n"
        "shout = lambda s: s.upper()\n"
        "today_class = date\n"
        "del obsolete\n",
        context,
    )
    assert context == {
        "items": [{"price": Decimal("1.50")}, {"price": Decimal("2.25")}],
        "_internal": "kept",
        "total": Decimal("3.75"),
        "label": "3.75 EUR",
        "doubled": 4,
        "names": ["0", "1", "2"],
        "a": 1,
        "rest": [2, 3],
        "counts": {"a": 2, "b": 1},
        "word": "a",
        "squares": [0, 1, 4, 9],
    }  # no helpers, builtins, functions or classes left behind


def test_script_changes_data_in_place(env):
    context = {"children": [{"name": "Anna"}], "tags": {"new"}}
    env.execute(
        "alias = children\n"
        "children += [{'name': 'Juris'}]\n"
        "children[0]['age'] = 3\n"
        "children.sort(key=lambda c: c['name'], reverse=True)\n"
        "tags.add('seen')\n"
        "tags |= {'checked'}\n"
        "try:\n"
        "    ratio = 1 / 0\n"
        "except:\n"
        "    ratio = None\n"
        "n = 0\n"
        "while n < 5:\n"
        "    n += 1\n",
        context,
    )
    assert context["alias"] is context["children"]  # += on a list stays in place
    assert context["children"] == [{"name": "Juris"}, {"name": "Anna", "age": 3}]
    assert context["tags"] == {"new", "seen", "checked"}
    assert context["ratio"] is None and context["n"] == 5


def test_script_cannot_assign_over_data_objects(env):
    context: dict[str, Any] = {}
    env.execute("seen = limit\nlimit = 5", context, {"limit": 3})
    assert context == {"seen": 3}  # the data object itself is not the script's to replace


def test_failed_script_leaves_its_new_variables_out(env):
    context = {"kept": 1}
    with pytest.raises(ZeroDivisionError):
        env.execute("partial = 1\nboom = 1 / 0", context)
    assert context == {"kept": 1}


def test_script_errors_keep_their_ordinary_types(env):
    with pytest.raises(KeyError):
        env.evaluate("person['missing']", {"person": {}})
    with pytest.raises(TypeError):
        env.evaluate("'a' + 1", {})


def test_simple_condition_is_cheap(env):
    context = {"age": 2, "name": "Anna", "items": [1, 2, 3]}
    env.evaluate("age < 3", context)  # compiled once, then cached
    runs = 5000
    started = time.perf_counter()
    for _ in range(runs):
        env.evaluate("age < 3", context)
    per_call = (time.perf_counter() - started) / runs
    print(f"evaluate('age < 3'): {per_call * 1e6:.1f} microseconds per call")
    assert per_call < 100e-6


def test_trace_function_in_place_is_restored(env):
    events = 0

    def tracer(frame, event, arg):
        nonlocal events
        events += 1

    previous = sys.gettrace()  # coverage's, when it runs
    sys.settrace(tracer)
    try:
        assert env.evaluate("age < 3", {"age": 1}) is True
        with pytest.raises(ScriptLimitExceeded):
            env.execute("while True: pass", {})
        with pytest.raises(ScriptRejected):
            env.evaluate("(x for x in []).gi_running", {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
    assert events > 0  # the tracer kept receiving events while scripts ran


# --- Through SpiffWorkflow ------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="definitions" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="sandbox_demo" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_script</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_script" sourceRef="start" targetRef="compute" />
    <bpmn:scriptTask id="compute" name="Compute the age">
      <bpmn:incoming>to_script</bpmn:incoming>
      <bpmn:outgoing>to_route</bpmn:outgoing>
      <bpmn:script>@SCRIPT@</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="to_route" sourceRef="compute" targetRef="route" />
    <bpmn:exclusiveGateway id="route" default="to_older">
      <bpmn:incoming>to_route</bpmn:incoming>
      <bpmn:outgoing>to_young</bpmn:outgoing>
      <bpmn:outgoing>to_older</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_young" sourceRef="route" targetRef="young">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">@CONDITION@</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_older" sourceRef="route" targetRef="older" />
    <bpmn:endEvent id="young"><bpmn:incoming>to_young</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="older"><bpmn:incoming>to_older</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

AGE_SCRIPT = (
    "child = {'name': 'Anna', 'born': '2022-03-01'}\n"
    "born = date.fromisoformat(child['born'])\n"
    "age = (date(2024, 1, 1) - born).days // 365"
)


def run_process(script: str, condition: str = "age < 3") -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    source = BPMN.replace("@SCRIPT@", escape(script)).replace("@CONDITION@", escape(condition))
    parser.add_bpmn_str(source.encode("utf-8"), "sandbox_demo.bpmn")
    engine = PythonScriptEngine(environment=SandboxedEnvironment(time_limit=TIME_LIMIT))
    workflow = BpmnWorkflow(parser.get_spec("sandbox_demo"), script_engine=engine)
    workflow.do_engine_steps()
    return workflow


def finished_at(workflow: BpmnWorkflow) -> set[str]:
    return {
        task.task_spec.bpmn_id
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if task.task_spec.bpmn_id in ("young", "older")
    }


def test_process_runs_script_and_condition_in_the_sandbox():
    workflow = run_process(AGE_SCRIPT)
    assert workflow.is_completed()
    assert finished_at(workflow) == {"young"}
    assert workflow.data["age"] == 1 and workflow.data["born"] == date(2022, 3, 1)

    assert finished_at(run_process(AGE_SCRIPT, "age < 1")) == {"older"}


@pytest.mark.parametrize(
    ("script", "line"),
    [
        ("x = 1\ny = ().__class__", 0),  # refused when compiled
        ("gen = (c for c in 'ab')\nstate = gen.gi_running", 2),  # refused while running
    ],
)
def test_escaping_script_fails_the_task_with_script_rejected(script, line):
    with pytest.raises(WorkflowTaskException) as caught:
        run_process(script)
    assert caught.value.error_type == "ScriptRejected"
    assert isinstance(caught.value.__context__, ScriptRejected)
    assert "is not allowed" in str(caught.value)
    assert caught.value.line_number == line


def test_escaping_condition_fails_with_script_rejected():
    with pytest.raises(WorkflowTaskException) as caught:
        run_process(AGE_SCRIPT, "age < 3 and open('/etc/passwd')")
    assert isinstance(caught.value.__context__, ScriptRejected)
    assert "'open' is not available in process scripts" in str(caught.value.__context__)


def test_runaway_script_fails_the_task_with_the_time_limit():
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as caught:
        run_process("age = 1\nwhile age > 0:\n    age = age + 1")
    assert isinstance(caught.value.__context__, ScriptLimitExceeded)
    assert "Time limit exceeded" in str(caught.value)
    assert time.monotonic() - started < 5
