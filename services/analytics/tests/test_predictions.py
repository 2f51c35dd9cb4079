"""The service serves the volatility model beside its data endpoints."""

from services.analytics.inference.api import EXAMPLE_RETURNS


async def test_the_service_predicts_and_reports_its_model(client):
    models = (await client.get("/v1/models")).json()
    assert len(models[0]["sha256"]) == 64
    answer = await client.post("/v1/predictions", json={"returns": EXAMPLE_RETURNS})
    assert answer.status_code == 200, answer.text
    assert answer.json()["volatility"] >= 0


async def test_readiness_includes_the_model(client):
    report = (await client.get("/health/ready")).json()
    assert report["checks"]["inference"]["status"] == "pass"


async def test_a_malformed_prediction_request_is_a_problem(client):
    answer = await client.post("/v1/predictions", json={"returns": [0.1]})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
