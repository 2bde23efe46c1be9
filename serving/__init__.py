"""Drydock's model server: a Flask app behind gunicorn, one model per task."""
