"""The ``weights_only`` unpickler: its own loop over protocol-2 pickle opcodes, as torch's
``torch/_weights_only_unpickler.py``. GLOBAL is a dictionary lookup in an allowlist (torch's
names mapped to ember's, plus what the user marks safe), never an import; REDUCE/NEWOBJ only
call allowlisted objects; BUILD only sets state on OrderedDicts, tensors and allowlisted
types; APPEND(S) only extends lists and SETITEM(S) only fills dicts; persistent ids must name
a storage. Every other opcode (STACK_GLOBAL, INST, OBJ, NEWOBJ_EX, EXT*, ...) is refused.
"""

from __future__ import annotations

import _compat_pickle
import collections
import pickle
import struct
import warnings
from pickle import UnpicklingError

# modules never allowed, even when the user allowlists something from them (as torch)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")

_user_globals: set = set()

# dict keys and set items are hashed, and hash() of a tuple recurses in C with no depth check
# (a tuple nested 10**5 deep segfaults) and no memo (``t = (t, t)`` shared 40 levels deep
# takes 2**40 steps): keys from a checkpoint are bounded in depth and in items visited
_KEY_MAX_DEPTH = 32
_KEY_MAX_ITEMS = 10_000
# REDUCE and BUILD copy or walk their arguments (set(L), _codecs.encode(s), BUILD with a
# dict), and the memo lets a pickle pass one big object to them again and again for a few
# bytes each: the items they handle, all calls together, may not exceed the pickle
# bytes read so far plus this slack (a legitimate pickle spells out what it copies)
_COPY_SLACK = 1 << 18
_SIZED = (str, bytes, bytearray, list, tuple, dict, collections.OrderedDict, collections.Counter,
          set)  # fmt: skip


def short_repr(obj, limit: int = 200) -> str:
    from ._rebuild import short_repr as bounded

    return bounded(obj, limit)


def _check_key(key) -> None:
    """Refuse a dict key / set item whose hash would crash or run unbounded (see above)."""
    todo, visited = [(key, 0)], 0
    while todo:
        k, depth = todo.pop()
        if type(k) is tuple or type(k) is list:  # lists: items of OrderedDict([[k, v]])
            if depth >= _KEY_MAX_DEPTH:
                raise UnpicklingError(f"dict key or set item nested more than {_KEY_MAX_DEPTH} "
                                      "levels deep")  # fmt: skip
            visited += len(k)
            if visited > _KEY_MAX_ITEMS:
                raise UnpicklingError(f"dict key or set item holds more than {_KEY_MAX_ITEMS} "
                                      "items (counting shared ones each time)")  # fmt: skip
            todo.extend((x, depth + 1) for x in k)


def add_safe_globals(safe_globals: list) -> None:
    """Mark globals (functions, classes, or ``(obj, "dotted.name")`` pairs) as safe for
    ``weights_only`` loading.

    >>> add_safe_globals([MyConfig]); ember.load("ckpt.pt")  # doctest: +SKIP
    """
    global _user_globals
    _user_globals = _user_globals | set(safe_globals)


def get_safe_globals() -> list:
    """The globals the user marked safe (``add_safe_globals``/``safe_globals``)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget every global the user marked safe."""
    global _user_globals
    _user_globals = set()


def _remove_safe_globals(items) -> None:
    global _user_globals
    _user_globals = _user_globals - set(items)


class safe_globals:
    """Context manager: ``with safe_globals([MyConfig]): ember.load(f)``; the globals are
    removed again on exit."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _remove_safe_globals(self.safe_globals)


def user_globals() -> dict:
    """``{"module.qualname": obj}`` for the user's safe globals (validated as torch does)."""
    out = {}
    for f in _user_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")  # fmt: skip
            if type(f[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full path, "
                                f"but got: {type(f[1])}")  # fmt: skip
            out[f[1]] = f[0]
        else:
            out[f"{f.__module__}.{f.__qualname__}"] = f
    return out


def _fix_name(module: str, name: str):
    """Python 2 names (``__builtin__``, ``copy_reg`` ...) as Python 3's, as pickle does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def resolve_global(module: str, name: str):
    """The object a GLOBAL names, from the allowlists only; UnpicklingError otherwise."""
    module, name = _fix_name(module, name)
    full = f"{module}.{name}"
    if module.split(".")[0] in _BLOCKED_MODULES:
        raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module {module} "
                              "is blocked.")  # fmt: skip
    from ._rebuild import torch_globals

    allowed = torch_globals()
    if full in allowed:
        return allowed[full]
    users = user_globals()
    if full in users:
        return users[full]
    shown = full[len("builtins.") :] if full.startswith("builtins.") else full
    raise UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`ember.serialization.add_safe_globals([{shown}])` or the "
        f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist this "
        "global if you trust this class/function."
    )


_OP = {name: code[0] for name, code in vars(pickle).items()
       if name.isupper() and isinstance(code, bytes) and len(code) == 1}  # fmt: skip
_NAMES = {v: k for k, v in _OP.items()}
_DICT_TYPES = (dict, collections.OrderedDict, collections.Counter)


class Unpickler:
    """Reads one pickle from ``file`` (``read``/``readline``) with the allowlist.

    ``persistent_load(pid)`` is called for BINPERSID with a tuple whose first item is
    ``'storage'``. Errors from malformed data come out as ``pickle.UnpicklingError``; a
    storage view out of bounds as RuntimeError (as torch's ``set_``).
    """

    def __init__(self, file, persistent_load, *, encoding: str = "utf-8"):
        self.file = file
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.memo: dict = {}
        self.proto = -1
        self.copied = 0

    def _read(self, n: int) -> bytes:
        b = self.file.read(n)
        if len(b) != n:
            raise UnpicklingError("pickle data was truncated")
        return b

    def _readline(self) -> bytes:
        line = self.file.readline()
        if not line.endswith(b"\n"):
            raise UnpicklingError("pickle data was truncated")
        return line[:-1]

    def load(self):
        try:
            return self._load()
        except (UnpicklingError, RuntimeError):
            raise
        except (IndexError, KeyError, struct.error, TypeError, ValueError, AttributeError,
                UnicodeDecodeError, OverflowError, EOFError, RecursionError) as e:  # fmt: skip
            raise UnpicklingError(f"malformed pickle ({type(e).__name__}: {e!s:.300})") from None

    def _charge(self, objs) -> None:
        """Count the items ``objs`` hold against the copy budget (see ``_COPY_SLACK``)."""
        self.copied += sum(len(o) for o in objs if type(o) in _SIZED)
        try:
            pos = self.file.tell()
        except (AttributeError, OSError):
            return
        if self.copied > pos + _COPY_SLACK:
            raise UnpicklingError(
                f"the pickle makes REDUCE/BUILD copy {self.copied} items after {pos} bytes: it "
                "passes memoized objects to them over and over (memory/time exhaustion)"
            )

    def _pop_mark(self):
        items = self.stack
        if not self.metastack:
            raise UnpicklingError("could not find MARK")
        self.stack = self.metastack.pop()
        return items

    def _load(self):
        self.stack, self.metastack = [], []
        memo, read = self.memo, self._read
        allowed_values = None
        while True:
            key = self.file.read(1)
            if not key:
                raise UnpicklingError("pickle data was truncated (no STOP)")
            op = key[0]
            stack = self.stack
            if op == _OP["GLOBAL"]:
                module = self._readline().decode("utf-8")
                name = self._readline().decode("utf-8")
                stack.append(resolve_global(module, name))
            elif op == _OP["NEWOBJ"]:
                args = stack.pop()
                cls = stack.pop()
                stack.append(self._newobj(cls, args))
            elif op == _OP["REDUCE"]:
                args = stack.pop()
                func = stack[-1]
                if allowed_values is None:
                    allowed_values = _callables()
                stack[-1] = self._reduce(func, args, allowed_values)
            elif op == _OP["BUILD"]:
                state = stack.pop()
                self._build(stack[-1], state)
            elif op == _OP["APPEND"]:
                item = stack.pop()
                if type(stack[-1]) is not list:
                    raise UnpicklingError(f"Can only append to lists, but got {type(stack[-1])}")
                stack[-1].append(item)
            elif op == _OP["APPENDS"]:
                items = self._pop_mark()
                if type(self.stack[-1]) is not list:
                    raise UnpicklingError(f"Can only extend lists, but got {type(self.stack[-1])}")
                self.stack[-1].extend(items)
            elif op == _OP["SETITEM"]:
                v, k = stack.pop(), stack.pop()
                self._check_dict("SETITEM")
                _check_key(k)
                stack[-1][k] = v
            elif op == _OP["SETITEMS"]:
                items = self._pop_mark()
                self._check_dict("SETITEMS")
                if len(items) % 2:
                    raise UnpicklingError("SETITEMS needs key/value pairs")
                target = self.stack[-1]
                for i in range(0, len(items), 2):
                    _check_key(items[i])
                    target[items[i]] = items[i + 1]
            elif op == _OP["MARK"]:
                self.metastack.append(stack)
                self.stack = []
            elif op == _OP["TUPLE"]:
                items = self._pop_mark()
                self.stack.append(tuple(items))
            elif op == _OP["TUPLE1"]:
                stack[-1] = (stack[-1],)
            elif op == _OP["TUPLE2"]:
                if len(stack) < 2:
                    raise UnpicklingError("stack underflow in TUPLE2")
                stack[-2:] = [(stack[-2], stack[-1])]
            elif op == _OP["TUPLE3"]:
                if len(stack) < 3:
                    raise UnpicklingError("stack underflow in TUPLE3")
                stack[-3:] = [(stack[-3], stack[-2], stack[-1])]
            elif op == _OP["NONE"]:
                stack.append(None)
            elif op == _OP["NEWFALSE"]:
                stack.append(False)
            elif op == _OP["NEWTRUE"]:
                stack.append(True)
            elif op == _OP["EMPTY_TUPLE"]:
                stack.append(())
            elif op == _OP["EMPTY_LIST"]:
                stack.append([])
            elif op == _OP["EMPTY_DICT"]:
                stack.append({})
            elif op == _OP["EMPTY_SET"]:
                stack.append(set())
            elif op == _OP["BININT"]:
                stack.append(struct.unpack("<i", read(4))[0])
            elif op == _OP["BININT1"]:
                stack.append(read(1)[0])
            elif op == _OP["BININT2"]:
                stack.append(struct.unpack("<H", read(2))[0])
            elif op == _OP["BINFLOAT"]:
                stack.append(struct.unpack(">d", read(8))[0])
            elif op == _OP["BINUNICODE"]:
                n = struct.unpack("<I", read(4))[0]
                stack.append(str(read(n), "utf-8", "surrogatepass"))
            elif op == _OP["SHORT_BINSTRING"]:
                data = read(read(1)[0])
                stack.append(data if self.encoding == "bytes" else data.decode(self.encoding))
            elif op == _OP["BINPERSID"]:
                pid = stack.pop()
                stack.append(self._persistent(pid))
            elif op == _OP["BINGET"] or op == _OP["LONG_BINGET"]:
                i = read(1)[0] if op == _OP["BINGET"] else struct.unpack("<I", read(4))[0]
                if i not in memo:
                    raise UnpicklingError(f"Memo value not found at index {i}")
                stack.append(memo[i])
            elif op == _OP["BINPUT"] or op == _OP["LONG_BINPUT"]:
                i = read(1)[0] if op == _OP["BINPUT"] else struct.unpack("<I", read(4))[0]
                memo[i] = stack[-1]
            elif op == _OP["LONG1"]:
                stack.append(pickle.decode_long(read(read(1)[0])))
            elif op == _OP["PROTO"]:
                self.proto = read(1)[0]
                if self.proto != 2:
                    warnings.warn(
                        f"Detected pickle protocol {self.proto} in the checkpoint, which was not "
                        "the default pickle protocol used by `torch.load` (2). The weights_only "
                        "Unpickler might not support all instructions implemented by this "
                        "protocol.",
                        stacklevel=4,
                    )
            elif op == _OP["STOP"]:
                if not stack:
                    raise UnpicklingError("STOP with an empty stack")
                return stack.pop()
            else:
                name = _NAMES.get(op, "unknown")
                raise UnpicklingError(f"Unsupported operand {op} ({name})")

    def _check_dict(self, opcode: str) -> None:
        if type(self.stack[-1]) not in _DICT_TYPES:
            raise UnpicklingError(
                f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, but "
                f"got {type(self.stack[-1])}"
            )

    def _persistent(self, pid):
        if type(pid) is not tuple or not pid:
            raise UnpicklingError(f"persistent_load id must be a storage tuple, but got "
                                  f"{type(pid).__name__}")  # fmt: skip
        tag = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if tag != "storage":
            raise UnpicklingError(
                f"Only persistent_load of storage is allowed, but got {short_repr(tag, 60)}"
            )
        return self.persistent_load(pid)

    def _newobj(self, cls, args):
        from ..nn.parameter import Parameter

        if type(args) is not tuple:
            raise UnpicklingError("NEWOBJ arguments must be a tuple")
        if cls is Parameter:
            _check_param_args(args)
            return Parameter(*args)
        users = user_globals()
        if isinstance(cls, type) and (cls in users.values() or cls in _DICT_TYPES[1:]):
            return cls.__new__(cls, *args)
        raise UnpicklingError("Can only create new object for nn.Parameter or classes allowlisted "
                              f"via `add_safe_globals` but got {short_repr(cls, 100)}")  # fmt: skip

    def _reduce(self, func, args, allowed):
        from ..nn.parameter import Parameter

        if type(args) is not tuple:
            raise UnpicklingError("REDUCE arguments must be a tuple")
        if func is Parameter:
            _check_param_args(args)
            return Parameter(*args)
        if not any(func is f for f in allowed) and not _is_user_callable(func):
            raise UnpicklingError(f"Trying to call reduce for unrecognized function "
                                  f"{short_repr(func, 100)}")  # fmt: skip
        self._charge(args)
        if args and (func in _DICT_TYPES or func is _set_global()):
            # they iterate their argument: a tensor would yield 2**34 scalars for 16 bytes
            if type(args[0]) not in _SIZED:
                raise UnpicklingError(f"{func.__name__}() from a checkpoint takes a list, tuple, "
                                      f"dict or str, not {type(args[0]).__name__}")  # fmt: skip
            if type(args[0]) is tuple or type(args[0]) is list:
                for item in args[0]:  # OrderedDict/Counter/set hash these (or their keys)
                    _check_key(item)
        return func(*args)

    def _build(self, inst, state):
        from .._tensor import Tensor
        from ._rebuild import _set_state

        self._charge(state if type(state) is tuple else (state,))
        if type(inst) is collections.OrderedDict:
            from ._rebuild import _is_behaviour

            # attribute names only, never one that shadows a method (``items``, ``keys``):
            # load_state_dict would call what the file put there
            if not isinstance(state, dict) or any(
                type(k) is not str or k.startswith("__") or _is_behaviour(type(inst), k)
                for k in state
            ):
                raise UnpicklingError("BUILD of an OrderedDict takes a dict of attribute names "
                                      "that are not OrderedDict methods")  # fmt: skip
            inst.__dict__.update(state)
        elif isinstance(inst, Tensor) and not _is_user_type(type(inst)):
            _set_state(inst, state)
        elif _is_user_type(type(inst)):
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None and not _is_default_setstate(inst):
                setstate(state)
                return
            slotstate = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slotstate = state
            if state:
                inst.__dict__.update(state)
            if slotstate:
                for k, v in slotstate.items():
                    setattr(inst, k, v)
        else:
            raise UnpicklingError(
                "Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                f"`add_safe_globals`, but got {type(inst)}"
            )


def _is_default_setstate(inst) -> bool:
    # Python 3.11+ gives every object a __setstate__-free default; only a class's own counts
    return getattr(type(inst), "__setstate__", None) is None


def _check_param_args(args) -> None:
    from .._tensor import Tensor

    if len(args) > 2 or (args and not isinstance(args[0], Tensor)):
        raise UnpicklingError("nn.Parameter takes a tensor and requires_grad")


def _callables() -> list:
    """The default allowlist entries REDUCE may call: functions and the dict types, never the
    Tensor class itself (``Tensor(10**12)`` would allocate)."""
    from .._tensor import Tensor
    from ._rebuild import StorageType, torch_globals

    out = []
    for v in torch_globals().values():
        if v is Tensor or isinstance(v, StorageType) or not callable(v):
            continue
        if isinstance(v, type) and v not in _DICT_TYPES and v is not complex:
            continue
        out.append(v)
    return out


def _set_global():
    from ._rebuild import torch_globals

    return torch_globals()["builtins.set"]


def _is_user_callable(func) -> bool:
    return any(func is v for v in user_globals().values())


def _is_user_type(t) -> bool:
    return any(t is v for v in user_globals().values())


def globals_in_pickle(data: bytes) -> set:
    """The ``module.name`` of every GLOBAL in a protocol-2 pickle, read statically (nothing is
    built), as torch's ``get_globals_in_pkl``."""
    import io

    f = io.BytesIO(data)
    found = set()
    fixed = {"BININT": 4, "BININT1": 1, "BININT2": 2, "BINFLOAT": 8, "BINGET": 1,
             "LONG_BINGET": 4, "BINPUT": 1, "LONG_BINPUT": 4, "PROTO": 1}  # fmt: skip
    bare = {"NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "MARK",
            "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE",
            "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "BINPERSID"}  # fmt: skip
    while True:
        key = f.read(1)
        if not key:
            raise UnpicklingError("pickle data was truncated (no STOP)")
        name = _NAMES.get(key[0])
        if name == "GLOBAL":
            module = f.readline()[:-1].decode("utf-8")
            gname = f.readline()[:-1].decode("utf-8")
            module, gname = _fix_name(module, gname)
            found.add(f"{module}.{gname}")
        elif name in fixed:
            f.read(fixed[name])
        elif name in bare:
            pass
        elif name == "BINUNICODE":
            f.read(struct.unpack("<I", f.read(4))[0])
        elif name in ("SHORT_BINSTRING", "LONG1"):
            f.read(f.read(1)[0])
        elif name == "STOP":
            return found
        else:
            raise UnpicklingError(f"Unsupported operand {key[0]} ({name or 'unknown'})")
