"""Elasticsearch-style authentication for the HTTP server: ``ApiKey`` and ``Basic``.

With ``--api-key KEY`` a request authenticates with ``Authorization: ApiKey KEY`` (``KEY`` as given: the
"encoded" form Elasticsearch hands out; a key given as ``id:api_key`` is also accepted in its base64
form, the one the official clients send for ``api_key=(id, api_key)``). With ``--user NAME:PASSWORD`` it
authenticates with ``Authorization: Basic base64(NAME:PASSWORD)``. ``Authorization: Bearer KEY`` with one of
the ``--api-key`` keys is accepted too: it is how the Cohere and TEI clients send a key. Anything else is answered as
Elasticsearch's security layer answers it: 401, a ``security_exception`` body naming the REST request,
and ``WWW-Authenticate`` challenges for the schemes that are enabled.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any

from retrievo.errors import error_body

#: The challenges Elasticsearch sends, per scheme.
BASIC_CHALLENGE = 'Basic realm="security", charset="UTF-8"'
API_KEY_CHALLENGE = "ApiKey"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _b64_decode(text: str) -> str | None:
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _scheme(authorization: str, name: str) -> str | None:
    """The credentials after ``name `` (case-insensitive, as Elasticsearch matches it), else ``None``."""
    prefix = name + " "
    if len(authorization) >= len(prefix) and authorization[: len(prefix)].lower() == prefix.lower():
        return authorization[len(prefix) :].strip()
    return None


@dataclass(frozen=True)
class AuthFailure:
    """A refused request: the 401 body and the ``WWW-Authenticate`` values to send with it."""

    body: dict[str, Any]
    challenges: tuple[str, ...]


@dataclass(frozen=True)
class Credentials:
    """The API keys and users a server accepts; with none, every request is let through."""

    api_keys: tuple[str, ...] = ()
    #: (name, password) pairs.
    users: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_options(cls, api_keys: list[str] | None, users: list[str] | None) -> Credentials:
        """From ``--api-key KEY`` and ``--user NAME:PASSWORD`` values (``ValueError`` for a malformed one)."""
        keys = []
        for key in api_keys or []:
            if not key.strip():
                raise ValueError("--api-key must not be empty")
            keys.append(key.strip())
        pairs = []
        for user in users or []:
            name, sep, password = user.partition(":")
            if not sep or not name or not password:
                raise ValueError(f"--user must be NAME:PASSWORD, got [{user}]")
            pairs.append((name, password))
        return cls(tuple(keys), tuple(pairs))

    @property
    def enabled(self) -> bool:
        return bool(self.api_keys or self.users)

    @property
    def challenges(self) -> tuple[str, ...]:
        return ((BASIC_CHALLENGE,) if self.users else ()) + ((API_KEY_CHALLENGE,) if self.api_keys else ())

    def _key_matches(self, presented: str) -> bool:
        accepted = False
        for key in self.api_keys:
            forms = (key, _b64(key)) if ":" in key else (key,)
            for form in forms:
                # compare every form: the time taken does not tell which one came close
                accepted |= hmac.compare_digest(presented.encode("utf-8"), form.encode("utf-8"))
        return accepted

    def _user_matches(self, name: str, password: str) -> bool:
        accepted = False
        for known_name, known_password in self.users:
            same_name = hmac.compare_digest(name.encode("utf-8"), known_name.encode("utf-8"))
            same_password = hmac.compare_digest(password.encode("utf-8"), known_password.encode("utf-8"))
            accepted |= same_name and same_password
        return accepted

    def check(self, authorization: str | None, uri: str) -> AuthFailure | None:
        """``None`` if the request may go on, else why not. ``uri``: the request's path and query, as
        Elasticsearch names it in the message."""
        if not self.enabled:
            return None
        header = (authorization or "").strip()
        api_key = _scheme(header, "ApiKey")
        if api_key is not None and api_key:
            if self._key_matches(api_key):
                return None
            decoded = _b64_decode(api_key)
            key_id = decoded.partition(":")[0] if decoded and ":" in decoded else None
            detail = f"unable to find apikey with id {key_id}" if key_id else "invalid ApiKey value"
            return self._failure(
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
                additional_unsuccessful_credentials=f"API key: {detail}",
            )
        bearer = _scheme(header, "Bearer")
        if bearer is not None and bearer:
            # How Cohere's and TEI's clients send their key (``Authorization: Bearer KEY``): one of the
            # ``--api-key`` keys, so those clients work against an authenticated server too.
            if self._key_matches(bearer):
                return None
            return self._failure(
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
            )
        basic = _scheme(header, "Basic")
        if basic is not None and basic:
            decoded = _b64_decode(basic)
            if decoded is None:
                return self._failure("invalid basic authentication header encoding")
            name, sep, password = decoded.partition(":")
            if not sep:
                return self._failure("invalid basic authentication header value")
            if self._user_matches(name, password):
                return None
            return self._failure(f"unable to authenticate user [{name}] for REST request [{uri}]")
        return self._failure(f"missing authentication credentials for REST request [{uri}]")

    def _failure(self, reason: str, **extra: Any) -> AuthFailure:
        challenges = self.challenges
        body = error_body("security_exception", reason, 401, **extra, header={"WWW-Authenticate": list(challenges)})
        return AuthFailure(body, challenges)
