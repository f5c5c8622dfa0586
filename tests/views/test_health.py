from starlette.testclient import TestClient

from plugin.settings import Settings
from store.secrets import SecretBox
from views.app import create_app


def test_healthz_answers_while_the_database_does_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/db.sqlite", secret_keys=SecretBox.generate_key())
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.text == "database unavailable"


def test_readyz_when_the_database_answers(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_keys=SecretBox.generate_key())
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").text == "ready"
        headers = client.get("/healthz").headers
        assert headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in headers["content-security-policy"]
