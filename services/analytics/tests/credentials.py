"""A calling service's API key, for tests that run the service in a process of its own
(where a TokenIssuer's settings would have to travel as several variables)."""

import hashlib
import json

from servicekit import ApiKeySettings

from services.analytics.api import READ_SCOPE, WRITE_SCOPE

SERVICE_KEY = "analytics-tests-service-key-0123456789abcdef"
SERVICE_KEY_ENTRY = ApiKeySettings(
    client="tests",
    sha256=hashlib.sha256(SERVICE_KEY.encode()).hexdigest(),
    scopes=[READ_SCOPE, WRITE_SCOPE],
)
# The service's setting that accepts it.
SERVICE_KEY_ENV = {"ANALYTICS_AUTH__API_KEYS": json.dumps([SERVICE_KEY_ENTRY.model_dump()])}
