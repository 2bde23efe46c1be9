"""What clients saw during a rollout, as numbers, gates and one HTML page.

Pure functions from request records and deployment events
(:mod:`harness.report.timeline`, :mod:`harness.report.summary`,
:mod:`harness.report.gates`) feed the renderers (:mod:`harness.report.svg`,
:mod:`harness.report.html`); :mod:`harness.report.artifacts` writes the files.
"""
