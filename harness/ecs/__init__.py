"""The ECS emulator: ``api`` (protocols), ``scheduler`` (pure deployment logic),
``runtime`` (tasks as containers), ``balancer`` (target groups, draining), ``events``."""
