from eksiam.config import Settings, endpoint_from_env, from_env


def test_defaults():
    s = Settings()
    assert (s.account_id, s.region, s.enforce) == ("123456789012", "us-east-1", True)


def test_env_then_flags():
    s = from_env({"EKSIAM_ACCOUNT_ID": "111122223333", "EKSIAM_REGION": "eu-west-1"}, region="ap-south-1")
    assert (s.account_id, s.region) == ("111122223333", "ap-south-1")


def test_secret_not_in_repr():
    s = Settings(root_access_key_id="AKIAEXAMPLE", root_secret_access_key="very-secret")
    assert "very-secret" not in repr(s)


def test_endpoint_found_as_the_aws_cli_does():
    assert endpoint_from_env("http://a:1", {"AWS_ENDPOINT_URL": "http://b:2"}) == "http://a:1"
    assert endpoint_from_env(None, {"AWS_ENDPOINT_URL": "http://b:2"}) == "http://b:2"
    assert endpoint_from_env(None, {}) == "http://127.0.0.1:8455"


def test_the_data_variable_takes_a_path_or_a_url(tmp_path, monkeypatch):
    """As ``--data`` does: a plain path is a SQLite file, relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    assert from_env({"EKSIAM_DATA": "state/eksiam.db"}).data_url == f"sqlite:///{tmp_path}/state/eksiam.db"
    url = "postgresql+psycopg://root@127.0.0.1:5432/test"
    assert from_env({"EKSIAM_DATA": url}).data_url == url
