"""HAProxy, the ALB stand-in: backends, servers, checks and draining, in HAProxy's words.

Pure parts: :mod:`model` (:class:`Backend`, :class:`Server`, :class:`Check`),
:mod:`config` (haproxy.cfg and why it looks so), :mod:`stats` and :mod:`health`
(HAProxy status -> the control plane's target health state and reason).
I/O parts: :mod:`runtime_api` (Runtime API over TCP), :mod:`sink` (where the config is
written), :mod:`driver` (:class:`HaproxyDriver`). The emulator depends on the
:class:`ProxyDriver` protocol only; it translates ELBv2 into these words in
``harness.ecs.emulator.haproxy_backends``.
"""

from harness.ecs.haproxy.config import RUNTIME_API_PORT, ProxySettings
from harness.ecs.haproxy.driver import HaproxyDriver
from harness.ecs.haproxy.errors import HaproxyError
from harness.ecs.haproxy.model import Backend, Check, Server, ServerHealth
from harness.ecs.haproxy.protocol import ProxyDriver
from harness.ecs.haproxy.runtime_api import RuntimeApiAddress, RuntimeApiClient
from harness.ecs.haproxy.sink import DirectoryConfigSink, DockerConfigSink

__all__ = [
    "RUNTIME_API_PORT",
    "Backend",
    "Check",
    "DirectoryConfigSink",
    "DockerConfigSink",
    "HaproxyDriver",
    "HaproxyError",
    "ProxyDriver",
    "ProxySettings",
    "RuntimeApiAddress",
    "RuntimeApiClient",
    "Server",
    "ServerHealth",
]
