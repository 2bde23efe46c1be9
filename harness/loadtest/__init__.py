"""The rollout load test: what clients saw while ECS replaced the tasks.

``loadtests/locustfile.py`` sends the traffic and records every request through
:mod:`harness.loadtest.recorder`; :func:`harness.loadtest.runner.run_rollout_loadtest`
runs locust headless, fires the deployment at a chosen second, collects the
service's deployment events and writes the report (:mod:`harness.report`).

Only ``recorder`` imports locust (which monkey-patches the process with gevent):
the runner drives locust as a subprocess so the caller's process stays untouched.
"""
