"""The ``plugins.ml_commons.*`` cluster settings that OpenSearch's ML guides send, and what each does here.

What each accepted setting means in retrievo (names, defaults and bounds from ML Commons'
``MLCommonsSettings``):

* ``allow_registering_model_via_url`` (default ``false``): registering a model with a ``url`` is
  refused unless it is ``true``, with ML Commons' message.
* ``trusted_url_regex``: a model ``url`` (a bare local path counts as ``file://<path>``) must contain a
  match (Java's ``Matcher.find``).
* ``local_model.enabled`` (default ``true``): ``false`` refuses registering, deploying and predicting
  with local models, with ML Commons' message.
* ``native_memory_threshold`` (0-100, default 90): the native memory circuit breaker, checked when a
  model registers, deploys and predicts. retrievo measures memory in use as ``MemTotal - MemAvailable``
  from ``/proc/meminfo`` (memory the kernel cannot reclaim; OpenSearch's operating-system probe reads
  free memory) and never opens the breaker where that file does not exist.
* ``only_run_on_ml_node`` (default ``true``): the retrievo node has the ``ml`` role, so it is always an
  eligible node and the setting changes nothing.
* ``model_access_control_enabled`` (default ``false``): model access control needs the Security
  plugin, which retrievo does not have; as on an OpenSearch cluster without it, the setting changes
  nothing and access-control fields in a model group are refused.
* ``allow_registering_model_via_local_file`` (default ``false``): governs the chunk upload API
  (``_register_meta`` / ``_upload_chunk``), which retrievo does not serve; stored and reported only.

* ``model_auto_redeploy.enable`` (default ``true``) and ``model_auto_redeploy.lifetime_retry_times``
  (default 3): when retrievo starts on a data directory, a model that was deployed is deployed again
  (``MLModelAutoReDeployer``) if the first is ``true`` and the model's ``auto_redeploy_retry_times`` is
  below the second; otherwise it comes back ``DEPLOY_FAILED``, as ML Commons' sync-up job marks a
  deployed model that no node runs.

The settings are registered in the cluster's one settings store
(:class:`retrievo.cluster_settings.ClusterSettings`, owned by the catalog, which persists it); ML
Commons reads them through :class:`MlSettings`. Any other ``plugins.ml_commons.*`` setting is refused as
not supported.
"""

from __future__ import annotations

from retrievo.cluster_settings import ClusterSettings, Setting, SettingsGroup, int_parser, parse_bool, parse_regex
from retrievo.errors import not_supported

PREFIX = "plugins.ml_commons."

#: ML Commons' default ``trusted_url_regex``.
DEFAULT_TRUSTED_URL_REGEX = r"^(https?|ftp|file)://[-a-zA-Z0-9+&@#/%?=~_|!:,.;]*[-a-zA-Z0-9+&@#/%=~_|]"

#: The ``plugins.ml_commons.*`` settings, for the cluster settings store.
ML_COMMONS_SETTINGS = SettingsGroup(
    {
        PREFIX + "allow_registering_model_via_url": Setting("false", parse_bool),
        PREFIX + "allow_registering_model_via_local_file": Setting("false", parse_bool),
        PREFIX + "trusted_url_regex": Setting(DEFAULT_TRUSTED_URL_REGEX, parse_regex),
        PREFIX + "local_model.enabled": Setting("true", parse_bool),
        PREFIX + "native_memory_threshold": Setting("90", int_parser(0, 100)),
        PREFIX + "only_run_on_ml_node": Setting("true", parse_bool),
        PREFIX + "model_access_control_enabled": Setting("false", parse_bool),
        PREFIX + "model_auto_redeploy.enable": Setting("true", parse_bool),
        # Setting.intSetting without bounds: any Java int
        PREFIX + "model_auto_redeploy.lifetime_retry_times": Setting("3", int_parser(-(2**31), 2**31 - 1)),
    },
    prefix=PREFIX,
    unknown=lambda key: not_supported(f"the ML Commons setting [{key}]"),
)


class MlSettings:
    """ML Commons' view of the cluster settings: ``plugins.ml_commons.<name>`` by short name."""

    def __init__(self, cluster: ClusterSettings) -> None:
        self.cluster = cluster

    def text(self, name: str) -> str:
        return self.cluster.value(PREFIX + name)

    def flag(self, name: str) -> bool:
        return self.text(name) == "true"

    def number(self, name: str) -> int:
        return int(self.text(name))
