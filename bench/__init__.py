"""Serving benchmark, run by hand: ``python -m bench.serving`` (or ``make bench``).

Not collected by pytest (no ``test_*`` files) and not run in CI: it needs the
whole local cloud and takes a few minutes of exclusive CPU.
"""
