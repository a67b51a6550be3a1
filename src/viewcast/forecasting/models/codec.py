"""The state codec: fitted statsforecast state (nested dicts of arrays and scalars) as JSON + arrays.

statsforecast keeps a fitted model's state in ``model_``: dicts, tuples, numpy arrays, scalars
and one namedtuple type (``statsforecast.utils.results``). Pickle would store it in one line but
would also run code on load; this codec writes a JSON skeleton whose arrays live in the
safetensors file, and rebuilds only the types listed here, so loading a model never runs code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from viewcast.errors import ModelLoadError


def encode(obj: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """Return a JSON-able skeleton of ``obj``; arrays go into ``arrays`` under ``prefix``-based keys."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"__list_array__": [encode(x, arrays, f"{prefix}.{i}") for i, x in enumerate(obj.tolist())]}
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return {"__scalar__": obj.dtype.str, "value": obj.item()}
    if isinstance(obj, tuple) and type(obj).__name__ == "results" and hasattr(obj, "_fields"):
        return {"__results__": {f: encode(getattr(obj, f), arrays, f"{prefix}.{f}") for f in obj._fields}}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(x, arrays, f"{prefix}.{i}") for i, x in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode(x, arrays, f"{prefix}.{i}") for i, x in enumerate(obj)]
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {"__dict__": {k: encode(v, arrays, f"{prefix}.{k}") for k, v in obj.items()}}
    raise TypeError(f"cannot store {type(obj).__name__} at {prefix}")


def decode(skeleton: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`encode`; unknown tags are a corrupt model, not something to execute."""
    if skeleton is None or isinstance(skeleton, (bool, int, float, str)):
        return skeleton
    if isinstance(skeleton, list):
        return [decode(x, arrays) for x in skeleton]
    if not isinstance(skeleton, dict) or len(skeleton) not in (1, 2):
        raise ModelLoadError("corrupt model state: unexpected structure")
    if "__array__" in skeleton:
        try:
            return np.array(arrays[skeleton["__array__"]])
        except KeyError:
            raise ModelLoadError(f"corrupt model state: array {skeleton['__array__']!r} missing") from None
    if "__list_array__" in skeleton:
        out = np.empty(len(skeleton["__list_array__"]), dtype=object)
        out[:] = [decode(x, arrays) for x in skeleton["__list_array__"]]
        return out
    if "__scalar__" in skeleton:
        return np.array(skeleton["value"], dtype=np.dtype(skeleton["__scalar__"]))[()]
    if "__tuple__" in skeleton:
        return tuple(decode(x, arrays) for x in skeleton["__tuple__"])
    if "__dict__" in skeleton:
        return {k: decode(v, arrays) for k, v in skeleton["__dict__"].items()}
    if "__results__" in skeleton:
        from statsforecast.utils import results

        fields = skeleton["__results__"]
        if set(fields) != set(results._fields):
            raise ModelLoadError("corrupt model state: optimiser results have unexpected fields")
        return results(**{f: decode(v, arrays) for f, v in fields.items()})
    raise ModelLoadError(f"corrupt model state: unknown tag {next(iter(skeleton))!r}")
