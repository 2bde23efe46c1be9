"""The local cloud: docker compose services LocalStack, the registry, and later the emulator."""
