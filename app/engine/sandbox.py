"""The sandbox every BPMN script and expression runs in.

Process owners edit BPMN in the browser, so each gateway condition, timer expression, service-task
parameter, due-date expression and script task is untrusted input.  SpiffWorkflow evaluates them
through an "environment"; ``SandboxedEnvironment`` is ours.  It defends in four layers:

1. Compilation (RestrictedPython with ``_ScriptPolicy``) refuses imports, classes, ``with``,
   ``yield``, names and attributes starting with ``_`` and frame/generator internals, and rewrites
   attribute access, item access, iteration and the operators that can allocate a lot (``+``,
   ``*``, ``**``, ``<<``, ``%``, f-strings) into calls to the guards below.
2. The namespace holds only curated builtins and the caller's helpers; attribute access follows an
   allow-list of public attributes of known-safe types.
3. Size guards refuse any single result above ``MAX_SEQUENCE_LENGTH`` items or characters or
   ``MAX_INT_BITS`` bits, and charge everything copied against a per-run allowance, so that a loop
   cannot pile up big copies either.  What a script leaves in the task data, or an expression
   returns, must stay small enough to save.
4. A deadline.  Instead of ``sys.settrace`` the policy plants a ``_tick_()`` call at the top of
   every loop body, function body, lambda and comprehension step, the places where code repeats,
   and the guards check it too, between big operations.  A trace function is dropped by CPython as
   soon as it raises, so a script's bare ``except:`` could swallow the timeout and go on untraced;
   a tick raises again on every later iteration.  Ticks also cost far less than tracing every line
   and leave coverage tools and debuggers alone.

What it cannot bound: time spent inside one C-level operation (comparing or hashing deeply shared
nested structures, sorting a million items), in unguarded comparisons strung together in one
expression, or inside the helpers; and memory in total.  Run engine steps in a worker process with
a memory limit and a hard timeout for that.
"""
from __future__ import annotations

import ast
import builtins
import functools
import keyword
import math
import operator
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from time import monotonic
from types import CodeType, FunctionType, ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

__all__ = [
    "MAX_ALLOCATED_ITEMS",
    "MAX_DATA_SIZE",
    "MAX_FORMAT_SPEC_LENGTH",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_SEQUENCE_LENGTH",
    "SandboxedEnvironment",
    "ScriptError",
    "ScriptLimitExceeded",
    "ScriptRejected",
]


class ScriptError(Exception):
    """Base of the errors the sandbox raises for a process script or expression."""


class ScriptRejected(ScriptError):
    """The script uses something not allowed (found when compiling it or while it runs)."""


class ScriptLimitExceeded(ScriptError):
    """The script ran too long or would build something too large."""


# --- Limits -------------------------------------------------------------------------------------

MAX_SEQUENCE_LENGTH = 1_000_000  # items or characters in any single result
MAX_INT_BITS = 10_000  # size of any integer a script computes
MAX_FORMAT_WIDTH = 1_000  # width or precision in an f-string, % format or strftime
MAX_FORMAT_SPEC_LENGTH = 200  # characters in a format specification (the part after ':')
MAX_ALLOCATED_ITEMS = 20_000_000  # items and characters copied in total by one run
MAX_DATA_SIZE = 10_000_000  # characters the data a script leaves behind may take when saved

# Decimal digits of the largest integer allowed (log10(2) ~ 0.30103).
_MAX_INT_DIGITS = int(MAX_INT_BITS * math.log10(2)) + 1
# Room for one % or format field beyond its argument: '%f' of a float gives up to ~320 characters.
_FIELD_SLACK = 400
# Length assumed for str() of a value whose text size the sandbox cannot estimate.
_UNKNOWN_TEXT_SIZE = 64
# Values looked at to estimate one size (about 0.3 s at most); more count as too large, so the
# data a script leaves behind may hold at most this many values.
_MAX_VISITS = 250_000
# SpiffWorkflow finds the failing line by looking for this file name in the traceback.
_SCRIPT_FILENAME = "<string>"

_SEQUENCE_TYPES = (str, bytes, list, tuple)
# Results of these types are fresh copies whose length is charged to the run's allowance.
_COPY_TYPES = frozenset({str, bytes, list, tuple, dict, set, frozenset})
_SCALAR_TYPES = frozenset({bool, int, float, str, type(None), Decimal, date, datetime, timedelta})


# --- The running script ---------------------------------------------------------------------------


class _Run:
    """Deadline and allowance of one evaluate/execute call."""

    __slots__ = ("allowance", "deadline", "read_only", "time_limit")

    def __init__(self, time_limit: float, read_only: bool) -> None:
        self.time_limit = time_limit
        self.deadline = monotonic() + time_limit
        self.read_only = read_only  # expressions may read task data but not change it
        self.allowance = MAX_ALLOCATED_ITEMS

    def tick(self) -> None:
        if monotonic() > self.deadline:
            raise ScriptLimitExceeded(
                f"Time limit exceeded: the script ran longer than {self.time_limit:g} seconds"
            )

    def charge(self, units: int) -> None:
        self.allowance -= units
        if self.allowance < 0:
            raise ScriptLimitExceeded(
                f"Memory limit exceeded: the script copied more than {MAX_ALLOCATED_ITEMS:,} "
                "items or characters in total"
            )


# A context variable rather than per-run closures keeps the guards and builtins static (cheap to
# set up for every gateway condition) and makes script functions that escape a run inert: called
# later they tick, find no run and stop.
_ACTIVE_RUN: ContextVar[_Run | None] = ContextVar("sandbox_run", default=None)


def _current_run() -> _Run:
    run = _ACTIVE_RUN.get()
    if run is None:
        raise ScriptRejected("Script code can only run while the sandbox runs its script")
    return run


def _tick() -> bool:
    """Planted by the policy in every loop, function and comprehension; true so it fits in `and`."""
    _current_run().tick()
    return True


def _charge(units: int) -> None:
    """Charge copied items to the run's allowance, checking the deadline on the way."""
    run = _current_run()
    run.tick()
    run.charge(units)


def _account(value: Any) -> Any:
    """Charge a fresh copy to the allowance.  Also a checkpoint for the deadline: big operations
    (sorting, copying, formatting, method calls) pass through here, so straight-line code without
    loops cannot string many of them together past the time limit."""
    _charge(len(value) if type(value) in _COPY_TYPES else 0)
    return value


# --- Size checks ----------------------------------------------------------------------------------


def _check_length(length: int) -> None:
    if length > MAX_SEQUENCE_LENGTH:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: the result would have more than {MAX_SEQUENCE_LENGTH:,} "
            "items or characters"
        )


def _check_int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: the result would be an integer of more than {MAX_INT_BITS:,} bits"
        )


def _check_decimal_magnitude(number: Decimal) -> None:
    # Converting a Decimal like 1E+900000 to int takes minutes of uninterruptible C code.
    if number.is_finite() and number.adjusted() > _MAX_INT_DIGITS:
        _check_int_bits(math.inf)


class _Oversized(Exception):
    """Internal: a size estimate gave up because it looked at too many values."""


def _text_size(value: Any, limit: int) -> int:
    """Estimate len(str(value)) without building it; anything above `limit` means too large.

    Shared references count in full each time they appear, as they do in the text: `[[s] * 1000]
    * 1000` is a small object whose text is a million times len(s).  Each container is measured
    once, so measuring such a structure costs no more than building it did.
    """
    measured: dict[int, int] = {}  # id() of each container seen -> its size
    visits = 0

    def measure(item: Any) -> int:
        nonlocal visits
        visits += 1
        if visits > _MAX_VISITS:
            raise _Oversized
        if isinstance(item, (str, bytes)):
            return len(item) + 3
        if isinstance(item, int):
            return item.bit_length() // 3 + 2
        if isinstance(item, Decimal):
            # Formatting with 'f' writes every digit the exponent implies.
            return len(str(item)) + (abs(item.adjusted()) if item.is_finite() else 0)
        if not isinstance(item, (list, tuple, set, frozenset, dict)):
            return _UNKNOWN_TEXT_SIZE
        key = id(item)
        if key not in measured:
            measured[key] = limit + 1  # a container inside itself: refuse, do not recurse forever
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            measured[key] = 2 + 2 * len(children) + sum(map(measure, children))
        return measured[key]

    try:
        return measure(value)
    except (_Oversized, RecursionError):
        return limit + 1


def _check_text(value: Any) -> None:
    if _text_size(value, MAX_SEQUENCE_LENGTH) > MAX_SEQUENCE_LENGTH:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: the text would be longer than {MAX_SEQUENCE_LENGTH:,} characters"
        )


def _check_data_size(value: Any) -> None:
    """Refuse data that would explode when SpiffWorkflow or the product serialises it."""
    if type(value) in _SCALAR_TYPES:
        return
    if _text_size(value, MAX_DATA_SIZE) > MAX_DATA_SIZE:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: the data produced by the script is too large to save (more "
            f"than {MAX_DATA_SIZE:,} characters or {_MAX_VISITS:,} values)"
        )


def _check_format_number(digits: str) -> int:
    if len(digits.lstrip("0")) > len(str(MAX_FORMAT_WIDTH)) or int(digits) > MAX_FORMAT_WIDTH:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: format widths and precisions above {MAX_FORMAT_WIDTH:,} "
            "are not allowed"
        )
    return int(digits)


_DIGITS = re.compile(r"\d+")


def _check_format_spec(spec: str) -> None:
    """Check an f-string format spec or strftime pattern: short, with no huge widths in it."""
    if len(spec) > MAX_FORMAT_SPEC_LENGTH:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: format specifications longer than {MAX_FORMAT_SPEC_LENGTH} "
            "characters are not allowed"
        )
    for digits in _DIGITS.findall(spec):
        _check_format_number(digits)


# One printf-style field: flags, width, .precision.  No nested quantifiers: linear to scan.
_PRINTF_FIELD = re.compile(r"%[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _printf_number(digits: str) -> int:
    if digits == "*":
        raise ScriptRejected("Widths given as '*' are not allowed in % formatting")
    return _check_format_number(digits) if digits else 0


def _check_printf(template: str | bytes, args: Any) -> None:
    """Bound the length of `template % args` before building it."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    if "%(" in text:
        # A named field can be repeated any number of times with the same large value.
        raise ScriptRejected("Named fields in % formatting are not allowed; use an f-string")
    largest = 0
    for value in args if isinstance(args, tuple) else (args,):
        if isinstance(value, Decimal):
            _check_decimal_magnitude(value)  # '%d' converts it to int
        largest = max(largest, _text_size(value, MAX_SEQUENCE_LENGTH))
    estimate = len(text)
    for field in _PRINTF_FIELD.finditer(text):  # checked as it grows: stops early when too long
        width, precision = field.groups(default="")
        estimate += _printf_number(width) + _printf_number(precision) + largest + _FIELD_SLACK
        _check_length(estimate)


# --- Operators (the policy rewrites `a * b` into `_mul_(a, b)` and so on) --------------------------


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCE_TYPES) and isinstance(right, _SEQUENCE_TYPES):
        _check_length(len(left) + len(right))
    return _account(left + right)


def _mul(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        _check_int_bits(left.bit_length() + right.bit_length())
    elif isinstance(left, _SEQUENCE_TYPES) and isinstance(right, int):
        _check_length(len(left) * right)
    elif isinstance(left, int) and isinstance(right, _SEQUENCE_TYPES):
        _check_length(left * len(right))
    return _account(left * right)


def _pow(base: Any, exponent: Any) -> Any:
    # Float, Decimal and negative powers cannot grow without bound: they overflow or round.
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        # Test the exponent alone first: a huge one would overflow the float product.
        and (exponent > MAX_INT_BITS or exponent * math.log2(abs(base)) > MAX_INT_BITS)
    ):
        _check_int_bits(math.inf)
    return base**exponent


def _lshift(value: Any, shift: Any) -> Any:
    if isinstance(value, int) and isinstance(shift, int) and shift > 0:
        _check_int_bits(value.bit_length() + shift)
    return value << shift


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, (str, bytes)):
        _check_printf(left, right)
    return _account(left % right)


_INPLACE_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": _add,
    "*=": _mul,  # a list *= n rebinds to a new list instead of growing in place
    "**=": _pow,
    "<<=": _lshift,
    "%=": _mod,
    "-=": operator.isub,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    ">>=": operator.irshift,
    "@=": operator.imatmul,
}


def _inplacevar(operator_text: str, target: Any, value: Any) -> Any:
    """`x += y` arrives as `x = _inplacevar_('+=', x, y)`."""
    if operator_text == "+=" and isinstance(target, list):
        _extend(target, value)  # keep `+=` on a list in place, as other names may share it
        return target
    return _INPLACE_OPERATIONS[operator_text](target, value)


# --- Formatting -----------------------------------------------------------------------------------

_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _format(value: Any, conversion: int, spec: str) -> str:
    """One `{value!conversion:spec}` field of an f-string."""
    _check_format_spec(spec)
    _check_text(value)
    if conversion in _CONVERSIONS:
        value = _CONVERSIONS[conversion](value)
    return _account(format(value, spec))


def _fstring(*parts: str) -> str:
    """The f-string itself: each field is bounded, so bound their sum too."""
    _check_length(sum(len(part) for part in parts))
    return _account("".join(parts))


# --- Methods that need a check before they run ----------------------------------------------------


def _join(separator: str, iterable: Iterable[Any]) -> str:
    items = list(iterable)
    texts = sum(len(item) for item in items if isinstance(item, str))
    _check_length(texts + len(separator) * max(len(items) - 1, 0))
    return _account(separator.join(items))


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    if isinstance(old, str) and isinstance(new, str):
        occurrences = text.count(old) if count < 0 else min(text.count(old), count)
        _check_length(len(text) + occurrences * (len(new) - len(old)))
    return _account(text.replace(old, new, count))


def _extend(target: list[Any], iterable: Iterable[Any]) -> None:
    items = list(iterable)
    _check_length(len(target) + len(items))
    _charge(len(items))
    target.extend(items)


def _strftime(value: date | time, pattern: str) -> str:
    # The C library's strftime accepts widths such as '%999999999Y'.
    _check_format_spec(pattern)
    return _account(value.strftime(pattern))


def _call_and_charge(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return _account(method(*args, **kwargs))


# --- Attribute allow-list -------------------------------------------------------------------------

_IsoCalendarDate = type(date(2000, 1, 1).isocalendar())

_NUMBER_ATTRIBUTES = frozenset({"real", "imag", "conjugate"})
_SET_READS = frozenset({
    "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
    "symmetric_difference", "union",
})
_DATE_ATTRIBUTES = frozenset({
    "year", "month", "day", "weekday", "isoweekday", "isocalendar", "isoformat", "replace",
    "toordinal", "strftime", "ctime",
})
_TIME_ATTRIBUTES = frozenset({
    "hour", "minute", "second", "microsecond", "tzinfo", "isoformat", "replace", "strftime",
    "utcoffset", "tzname",
})

# Public attributes that only read.  Left out on purpose: str.format/format_map (attribute access
# through format strings), ljust/rjust/center/zfill/expandtabs/translate (huge output from a small
# input), int.to_bytes (allocates its argument), Decimal.as_integer_ratio (a huge int).
_READABLE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: frozenset({
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable",
        "isspace", "istitle", "isupper", "join", "lower", "lstrip", "partition", "removeprefix",
        "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "upper",
    }),
    int: _NUMBER_ATTRIBUTES | {
        "bit_length", "bit_count", "numerator", "denominator", "as_integer_ratio",
    },
    float: _NUMBER_ATTRIBUTES | {"is_integer", "as_integer_ratio"},
    Decimal: _NUMBER_ATTRIBUTES | {
        "adjusted", "compare", "copy_abs", "copy_negate", "copy_sign", "exp", "is_finite",
        "is_infinite", "is_nan", "is_signed", "is_zero", "ln", "log10", "max", "min", "normalize",
        "quantize", "sqrt", "to_eng_string", "to_integral_value",
    },
    list: frozenset({"copy", "count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"copy", "get", "items", "keys", "values"}),
    set: _SET_READS,
    frozenset: _SET_READS,
    date: _DATE_ATTRIBUTES,
    datetime: _DATE_ATTRIBUTES | _TIME_ATTRIBUTES | {"date", "time", "timestamp", "astimezone"},
    time: _TIME_ATTRIBUTES,
    timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
    timezone: frozenset({"utcoffset", "tzname", "dst"}),
    _IsoCalendarDate: frozenset({"year", "week", "weekday", "count", "index"}),
}

# Methods that change the object: allowed in script tasks, refused in expressions.
_MUTATING_METHODS: dict[type, frozenset[str]] = {
    list: frozenset({"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"}),
    dict: frozenset({"clear", "pop", "popitem", "setdefault", "update"}),
    set: frozenset({
        "add", "clear", "difference_update", "discard", "intersection_update", "pop", "remove",
        "symmetric_difference_update", "update",
    }),
}

_GUARDED_METHODS: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (list, "extend"): _extend,
    (date, "strftime"): _strftime,
    (datetime, "strftime"): _strftime,
    (time, "strftime"): _strftime,
}

# Attributes of classes themselves.  Everything else on a class is refused: `str.ljust('', n)`
# would be an unbound method that skips every instance check.  Not `today`: CPython's
# date.today() imports the time module, which a script's builtins cannot do.
_CLASS_ATTRIBUTES: dict[type, frozenset[str]] = {
    date: frozenset({"fromisoformat"}),
    datetime: frozenset({"now", "fromisoformat", "combine"}),
    timezone: frozenset({"utc"}),
}

_REFUSAL_HINTS = {"format": "; use an f-string instead", "format_map": "; use an f-string instead",
                  "today": "; use datetime.now(timezone.utc)"}


@functools.lru_cache(maxsize=256)
def _safe_base(cls: type) -> type | None:
    """The known-safe type a value's type is or derives from (bool -> int, OrderedDict -> dict)."""
    return next((base for base in cls.__mro__ if base in _READABLE_ATTRIBUTES), None)


def _describe(value: Any) -> str:
    if isinstance(value, FunctionType) and value in _TYPE_OF_WRAPPER:
        value = _TYPE_OF_WRAPPER[value]  # `str` in a script is a wrapper function
    if isinstance(value, type):
        return f"the class '{value.__name__}'"
    if isinstance(value, ModuleType):
        return "a module"
    if callable(value):
        return "a function"
    return f"a value of type '{type(value).__name__}'"


def _refuse_attribute(value: Any, name: str) -> ScriptRejected:
    hint = _REFUSAL_HINTS.get(name, "")
    return ScriptRejected(f"Access to attribute '{name}' of {_describe(value)} is not allowed{hint}")


def _getattr(value: Any, name: str) -> Any:
    """`value.name` arrives as `_getattr_(value, 'name')`."""
    if isinstance(value, type):
        if name not in _CLASS_ATTRIBUTES.get(value, ()):
            raise _refuse_attribute(value, name)
        return getattr(value, name)
    base = _safe_base(type(value))  # type: ignore[arg-type]
    if base is None:
        raise _refuse_attribute(value, name)
    if name in _MUTATING_METHODS.get(base, ()):
        if _current_run().read_only:
            raise ScriptRejected(
                f"'{name}()' changes data, which expressions may not do; use a script task"
            )
    elif name not in _READABLE_ATTRIBUTES[base]:
        raise _refuse_attribute(value, name)
    guard = _GUARDED_METHODS.get((base, name))
    if guard is not None:
        return functools.partial(guard, value)
    attribute = getattr(value, name)
    return functools.partial(_call_and_charge, attribute) if callable(attribute) else attribute


# --- Items, iteration and calls -------------------------------------------------------------------


def _getitem(container: Any, key: Any) -> Any:
    value = container[key]
    if type(key) is slice:
        _account(value)
    return value


class _ListWriter:
    """Stands in for a list in `lst[i] = v` / `del lst[i]`, so slice assignment cannot balloon it."""

    __slots__ = ("_target",)

    def __init__(self, target: list[Any]) -> None:
        self._target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            value = list(value)
            _check_length(len(self._target) + len(value))
            _charge(len(value))
        self._target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target[key]


def _write(container: Any) -> Any:
    """`container[key] = value` arrives as `_write_(container)[key] = value`."""
    if isinstance(container, dict):
        return container
    if isinstance(container, list):
        return _ListWriter(container)
    raise ScriptRejected(f"Changing items of {_describe(container)} is not allowed")


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`f(*args, **kwargs)` arrives as `_apply_(f, *args, **kwargs)`; unpacking copies."""
    _charge(len(args) + len(kwargs))
    return function(*args, **kwargs)


# --- Builtins -------------------------------------------------------------------------------------


def _str(value: Any = "") -> str:
    if type(value) is str:
        return value
    _check_text(value)
    return _account(str(value))


def _int(value: Any = 0, base: int | None = None) -> int:
    if isinstance(value, Decimal):
        _check_decimal_magnitude(value)
    result = int(value) if base is None else int(value, base)
    _check_int_bits(result.bit_length())
    return result


def _round(number: Any, ndigits: int | None = None) -> Any:
    if isinstance(number, Decimal) and ndigits is None:
        _check_decimal_magnitude(number)  # round() without digits returns an int
    return round(number, ndigits)


def _sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    # sum() of lists or strings copies quadratically inside C, out of reach of every guard.
    if not isinstance(start, (int, float, Decimal, timedelta)):
        raise ScriptRejected("sum() can only add numbers and time spans; use + or join() instead")
    return _account(sum(iterable, start))


def _decimal(value: Any = "0") -> Decimal:
    # Arithmetic rounds to 28 digits, but a Decimal built from a long text keeps every digit, and
    # each operation on a million digits takes a tenth of a second of uninterruptible C code.
    number = Decimal(value)
    if number.is_finite() and len(number.as_tuple().digits) > _MAX_INT_DIGITS:
        raise ScriptLimitExceeded(
            f"Size limit exceeded: decimal numbers may have at most {_MAX_INT_DIGITS:,} digits"
        )
    return number


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        length = len(numbers)
    except OverflowError:  # longer than the platform can count
        length = MAX_SEQUENCE_LENGTH + 1
    _check_length(length)
    return numbers


def _list(iterable: Iterable[Any] = ()) -> list[Any]:
    return _account(list(iterable))


def _tuple(iterable: Iterable[Any] = ()) -> tuple[Any, ...]:
    return _account(tuple(iterable))


def _set(iterable: Iterable[Any] = ()) -> set[Any]:
    return _account(set(iterable))


def _dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    return _account(dict(*args, **kwargs))


def _sorted(iterable: Iterable[Any], *, key: Any = None, reverse: bool = False) -> list[Any]:
    return _account(sorted(iterable, key=key, reverse=reverse))


_TYPE_OF_WRAPPER: dict[Callable[..., Any], type] = {
    _decimal: Decimal, _dict: dict, _int: int, _list: list, _range: range, _set: set, _str: str,
    _tuple: tuple,
}


def _real_types(classinfo: Any) -> Any:
    if isinstance(classinfo, tuple):
        return tuple(_real_types(item) for item in classinfo)
    return _TYPE_OF_WRAPPER.get(classinfo, classinfo)


def _isinstance(value: Any, classinfo: Any) -> bool:
    """isinstance() that understands the wrapped `str`, `Decimal`, ... of the script's builtins."""
    return isinstance(value, _real_types(classinfo))


_BUILTINS: dict[str, Any] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "enumerate": enumerate, "float": float,
    "len": len, "max": max, "min": min, "zip": zip,
    "dict": _dict, "int": _int, "isinstance": _isinstance, "list": _list, "range": _range,
    "round": _round, "set": _set, "sorted": _sorted, "str": _str, "sum": _sum, "tuple": _tuple,
    "Decimal": _decimal, "date": date, "datetime": datetime, "timedelta": timedelta,
    "timezone": timezone,
}

# Python builtins a script cannot use: a NameError for one of these becomes a clear refusal.
_UNAVAILABLE_BUILTINS = frozenset(dir(builtins)) - _BUILTINS.keys()

# Names the compiled code calls; added last to every namespace, so task data cannot replace them.
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": _write,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_tick_": _tick,
    "_add_": _add,
    "_mul_": _mul,
    "_pow_": _pow,
    "_lshift_": _lshift,
    "_mod_": _mod,
    "_format_": _format,
    "_fstring_": _fstring,
}


# --- Compilation ----------------------------------------------------------------------------------

_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
}


def _located(new: ast.AST, old: ast.AST) -> Any:
    return ast.fix_missing_locations(ast.copy_location(new, old))


def _guard_call(name: str, args: list[ast.expr], old: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), old)


class _ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed for process scripts and wired to the guards above."""

    def _refuse(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"{what} are not allowed in process scripts")
        return node

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        self.error(node, "import is not allowed in process scripts")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._refuse(node, "Class definitions")

    def visit_With(self, node: ast.With) -> ast.AST:
        return self._refuse(node, "with statements")

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        return self._refuse(node, "Generator functions (yield)")

    visit_YieldFrom = visit_Yield  # type: ignore[assignment]

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name is not None and name.startswith("_") and name != "_":
            self.error(node, f"The name '{name}' is not allowed: names starting with '_' are reserved")
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("print", "printed"):
            self.error(node, "print() is not available in process scripts")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_") or node.attr in INSPECT_ATTRIBUTES:
            self.error(node, f"Access to attribute '{node.attr}' is not allowed")
            return self.node_contents_visit(node)
        if not isinstance(node.ctx, ast.Load):
            self.error(node, "Changing or deleting attributes is not allowed in process scripts")
            return self.node_contents_visit(node)
        return super().visit_Attribute(node)

    # Unpacking into a literal (`[*a, *a, ...]`) or into a call's arguments builds one object of
    # any size in a single step, before any guard could look at it.

    def _refuse_starred_literal(self, node: ast.List | ast.Tuple | ast.Set) -> Any:
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and any(
            isinstance(element, ast.Starred) for element in node.elts
        ):
            self.error(node, "Unpacking with * inside a list, tuple or set is not allowed; use +")
        return self.node_contents_visit(node)

    visit_List = visit_Tuple = visit_Set = _refuse_starred_literal

    def visit_Dict(self, node: ast.Dict) -> Any:
        if any(key is None for key in node.keys):
            self.error(node, "Unpacking with ** inside a dict is not allowed; use dict.update()")
        return self.node_contents_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        starred = sum(isinstance(argument, ast.Starred) for argument in node.args)
        double_starred = sum(named.arg is None for named in node.keywords)
        if starred > 1 or double_starred > 1:
            self.error(node, "A call may unpack at most one *args and one **kwargs")
        return super().visit_Call(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        return node if guard is None else _guard_call(guard, [node.left, node.right], node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:
        node = self.node_contents_visit(node)
        return _guard_call("_fstring_", list(node.values), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        return _guard_call("_format_", [node.value, ast.Constant(node.conversion), spec], node)

    # The deadline: a tick wherever code can repeat.

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)  # type: ignore[assignment]
        node.body.insert(0, _located(ast.Expr(_guard_call("_tick_", [], node)), node))
        return node

    def visit_For(self, node: ast.For) -> Any:
        node = super().visit_For(node)  # type: ignore[assignment]
        node.body.insert(0, _located(ast.Expr(_guard_call("_tick_", [], node)), node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)  # type: ignore[assignment]
        node.body.insert(0, _located(ast.Expr(_guard_call("_tick_", [], node)), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)  # type: ignore[assignment]
        tick = _guard_call("_tick_", [], node)
        node.body = _located(ast.BoolOp(op=ast.And(), values=[tick, node.body]), node.body)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        node = super().visit_comprehension(node)  # type: ignore[assignment]
        node.ifs.insert(0, _guard_call("_tick_", [], node.iter))  # runs once per item
        return node


def _compile_error_message(error: SyntaxError) -> str:
    # compile_restricted raises SyntaxError(tuple_of_messages); compile() its own SyntaxError.
    if error.args and isinstance(error.args[0], tuple):
        return "; ".join(_shortened(message) for message in error.args[0])
    return f"Line {error.lineno}: {error.msg}"


def _shortened(message: str, limit: int = 300) -> str:
    # RestrictedPython quotes the whole statement: a long line would fill the incident.
    return message if len(message) <= limit else message[: limit - 1] + "…"


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    """Compile once per (source, mode): gateway conditions are evaluated over and over."""
    try:
        return compile_restricted(source, filename=_SCRIPT_FILENAME, mode=mode,  # type: ignore[arg-type]
                                  policy=_ScriptPolicy)
    except SyntaxError as error:
        raise ScriptRejected(_compile_error_message(error)) from None
    except ValueError as error:  # e.g. a NUL character in the source
        raise ScriptRejected(f"The script could not be compiled: {error}") from None
    except (RecursionError, MemoryError):
        raise ScriptRejected("The script is nested too deeply or is too large") from None


# --- The environment ------------------------------------------------------------------------------


def _is_private(name: Any) -> bool:
    """Names a script cannot see or assign: the guards, temporaries and `_`-prefixed task data."""
    return not isinstance(name, str) or name.startswith("_")


def _validate_helpers(helpers: dict[str, Callable[..., Any]]) -> None:
    for name, helper in helpers.items():
        if _is_private(name) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"Invalid helper name {name!r}: use an identifier not starting with '_'")
        if not callable(helper):
            raise TypeError(f"Helper {name!r} is not callable")


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates BPMN expressions and runs script tasks in the sandbox.

    Data semantics follow SpiffWorkflow's TaskDataEnvironment: `context` is the task data, helpers
    and `external_context` (data objects) are visible by name, and `execute` leaves the variables a
    script assigned in the context, without helpers, builtins or functions.  Differences: an
    expression may not change data, and a script that fails leaves its new variables out of the
    context.  `call_service` is not the environment's business (the base class refuses it).
    """

    def __init__(
        self, helpers: dict[str, Callable[..., Any]] | None = None, time_limit: float = 1.0
    ) -> None:
        helpers = dict(helpers or {})
        _validate_helpers(helpers)
        if not time_limit > 0:
            raise ValueError("time_limit must be a positive number of seconds")
        super().__init__(helpers)  # SpiffWorkflow keeps these as self.globals
        self.time_limit = time_limit

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        # Like eval(), tolerate the whitespace BPMN editors leave around an expression.
        code = _compile(expression.strip(), "eval")
        namespace = self._namespace(context, external_context or {})
        result = self._run(code, namespace, read_only=True)
        _check_data_size(result)
        return result

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        external = external_context or {}
        self._refuse_shadowing(context, external)
        code = _compile(script, "exec")
        namespace = self._namespace(context, external)
        self._run(code, namespace, read_only=False)
        variables = {
            name: value
            for name, value in namespace.items()
            if not _is_private(name)
            and name not in self.globals
            and name not in external
            and not callable(value)
        }
        _check_data_size([variables, external])
        for name in [name for name in context if not _is_private(name) and name not in variables]:
            del context[name]  # deleted by the script, or a function
        context.update(variables)
        return True

    def _refuse_shadowing(self, context: dict[str, Any], external: dict[str, Any]) -> None:
        # A field named like a helper would make the helper uncallable with a baffling error.
        clashes = sorted((self.globals.keys() | external.keys()) & context.keys())
        if clashes:
            names = ", ".join(repr(name) for name in clashes)
            raise ScriptRejected(
                f"Task data field(s) {names} have the same name as a script helper or data object; "
                "rename the field(s)"
            )

    def _namespace(self, context: dict[str, Any], external: dict[str, Any]) -> dict[str, Any]:
        namespace = {**self.globals, **external, **context}
        namespace.update(_GUARDS)
        return namespace

    def _run(self, code: CodeType, namespace: dict[str, Any], read_only: bool) -> Any:
        token = _ACTIVE_RUN.set(_Run(self.time_limit, read_only))
        try:
            return eval(code, namespace)  # compiled by RestrictedPython, guards in namespace
        except RecursionError as error:
            # Keep the script's frames in the traceback: SpiffWorkflow reads the line from them.
            raise ScriptLimitExceeded(
                "Recursion limit exceeded: the script's functions call each other too deeply"
            ).with_traceback(error.__traceback__) from None
        except MemoryError as error:
            raise ScriptLimitExceeded(
                "Memory limit exceeded: the script ran out of memory"
            ).with_traceback(error.__traceback__) from None
        except NameError as error:
            if error.name not in _UNAVAILABLE_BUILTINS:
                raise
            raise ScriptRejected(
                f"'{error.name}' is not available in process scripts"
            ).with_traceback(error.__traceback__) from None
        finally:
            _ACTIVE_RUN.reset(token)


def check_compiles(source: str, mode: str) -> None:
    """Raise ScriptRejected if ``source`` cannot run in the sandbox; ``mode`` is 'eval' or 'exec'.

    Deployment calls this for every script and expression, so a refused construct is reported when
    the process owner deploys, not when a caseworker reaches the step.
    """
    _compile(source.strip() if mode == "eval" else source, mode)
