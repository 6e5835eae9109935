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
