"""The ECS emulator: ``api`` (protocols), ``control_plane`` (ECS and ELBv2 state),
``scheduler`` (pure deployment logic), ``runtime`` (tasks as containers), ``haproxy``
(the ALB stand-in: backends, servers, draining), ``emulator`` (the loop joining them),
``events``."""
