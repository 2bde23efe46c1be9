#!/bin/sh
exec haproxy -W -db -S ipv4@0.0.0.0:9999,level,admin -f /var/lib/drydock-haproxy/haproxy.cfg
