"""The HTTP server's pure parts: query strings, settings, authentication, media types, JSON layout, gzip."""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest

from retrievo.server import wire
from retrievo.server.auth import API_KEY_CHALLENGE, BASIC_CHALLENGE, Credentials
from retrievo.server.settings import ServerSettings, SettingsError, parse_byte_size, parse_config_text

# ---------------------------------------------------------------------------------------- query strings


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {}),
        ("pretty", {"pretty": ""}),
        ("pretty&size=3", {"pretty": "", "size": "3"}),
        ("q=left+hand%20of%2Cdarkness", {"q": "left hand of,darkness"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": "2"}),  # a repeated parameter keeps its last value
        ("a=b=c", {"a": "b=c"}),
        ("a=100%%", {"a": "100%"}),
        ("q=%C3%A9t%C3%A9", {"q": "été"}),
        ("size=3#fragment", {"size": "3"}),
        ("&&x=1&", {"x": "1"}),
    ],
)
def test_query_string_is_decoded_as_elasticsearch_does(query: str, expected: dict[str, str]) -> None:
    assert wire.decode_query_string(query.encode()) == expected


@pytest.mark.parametrize("query", ["q=%", "q=%4", "q=%zz"])
def test_a_malformed_escape_is_refused(query: str) -> None:
    with pytest.raises(wire.MalformedRequest):
        wire.decode_query_string(query.encode())


# ---------------------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "text, expected",
    [("100mb", 100 * 1024**2), ("1kb", 1024), ("1K", 1024), ("512b", 512), ("1.5kb", 1536), ("2gb", 2 * 1024**3)],
)
def test_byte_sizes(text: str, expected: int) -> None:
    assert parse_byte_size(text, "http.max_content_length") == expected


def test_a_byte_size_needs_its_unit() -> None:
    with pytest.raises(SettingsError, match=r"unit is missing or unrecognized"):
        parse_byte_size("100", "http.max_content_length")


def test_settings_from_an_elasticsearch_yml() -> None:
    text = """
# a node's elasticsearch.yml
cluster.name: my-cluster
http:
  max_content_length: 10mb   # inline comment
  compression: false
http.port: 9201
path.data: "/var/lib/retrievo"
"""
    values = parse_config_text(text)
    assert values == {
        "cluster.name": "my-cluster",
        "http.max_content_length": "10mb",
        "http.compression": "false",
        "http.port": "9201",
        "path.data": "/var/lib/retrievo",
    }
    settings = ServerSettings().with_values(values)
    assert (settings.max_content_length, settings.compression, settings.port) == (10 * 1024**2, False, 9201)
    assert settings.data == "/var/lib/retrievo"
    assert settings.ignored == ("cluster.name",)


def test_settings_from_json() -> None:
    values = parse_config_text('{"http": {"max_content_length": "1kb", "compression": true}}')
    assert values == {"http.max_content_length": "1kb", "http.compression": "true"}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("http.compression", "yes", r"only \[true\] or \[false\]"),
        ("http.compression_level", "11", r"must be <= 9"),
        ("http.max_content_length", "3gb", r"must be <= \[2147483647b\]"),
        ("http.port", "x", r"Failed to parse value \[x\]"),
    ],
)
def test_a_bad_setting_is_refused(key: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        ServerSettings().with_values({key: value})


# ---------------------------------------------------------------------------------------- authentication


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_without_credentials_everything_is_let_through() -> None:
    assert Credentials().check(None, "/") is None


def test_missing_credentials_are_elasticsearchs_401() -> None:
    creds = Credentials.from_options(["k3y"], ["elastic:changeme"])
    failure = creds.check(None, "/books/_search?pretty")
    assert failure is not None
    reason = "missing authentication credentials for REST request [/books/_search?pretty]"
    header = {"WWW-Authenticate": [BASIC_CHALLENGE, API_KEY_CHALLENGE]}
    cause = {"type": "security_exception", "reason": reason, "header": header}
    assert failure.body == {"error": {"root_cause": [cause], **cause}, "status": 401}
    assert failure.challenges == (BASIC_CHALLENGE, API_KEY_CHALLENGE)


def test_basic_and_api_key_credentials() -> None:
    creds = Credentials.from_options(["k3y", "id1:s3cret"], ["elastic:changeme"])
    assert creds.check("ApiKey k3y", "/") is None
    assert creds.check("apikey k3y", "/") is None  # the scheme is case-insensitive
    assert creds.check("ApiKey " + base64.b64encode(b"id1:s3cret").decode(), "/") is None
    assert creds.check(_basic("elastic", "changeme"), "/") is None

    wrong_user = creds.check(_basic("elastic", "nope"), "/x")
    assert wrong_user is not None
    assert wrong_user.body["error"]["reason"] == "unable to authenticate user [elastic] for REST request [/x]"

    wrong_key = creds.check("ApiKey " + base64.b64encode(b"someid:nope").decode(), "/")
    assert wrong_key is not None
    assert wrong_key.body["error"]["reason"] == (
        "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
    )
    assert (
        wrong_key.body["error"]["additional_unsuccessful_credentials"]
        == "API key: unable to find apikey with id someid"
    )

    # Bearer carrying one of the API keys (how Cohere/TEI clients send theirs) passes; any other fails
    assert creds.check("Bearer k3y", "/") is None
    bearer = creds.check("Bearer abc", "/")
    assert bearer is not None and bearer.body["error"]["reason"].startswith("unable to authenticate")


def test_only_the_enabled_schemes_are_offered() -> None:
    assert Credentials.from_options(["k"], None).challenges == (API_KEY_CHALLENGE,)
    assert Credentials.from_options(None, ["a:b"]).challenges == (BASIC_CHALLENGE,)


@pytest.mark.parametrize("user", ["nopassword", ":x", "x:"])
def test_a_malformed_user_option_is_refused(user: str) -> None:
    with pytest.raises(ValueError, match="NAME:PASSWORD"):
        Credentials.from_options(None, [user])


# ---------------------------------------------------------------------------------------- responses


@pytest.mark.parametrize(
    "headers, has_body, expected",
    [
        ({}, False, "application/json"),
        ({"accept": "application/json"}, False, "application/json"),
        (
            {"accept": "application/vnd.elasticsearch+json; compatible-with=9"},
            False,
            "application/vnd.elasticsearch+json;compatible-with=9",
        ),
        (
            {"accept": "*/*", "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8"},
            True,
            "application/vnd.elasticsearch+json;compatible-with=8",
        ),
        ({"content-type": "application/vnd.elasticsearch+json;compatible-with=9"}, False, "application/json"),
    ],
)
def test_the_json_media_type_follows_the_client(headers: dict[str, str], has_body: bool, expected: str) -> None:
    assert wire.json_media_type(headers, has_body) == expected


def test_pretty_json_is_laid_out_as_elasticsearch_does() -> None:
    body = {"name": "node", "hits": [], "shards": {}, "list": [1, {"a": "é"}]}
    expected = (
        "{\n"
        '  "name" : "node",\n'
        '  "hits" : [ ],\n'
        '  "shards" : { },\n'
        '  "list" : [\n'
        "    1,\n"
        "    {\n"
        '      "a" : "é"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    assert wire.dump_json(body, pretty=True).decode() == expected
    assert json.loads(wire.dump_json(body, pretty=True)) == body
    assert wire.dump_json(body) == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def test_text_bodies_keep_the_routes_content_type() -> None:
    payload, kind = wire.encode_body("a,b\n1,2\n", {"content-type": "text/csv; charset=utf-8"}, {}, False, False)
    assert (payload, kind) == (b"a,b\n1,2\n", "text/csv; charset=utf-8")
    assert wire.encode_body("x", {}, {}, False, False) == (b"x", "text/plain; charset=UTF-8")
    assert wire.encode_body(None, {}, {}, False, False) == (b"", None)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, None),
        ("gzip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("deflate", "deflate"),
        ("gzip;q=0.5, deflate", "deflate"),
        ("gzip;q=0", None),
        ("br", None),
        ("*", "gzip"),
    ],
)
def test_response_coding(accept: str | None, expected: str | None) -> None:
    assert wire.response_coding(accept) == expected


def test_compression_round_trips() -> None:
    payload = b'{"took":1}' * 100
    assert gzip.decompress(wire.compress(payload, "gzip", 3)) == payload
    assert zlib.decompress(wire.compress(payload, "deflate", 3)) == payload
    assert wire.decompress(gzip.compress(payload), "gzip", 10_000) == payload
    assert wire.decompress(zlib.compress(payload), "deflate", 10_000) == payload
    assert wire.decompress(payload, "identity", 10) == payload  # other codings pass through
    with pytest.raises(wire.BodyTooLarge):
        wire.decompress(gzip.compress(payload), "gzip", 999)
    with pytest.raises(wire.MalformedRequest):
        wire.decompress(b"not gzip at all", "gzip", 10_000)
