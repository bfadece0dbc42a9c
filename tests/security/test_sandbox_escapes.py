"""Known ways out of a Python sandbox, each tried against the environment every BPMN script and
expression runs in (with the product's script helpers). Each must be refused, or stopped, with an
error a process owner can read; none may reach a module, a frame, a class's subclasses or the
file system. ``tests/engine/test_sandbox.py`` holds the first list (ESCAPES, MORE_ESCAPES); these
are the techniques it does not try, named after the trick they use."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.domain.script_helpers import SCRIPT_HELPERS
from app.engine.sandbox import (
    SandboxedEnvironment,
    ScriptLimitExceeded,
    ScriptRejected,
)
from tests.engine.test_sandbox import ESCAPES, MORE_ESCAPES

TIME_LIMIT = 1.0  # as in production: the deep structures take a moment to build
REFUSED = ScriptRejected
LIMITED = ScriptLimitExceeded
NOT_AVAILABLE = "is not available in process scripts"
UNDERSCORE = "names starting with '_' are reserved"

# (technique, mode, source, error type, what the message says)
TECHNIQUES: list[tuple[str, str, str, type[Exception], str]] = [
    # Walking from any object to object.__subclasses__() and on to os via a loaded class.
    ("dunder traversal through __mro__", "eval", "[].__class__.__mro__[1].__subclasses__()",
     REFUSED, "Access to attribute '__mro__' is not allowed"),
    ("dunder traversal through __base__", "eval", "''.__class__.__base__.__subclasses__()",
     REFUSED, "Access to attribute '__base__' is not allowed"),
    ("mro() without underscores", "eval", "int.mro()[1]", REFUSED,
     "Access to attribute 'mro' of the class 'int' is not allowed"),
    ("the object class by name", "eval", "object", REFUSED, f"'object' {NOT_AVAILABLE}"),
    ("a function's __globals__", "eval", "(lambda: 0).__globals__", REFUSED,
     "Access to attribute '__globals__' is not allowed"),
    ("a helper's __globals__ to the product's modules", "eval",
     "today.__globals__['importlib']", REFUSED, "Access to attribute '__globals__'"),
    ("a function's __code__ to build a new function", "eval", "(lambda: 0).__code__", REFUSED,
     "Access to attribute '__code__' is not allowed"),
    # Frames: the way from a generator or coroutine to the caller's globals and builtins.
    ("generator gi_code", "eval", "(x for x in []).gi_code", REFUSED,
     "Access to attribute 'gi_code' is not allowed"),
    ("coroutine cr_frame", "exec", "async def f():\n    pass\nframe = f().cr_frame", REFUSED,
     "AsyncFunctionDef statements are not allowed"),
    ("async generator ag_frame", "eval", "(x async for x in y).ag_frame", REFUSED,
     "is not allowed"),
    ("exception __traceback__ to tb_frame", "exec",
     ("try:\n    1 / 0\nexcept ZeroDivisionError as caught:\n"
     "    frame = caught.__traceback__.tb_frame.f_back.f_globals"), REFUSED,
     "Access to attribute '__traceback__' is not allowed"),
    ("catching by an exception class to reach its object", "exec",
     "try:\n    1 / 0\nexcept ZeroDivisionError as caught:\n    args = caught.args", REFUSED,
     f"'ZeroDivisionError' {NOT_AVAILABLE}"),
    ("sys.exc_info() for the traceback", "eval", "sys.exc_info()", NameError,
     "name 'sys' is not defined"),
    # Format strings read attributes inside C, past any attribute guard.
    ("str.format_map with attribute fields", "eval", "'{0.__class__}'.format_map({})", REFUSED,
     "Access to attribute 'format_map' of a value of type 'str' is not allowed"),
    ("str.format_map on the class", "eval", "str.format_map('{x.__class__}', {'x': 1})", REFUSED,
     "Access to attribute 'format_map' of the class 'str' is not allowed"),
    ("format() builtin with a spec", "eval", "format(items, '')", REFUSED,
     f"'format' {NOT_AVAILABLE}"),
    ("f-string nested attribute", "eval", "f'{items.__class__.__mro__}'", REFUSED,
     "Access to attribute '__class__' is not allowed"),
    ("f-string attribute in the format spec", "eval", "f'{items!r:{items.__class__}}'", REFUSED,
     "Access to attribute '__class__' is not allowed"),
    ("%-format with a mapping key", "eval", "'%(x)s' % {'x': items}", REFUSED,
     "Named fields in % formatting are not allowed"),
    # Attribute access through names built at run time.
    ("getattr with a built name", "eval", "getattr(items, '__cl' + 'ass__')", REFUSED,
     f"'getattr' {NOT_AVAILABLE}"),
    ("operator.attrgetter", "eval", "operator.attrgetter('__class__')(items)", NameError,
     "name 'operator' is not defined"),
    ("setattr to overwrite a guard", "eval", "setattr(items, 'append', None)", REFUSED,
     f"'setattr' {NOT_AVAILABLE}"),
    ("vars of an object", "eval", "vars(items)", REFUSED, f"'vars' {NOT_AVAILABLE}"),
    ("locals() for the guards", "eval", "locals()['_getattr_']", REFUSED,
     f"'locals' {NOT_AVAILABLE}"),
    ("dir() to list the namespace", "eval", "dir()", REFUSED, f"'dir' {NOT_AVAILABLE}"),
    ("__builtins__ through a helper", "eval", "today.__builtins__", REFUSED,
     "Access to attribute '__builtins__' is not allowed"),
    ("assigning over a guard", "exec", "_getattr_ = getattr", REFUSED, UNDERSCORE),
    # Imports by every door.
    ("importlib.import_module", "eval", "importlib.import_module('os')", NameError,
     "name 'importlib' is not defined"),
    ("__loader__.load_module", "eval", "__loader__.load_module('os')", REFUSED, UNDERSCORE),
    ("__spec__.loader", "eval", "__spec__.loader", REFUSED, UNDERSCORE),
    ("import inside a function", "exec", "def f():\n    import os\n    return os\nx = f()",
     REFUSED, "import is not allowed in process scripts"),
    ("C code importing for the script (date.today)", "eval", "date.today()", REFUSED,
     "Access to attribute 'today' of the class 'date' is not allowed"),
    # Making classes and functions that carry their own attributes.
    ("type() with three arguments", "eval", "type('X', (), {'__getattr__': 1})", REFUSED,
     f"'type' {NOT_AVAILABLE}"),
    ("a metaclass", "exec", "class Meta(type):\n    pass\nclass X(metaclass=Meta):\n    pass",
     REFUSED, "Class definitions are not allowed"),
    ("a decorator handed the function object", "exec",
     "def grab(f):\n    return f.__globals__\n@grab\ndef g():\n    pass", REFUSED,
     "Access to attribute '__globals__' is not allowed"),
    ("a decorator that is a helper", "exec", "@today\ndef g():\n    pass", TypeError,
     "takes 0 positional arguments"),
    ("lambda default holding a generator's frame", "eval",
     "(lambda g=(x for x in []): g.gi_frame)()", REFUSED,
     "Access to attribute 'gi_frame' is not allowed"),
    ("lambda __defaults__", "eval", "(lambda a=1: a).__defaults__", REFUSED,
     "Access to attribute '__defaults__' is not allowed"),
    ("walrus binding a guard's name", "eval", "(_getattr_ := len)", REFUSED, UNDERSCORE),
    ("walrus in a comprehension reaching out", "eval", "[(_write_ := x) for x in items]",
     REFUSED, UNDERSCORE),
    ("walrus keeping a dunder", "eval", "(c := ().__class__)", REFUSED,
     "Access to attribute '__class__' is not allowed"),
    # match reads attributes in C: `case int(__class__=c)` would bind the class.
    ("match class pattern reading __class__", "exec",
     "match 1:\n    case int(__class__=c):\n        pass", REFUSED,
     "Match statements are not allowed"),
    ("match mapping pattern", "exec", "match items:\n    case {'a': a}:\n        pass", REFUSED,
     "Match statements are not allowed"),
    ("match value pattern with a dotted name", "exec",
     "match items:\n    case today.__globals__:\n        pass", REFUSED, "are not allowed"),
    ("annotated assignment evaluating its annotation", "exec", "x: ().__class__ = 1", REFUSED,
     "AnnAssign statements are not allowed"),
    ("global declaration of a guard", "exec", "def f():\n    global _getattr_\n    _getattr_ = 1",
     REFUSED, UNDERSCORE),
    # Encodings and serialisers that turn text into code or objects.
    ("str.encode with a codec", "eval", "'x'.encode('rot13')", REFUSED,
     "Access to attribute 'encode' of a value of type 'str' is not allowed"),
    ("bytes.decode unicode_escape", "eval", "b'\\\\x41'.decode('unicode_escape')", REFUSED,
     "Access to attribute 'decode' of a value of type 'bytes' is not allowed"),
    ("codecs.decode", "eval", "codecs.decode('cHJpbnQ=', 'base64')", NameError,
     "name 'codecs' is not defined"),
    ("pickle.loads", "eval", "pickle.loads(b'cos\\nsystem\\n.')", NameError,
     "name 'pickle' is not defined"),
    ("__reduce_ex__ for a pickle gadget", "eval", "date(2024, 1, 1).__reduce_ex__(2)", REFUSED,
     "Access to attribute '__reduce_ex__' is not allowed"),
    # Unicode names: Python folds them (NFKC) before the sandbox sees them.
    ("fullwidth homoglyph of eval", "eval", "ｅｖａｌ('1')", REFUSED, "Eval calls are not allowed"),
    ("fullwidth homoglyph of open", "eval", "ｏｐｅｎ('/etc/passwd')", REFUSED,
     f"'open' {NOT_AVAILABLE}"),
    ("homoglyph letters inside a dunder", "eval", "items.__ｃｌａｓｓ__", REFUSED,
     "Access to attribute '__class__' is not allowed"),
    ("mathematical script letters for getattr", "eval", "ℊ𝑒𝑡𝑎𝑡𝑡𝑟(items, 'copy')", REFUSED,
     f"'getattr' {NOT_AVAILABLE}"),
    ("fullwidth underscore (not an identifier)", "eval", "＿＿import＿＿('os')", REFUSED,
     "invalid character"),
    # Resources: memory, big numbers, recursion, compiler depth.
    ("allocate 10**10 bytes", "eval", "bytearray(10**10)", REFUSED,
     f"'bytearray' {NOT_AVAILABLE}"),
    ("allocate 10**10 list items", "eval", "[None] * 10**10", LIMITED,
     "more than 1,000,000 items or characters"),
    ("pow(10, 10**8)", "eval", "pow(10, 10**8)", REFUSED, f"'pow' {NOT_AVAILABLE}"),
    ("10 ** 10**8 as an operator", "eval", "10 ** 10**8", LIMITED,
     "an integer of more than 10,000 bits"),
    ("squaring in a loop", "exec", "n = 2\nwhile True:\n    n *= n", LIMITED,
     "an integer of more than 10,000 bits"),
    ("deep recursion through def", "exec", "def down(n):\n    return down(n + 1)\ndown(0)",
     LIMITED, "Recursion limit exceeded"),
    ("mutual recursion", "exec",
     "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\na(0)", LIMITED,
     "Recursion limit exceeded"),
    ("a list nested 5,000 deep, compared", "exec",
     "x = []\nfor i in range(5000):\n    x = [x]\nsame = x == [x]", LIMITED,
     "Recursion limit exceeded"),
    ("a list nested 5,000 deep, kept", "exec", "x = []\nfor i in range(5000):\n    x = [x]",
     LIMITED, "too large to save"),
    ("a list that holds itself, printed", "exec", "x = [1]\nx.append(x)\ntext = str(x)",
     LIMITED, "the text would be longer"),
    ("a source nested past the compiler's depth", "eval", "-" * 100_000 + "1", REFUSED,
     "nested too deeply or is too large"),
    ("100,000 terms in one expression", "eval", "+".join(["1"] * 100_000), REFUSED,
     "nested too deeply or is too large"),
    ("parentheses past the parser's limit", "eval", "(" * 1000 + "1" + ")" * 1000, REFUSED,
     "too many nested parentheses"),
    ("copies piled up past the allowance", "exec",
     "keep = []\nwhile True:\n    keep.append(list(range(10**5)))", LIMITED,
     "Memory limit exceeded|Time limit exceeded"),
    ("catching the time limit to carry on", "exec",
     ("n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n    except:\n"
     "        n = 0"), LIMITED, "Time limit exceeded"),
]

ALREADY_TRIED = {source for _mode, source, _error, _message in ESCAPES + MORE_ESCAPES}


@pytest.fixture(scope="module")
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(helpers=SCRIPT_HELPERS, time_limit=TIME_LIMIT)


def test_the_suite_tries_new_techniques_only() -> None:
    names = [technique for technique, *_ in TECHNIQUES]
    assert len(names) == len(set(names))
    assert not ALREADY_TRIED & {source for _t, _m, source, _e, _x in TECHNIQUES}
    assert len(TECHNIQUES) + len(ALREADY_TRIED) >= 25


@pytest.mark.parametrize(("technique", "mode", "source", "error", "message"), TECHNIQUES,
                         ids=[technique for technique, *_ in TECHNIQUES])
def test_escape_technique_is_refused_or_contained(
        env: SandboxedEnvironment, technique: str, mode: str, source: str,
        error: type[Exception], message: str) -> None:
    data: dict[str, Any] = {"items": [1, 2, 3]}
    run = env.evaluate if mode == "eval" else env.execute
    with pytest.raises(error) as caught:
        run(source, data)
    text = str(caught.value)
    assert any(part in text for part in message.split("|")), text
    # For a process owner to read in an incident: one short sentence, nothing of the internals.
    assert "Traceback" not in text and "/site-packages/" not in text and len(text) < 600, text
    assert data.keys() == {"items"}, "a refused script left data behind"


def test_no_technique_touched_the_file_system(env: SandboxedEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    attempts = [
        f"open({str(marker)!r}, 'w').write('x')",
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        (f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'FileIO'][0]"
        f"({str(marker)!r}, 'w')"),
    ]
    for attempt in attempts:
        with pytest.raises((ScriptRejected, NameError)):
            env.execute(attempt, {})
    assert not marker.exists()
