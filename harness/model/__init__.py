"""The model side: train, package with a manifest, publish to S3."""
