"""Images Drydock runs: upstream where they can be pulled, stand-ins built offline otherwise."""
