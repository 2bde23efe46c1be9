"""The ECS emulator assembled: driver loop, docker runtime and HAProxy behind the API."""
