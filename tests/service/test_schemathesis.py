"""Property-based requests against the service's own OpenAPI schema (schemathesis).

Every operation gets generated bodies, paths and headers, valid and invalid: no answer may be a
5xx, and every answer must match the schema the service publishes (status codes, content types,
bodies). The models served are the fixtures of every kind, loaded once. An API key is set, so
schemathesis also checks that requests without it, or with a wrong one, are refused.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from viewcast.service.app import create_app
from viewcast.service.settings import ServiceSettings
from viewcast.service.store import ModelStore

KEY = "schemathesis-key"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SERVED = {
    "claims": "claims_model_default_v2",
    "planner": "followers_model",
    "views": "forecast_combination_model",
    "popular": "popularity_model_v2",
}


def _app():
    store = ModelStore.from_folders({name: FIXTURES / folder for name, folder in SERVED.items()})
    # small caps keep generated on-the-fly forecasts quick; the limits themselves are under test
    return create_app(ServiceSettings.parse(models=FIXTURES, max_fit_series=3, max_fit_rows=400, api_key=KEY), store=store)


#: A request the schema refuses must get a 4xx; 413 is how an oversized one (10,001 records) is
#: refused. Schema-valid requests may still get 422: the schema cannot say that a forecast needs
#: 15 days of history or that a saved model only forecasts the series it was fitted to, and
#: those refusals carry the library's message (tests/service/test_service.py pins them).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {"expected-statuses": [400, 401, 404, 413, 422]},
            "positive_data_acceptance": {"enabled": False},
        }
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_schema(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"})
