"""Drydock's model server: a Flask app behind gunicorn, one model per task."""

__version__ = "0.1.0"
