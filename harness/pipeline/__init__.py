"""The model pipeline and the service pipeline, as timed stages."""
