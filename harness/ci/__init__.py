"""Push to deploy: the local git remote's pipelines, run by gitlab-ci-local on the host."""
