"""The shape every analysis has: a validated config, a pure ``run``, a result, a saved model.

Each analysis (forecasting, followers, claims, popularity) provides

* a :class:`Config` subclass holding every option, validated before any work;
* ``run(data, config) -> Result``: a pure function, no printing, no files;
* a result with :meth:`Result.to_dict` (strict JSON: no NaN or Infinity) and
  :meth:`Result.save` (through :mod:`viewcast.io.outputs`, whole or not at all);
* model kinds implementing :class:`Model`, registered in :mod:`viewcast.io.registry`, so that
  ``viewcast.load_model(dir)`` returns any of them and the CLI, the notebook and the service
  predict the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from viewcast.errors import ConfigError

C = TypeVar("C", bound="Config")


class Config(BaseModel):
    """Base of every analysis' options: unknown options are errors, values are validated."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def parse(cls: type[C], options: Mapping[str, Any] | Config | None = None, /, **overrides: Any) -> C:
        """Build from a mapping, an instance or keywords; errors name the dotted parameter."""
        if isinstance(options, cls) and not overrides:
            return options
        values = dict(options.model_dump() if isinstance(options, Config) else (options or {}))
        values.update(overrides)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise config_error(exc) from None


def config_error(exc: ValidationError) -> ConfigError:
    """The first problem of a pydantic error as one line naming its parameter (no docs URL)."""
    first = exc.errors(include_url=False)[0]
    param = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown option"
    more = len(exc.errors()) - 1
    return ConfigError(message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""), param=param)


@runtime_checkable
class Result(Protocol):
    """What ``run`` returns."""

    def to_dict(self) -> dict[str, Any]:
        """Everything worth keeping, as strict JSON-able data."""
        ...

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the result's files into ``directory`` (whole or not at all)."""
        ...


@runtime_checkable
class Model(Protocol):
    """A fitted model that can be saved, loaded without running code, and asked to predict."""

    KIND: ClassVar[str]

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able configuration and named arrays (saved as safetensors)."""
        ...

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> Model:
        """Rebuild from saved state; raise ``ModelLoadError`` if shapes or values do not fit."""
        ...

    def predict(self, request: Any) -> Any:
        """Answer one request of this kind (see each kind's docstring)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name, settings and training metrics for listings (the service's /v1/models)."""
        ...


class AnalysisPackage(ModuleType):
    """An analysis package that is also its API function: ``viewcast.claims(data, **options)``.

    ``viewcast/__init__.py`` defines ``claims()``, ``followers()`` and ``popularity()``, but
    importing any ``viewcast.claims.*`` module makes Python rebind ``viewcast.claims`` to the
    package. So each of these packages sets ``sys.modules[__name__].__class__ = AnalysisPackage``,
    names its config class in ``CONFIG`` and may list lazily imported names in ``EXPORTS``; calling the package runs the analysis exactly as the
    function does (``<package>.pipeline.run(data, <CONFIG>.parse(config, **options))``).
    """

    CONFIG: str

    def __call__(self, data: Any, config: Any = None, /, **options: Any) -> Any:
        config_class = getattr(import_module(f"{self.__name__}.config"), self.CONFIG)
        return import_module(f"{self.__name__}.pipeline").run(data, config_class.parse(config, **options))

    def __getattr__(self, name: str) -> Any:
        """The package's ``EXPORTS`` (name -> module), imported on first use: ``viewcast --help`` stays fast."""
        module = self.__dict__.get("EXPORTS", {}).get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(import_module(module), name)
