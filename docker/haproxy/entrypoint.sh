#!/bin/sh
# exec: haproxy becomes PID 1 and gets docker's stop signal itself (no shell in between).
# -W master-worker (reloads keep in-flight connections on the old worker), -db stay in
# the foreground and log to stderr, -S the master CLI on TCP port 9999: the Runtime API
# address the driver uses for "reload" and, with the "@1" prefix, for worker commands.
exec haproxy -W -db -S ipv4@0.0.0.0:9999,level,admin -f /var/lib/drydock-haproxy/haproxy.cfg "$@"
