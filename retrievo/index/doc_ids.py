"""Elasticsearch's rules for a document ``_id`` in a write request.

Two different failures, as Elasticsearch reports them: an id longer than 512 bytes of UTF-8 (or a missing
id on ``update``/``delete``) fails the request's validation, which rejects a whole ``_bulk`` before any
item runs (``IndexRequest``/``UpdateRequest``/``DeleteRequest.validate``, collected by
``BulkRequest.validate``); an empty id on ``index``/``create`` fails only its own item when the item is
routed (``IndexRequest.process``: "if _id is specified it must not be empty").
"""

from __future__ import annotations

from retrievo.errors import BadRequestError, illegal_argument, validation_error

#: ``IndexRequest.MAX_DOCUMENT_ID_LENGTH_IN_BYTES``
MAX_ID_BYTES = 512


def id_problems(action: str, doc_id: str | None) -> list[str]:
    """The validation messages ``doc_id`` raises for ``action`` (index, create, update, delete)."""
    if action in ("update", "delete") and not doc_id:
        return ["id is missing"]
    if doc_id is None:
        return []
    size = len(doc_id.encode("utf-8", "surrogatepass"))
    if size > MAX_ID_BYTES:
        return [f"id [{doc_id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {size}"]
    return []


def check_id(action: str, doc_id: str | None) -> None:
    """One write's id: the validation failure, then the empty-id failure."""
    problems = id_problems(action, doc_id)
    if problems:
        raise validation_error(*problems)
    if doc_id == "" and action in ("index", "create"):
        raise empty_id()


def empty_id() -> BadRequestError:
    return illegal_argument("if _id is specified it must not be empty")
