"""Service settings: command-line values travel to uvicorn's worker processes as environment.

``viewcast serve --workers N`` starts N processes that each build the app from the environment
(uvicorn's factory mode), so every setting has one variable; :meth:`ServiceSettings.from_env`
reads them and :meth:`ServiceSettings.to_env` writes them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from viewcast.contracts import Config

ENV_PREFIX = "VIEWCAST_SERVICE_"
API_KEY_VARIABLE = "VIEWCAST_API_KEY"


class ServiceSettings(Config):
    """Where the models are, who may call, and how large a request may be."""

    models: Path = Field(description="folder holding saved model folders (one per subfolder)")
    api_key: str | None = Field(None, description="required on every /v1 route when set (VIEWCAST_API_KEY)")
    max_body_size: int = Field(4 * 1024 * 1024, ge=1024, description="larger request bodies get 413")
    max_fit_series: int = Field(20, ge=1, le=1_000, description="series a forecast fitted on the fly may have")
    max_fit_rows: int = Field(20_000, ge=1, le=1_000_000, description="history rows a forecast fitted on the fly may have")

    @classmethod
    def from_env(cls) -> ServiceSettings:
        values: dict[str, object] = {}
        for name in cls.model_fields:
            variable = API_KEY_VARIABLE if name == "api_key" else ENV_PREFIX + name.upper()
            if os.environ.get(variable):
                values[name] = os.environ[variable]
        return cls.parse(values)

    def to_env(self) -> dict[str, str]:
        env = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            env[API_KEY_VARIABLE if name == "api_key" else ENV_PREFIX + name.upper()] = str(value)
        return env
