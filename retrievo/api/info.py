"""``info`` (``GET /``) and ``ping`` (``HEAD /``).

The version is a 9.x number so that Elasticsearch clients (which check the major version and the
``default`` build flavour) accept the node; retrievo's own version is in ``version.build_hash``.
"""

from __future__ import annotations

from typing import Any

from retrievo.api.call import Call, reply
from retrievo.api.cluster import CLUSTER_NAME
from retrievo.api.types import RestResponse
from retrievo.version import __version__

#: The Elasticsearch version whose REST API retrievo speaks.
ES_VERSION = "9.1.0"
LUCENE_VERSION = "10.2.2"


def info(call: Call) -> dict[str, Any]:
    return {
        "name": "retrievo",
        "cluster_name": CLUSTER_NAME,
        "cluster_uuid": "_na_",
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "retrievo",
            "build_hash": f"retrievo-{__version__}",
            "build_date": "2025-07-01T00:00:00.000Z",
            "build_snapshot": False,
            "lucene_version": LUCENE_VERSION,
            "minimum_wire_compatibility_version": "8.19.0",
            "minimum_index_compatibility_version": "8.0.0",
        },
        "tagline": "You Know, for Search",
    }


def ping(call: Call) -> RestResponse:
    return reply(200)
