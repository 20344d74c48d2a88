"""Elasticsearch-shaped errors for data directories: what is wrong, and with which file.

A damaged file is Lucene's ``CorruptIndexException`` (``corrupt_index_exception``, 500): the data,
not the request, is at fault. A directory written by a newer retrievo is
``index_format_too_new_exception`` (500), as Lucene reports a segment from a newer codec. A path that
is not a retrievo directory at all, or holds something else, is the caller's mistake (400), and a
missing saved engine is a 404. Every message names the file and says what is wrong with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from retrievo.errors import ApiError, BadRequestError, NotFoundError, api_error, bad_request, not_found


def corrupt(path: Path | str, problem: str) -> ApiError:
    """A file that exists but cannot be trusted: truncated, altered, unreadable or inconsistent."""
    return api_error("corrupt_index_exception", f"{problem} (resource=[{path}])", status=500)


def checksum_failed(path: Path | str, expected: str, actual: str) -> ApiError:
    return corrupt(path, f"checksum failed (hardware problem?) : expected=[sha256:{expected}] actual=[sha256:{actual}]")


def truncated(path: Path | str, expected: int, actual: int) -> ApiError:
    word = "truncated" if actual < expected else "longer than recorded"
    return corrupt(path, f"file {word}: expected [{expected}] bytes, found [{actual}]")


def missing_file(path: Path | str) -> ApiError:
    return corrupt(path, "file listed in the manifest is missing")


def format_too_new(path: Path | str, version: object, supported: int) -> ApiError:
    return api_error(
        "index_format_too_new_exception",
        f"Format version is not supported (resource [{path}]): {version} (needs to be between "
        f"1 and {supported}). This data directory was written by a newer version of retrievo; "
        f"upgrade retrievo to read it",
        status=500,
    )


def not_a_data_directory(path: str | os.PathLike[str], problem: str) -> BadRequestError:
    return bad_request("illegal_argument_exception", f"[{path}] is not a retrievo data directory: {problem}")


def no_saved_engine(path: Path | str) -> NotFoundError:
    return not_found("resource_not_found_exception", f"no saved engine at [{path}]")


def concurrent_writer(path: Path | str) -> ApiError:
    return api_error(
        "illegal_state_exception",
        f"[{path}] was changed by another engine since this one opened it; one data directory "
        f"can be used by one engine at a time",
        status=500,
    )


def cannot_write(path: Path | str, problem: str) -> ApiError:
    return api_error("io_exception", f"cannot write [{path}]: {problem}", status=500)


def not_serializable(index: str, doc_id: str, value: object) -> BadRequestError:
    return bad_request(
        "illegal_argument_exception",
        f"cannot persist document [{doc_id}] of index [{index}]: its _source holds a "
        f"value of type [{type(value).__name__}], which has no JSON form",
        index=index,
    )


def pipeline_not_restorable(path: Path | str, pipeline_id: object, reason: str) -> ApiError:
    return api_error(
        "illegal_state_exception",
        f"the search pipeline [{pipeline_id}] saved in [{path}] cannot be created again: {reason}",
        status=500,
    )


def endpoint_not_restorable(path: Path | str, inference_id: object, reason: str) -> ApiError:
    return api_error(
        "illegal_state_exception",
        f"the inference endpoint [{inference_id}] saved in [{path}] cannot be created again: {reason}",
        status=500,
    )
