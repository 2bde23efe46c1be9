"""The runtime acts: tasks as Docker containers. It decides nothing."""
