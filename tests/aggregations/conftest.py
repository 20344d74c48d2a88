"""Fixtures for the aggregation tests: the indices of Elasticsearch's ``search.aggregation`` YAML
setups, built through the official client (``retrievo.Engine``)."""

from __future__ import annotations

import pytest

from agg_helpers import build_metric_engine
from retrievo import Engine


@pytest.fixture(scope="module")
def metric_engine() -> Engine:
    return build_metric_engine()
