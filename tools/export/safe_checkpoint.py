"""Load a foreign PyTorch checkpoint without importing the code that wrote it, and without running it.

RecBole's trainer pickles its whole ``Config`` object (classes from ``recbole.*``, ``yaml.FullLoader``,
enums, ``torch.device``) next to the state_dict; gSASRec saves a bare state_dict. ``torch.load`` would
need RecBole installed for the first, and would execute whatever globals the pickle names. Here the
unpickler (torch's zip format is read here, not through torch.load) allows only what a checkpoint legitimately holds (tensors, storages, containers, dtypes,
devices, numpy scalars) and turns every ``recbole.*`` / ``yaml.*`` global into an inert placeholder
that keeps the pickled state (so ``Config.final_config_dict`` can be read); any other global is refused.

    obj = safe_load("model.pth")          # -> plain dicts / tensors / Placeholder objects
    state_of(obj)                         # the pickled __dict__ of a Placeholder (or None)
    qualname(obj)                         # 'recbole.config.configurator.Config' for a placeholder
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import sys
import zipfile
from typing import Any, Dict, Optional

import torch


class CheckpointError(ValueError):
    """The file is not a checkpoint this loader accepts (the message says why)."""


class Placeholder:
    """Stands for an object (or a class) of a module we do not import; keeps what the pickle stored."""

    _ipg_qualname = "?"

    def __init__(self, *args, **kwargs):
        self.__dict__["_ipg_args"] = args
        self.__dict__["_ipg_state"] = None

    def __setstate__(self, state):
        self.__dict__["_ipg_state"] = state

    def __repr__(self):
        return f"<placeholder {self._ipg_qualname} args={self.__dict__.get('_ipg_args')!r}>"


_PLACEHOLDERS: Dict[str, type] = {}
_PLACEHOLDER_PREFIXES = ("recbole.", "yaml.")

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
    "UntypedStorage": torch.uint8,
}


class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    """``storage`` is the flat tensor persistent_load made of the storage's bytes."""
    return torch.as_strided(storage, tuple(size), tuple(stride), int(storage_offset)).clone()


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if storage.dtype != dtype:
        storage = storage.view(dtype)
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *rest):
    return data


def _member_of_placeholder(cls, name):
    """``getattr(EnumClass, 'MEMBER')`` is how Python >= 3.11 pickles an enum member: allowed only on a
    placeholder class, where it yields an inert placeholder for the member (enum_value gives its name)."""
    if isinstance(cls, type) and issubclass(cls, Placeholder) and isinstance(name, str):
        member = cls.__new__(cls)
        member.__dict__["_ipg_args"] = (name,)
        member.__dict__["_ipg_state"] = None
        return member
    raise pickle.UnpicklingError(f"the checkpoint calls getattr on {cls!r:.60}; refusing to load it")


# Globals a state_dict or a trainer checkpoint legitimately names. Tensors are rebuilt by our own functions
# from the raw storage bytes (no torch internals, so torch 1.x and 2.x read the same way).
_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "getattr"): _member_of_placeholder,
    ("torch", "device"): torch.device,
    ("torch", "Size"): torch.Size,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
}
for _dt in ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"):
    if hasattr(torch, _dt):
        _ALLOWED[("torch", _dt)] = getattr(torch, _dt)
for _name, _dtype in _STORAGE_DTYPES.items():
    _ALLOWED[("torch", _name)] = _StorageType(_dtype)


def _numpy_globals():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return {}
    out = {("numpy", "dtype"): np.dtype, ("numpy", "ndarray"): np.ndarray}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        try:
            m = __import__(mod, fromlist=["scalar"])
        except ImportError:
            continue
        out[(mod, "scalar")] = m.scalar
        out[(mod, "_reconstruct")] = m._reconstruct
    import codecs
    out[("_codecs", "encode")] = codecs.encode  # protocol-2 pickles of numpy scalars store bytes this way
    return out


_ALLOWED.update(_numpy_globals())


def _placeholder(module: str, name: str) -> type:
    key = f"{module}.{name}"
    cls = _PLACEHOLDERS.get(key)
    if cls is None:
        cls = type(name, (Placeholder,), {"_ipg_qualname": key, "__module__": "safe_checkpoint"})
        _PLACEHOLDERS[key] = cls
    return cls


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str):
        super().__init__(file, encoding="utf-8")
        self._zf, self._prefix, self._storages = zf, prefix, {}

    def find_class(self, module, name):
        module = {"torch.tensor": "torch._tensor"}.get(module, module)
        hit = _ALLOWED.get((module, name))
        if hit is not None:
            return hit
        if module.startswith(_PLACEHOLDER_PREFIXES) or module in ("recbole", "yaml"):
            return _placeholder(module, name)
        raise pickle.UnpicklingError(
            f"the checkpoint names the global {module}.{name}, which a state_dict or a RecBole/gSASRec "
            "checkpoint does not contain; refusing to load it (nothing was executed)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r:.80}")
        stype, key = pid[1], str(pid[2])
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unknown storage type {stype!r:.80}")
        if key not in self._storages:
            try:
                raw = self._zf.read(f"{self._prefix}data/{key}")
            except KeyError:
                raise pickle.UnpicklingError(f"storage {key} is missing from the archive") from None
            self._storages[key] = (torch.frombuffer(bytearray(raw), dtype=stype.dtype) if raw
                                   else torch.empty(0, dtype=stype.dtype))
        flat = self._storages[key]
        return flat if flat.dtype == stype.dtype else flat.view(stype.dtype)


def safe_load(path: str) -> Any:
    """The unpickled checkpoint (tensors on the CPU); raises CheckpointError when it cannot be read safely.

    Reads torch's zip serialization (torch >= 1.6) itself: ``<prefix>/data.pkl`` unpickled with the
    restricted unpickler, tensors rebuilt from ``<prefix>/data/<key>``."""
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not a zip-format PyTorch checkpoint (torch.save since torch 1.6); a legacy "
                              "or non-torch file is not read — re-save it with torch.save(obj, path)")
    try:
        with zipfile.ZipFile(path) as zf:
            pkls = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
            if len(pkls) != 1:
                raise CheckpointError(f"{path}: expected one data.pkl in the archive, found {pkls[:4]}")
            prefix = pkls[0][: -len("data.pkl")]
            order = prefix + "byteorder"
            if order in zf.namelist() and zf.read(order).strip() not in (b"little", b""):
                raise CheckpointError(f"{path}: big-endian tensors are not supported")
            if sys.byteorder != "little":  # pragma: no cover
                raise CheckpointError("this loader assumes a little-endian machine")
            with zf.open(pkls[0]) as f:
                return _Unpickler(io.BytesIO(f.read()), zf, prefix).load()
    except CheckpointError:
        raise
    except pickle.UnpicklingError as e:
        raise CheckpointError(f"{path}: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError, RuntimeError) as e:
        raise CheckpointError(f"{path}: not a PyTorch checkpoint this loader can read ({type(e).__name__}: {e})") from None


def qualname(obj: Any) -> Optional[str]:
    """'module.Class' of a placeholder instance or class, else None."""
    if isinstance(obj, Placeholder) or (isinstance(obj, type) and issubclass(obj, Placeholder)):
        return obj._ipg_qualname
    return None


def state_of(obj: Any) -> Optional[dict]:
    """The pickled __dict__ of a placeholder instance (a (dict, slots) pair is reduced to the dict)."""
    if not isinstance(obj, Placeholder):
        return None
    st = obj.__dict__.get("_ipg_state")
    if isinstance(st, tuple) and len(st) == 2 and (st[0] is None or isinstance(st[0], dict)):
        st = st[0] or {}
        st.update(obj.__dict__.get("_ipg_state")[1] or {})
    return st if isinstance(st, dict) else None


def enum_value(obj: Any):
    """The value of a pickled enum member (placeholder called with its value; its NAME when Python >= 3.11
    pickled it as getattr(Enum, name)), or obj itself."""
    if isinstance(obj, Placeholder):
        args = obj.__dict__.get("_ipg_args") or ()
        return args[0] if len(args) == 1 else obj
    return obj


def is_state_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
