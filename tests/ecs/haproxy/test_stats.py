"""``show stat`` as HAProxy 2.6 prints it: traffic counters of every row, health of servers."""

from __future__ import annotations

from harness.ecs.haproxy.stats import parse_show_stat, parse_traffic

# Columns trimmed to those read, in HAProxy's order; an empty field is an unset counter.
HEADER = "# pxname,svname,scur,stot,status,weight,chkdown,check_status,check_code,bck,"
SHOW_STAT = (
    HEADER
    + """rtime,req_tot,hrsp_5xx
listener-80,FRONTEND,0,57,OPEN,,,,,,,57,9
tg-model,t-abc,0,30,UP,1,0,L7OK,200,0,12,30,6
tg-model,t-abc-fo,0,0,UP,1,0,,,1,0,,
tg-model,BACKEND,0,57,UP,1,0,,,0,15,57,9
"""
)


def test_traffic_counters_of_every_row() -> None:
    rows = {(r.proxy, r.name): r for r in parse_traffic(SHOW_STAT)}
    assert set(rows) == {
        ("listener-80", "FRONTEND"),
        ("tg-model", "t-abc"),
        ("tg-model", "t-abc-fo"),
        ("tg-model", "BACKEND"),
    }
    backend = rows[("tg-model", "BACKEND")]
    assert (backend.requests, backend.responses_5xx, backend.response_time_ms) == (57, 9, 15)
    assert rows[("tg-model", "t-abc")].responses_5xx == 6
    twin = rows[("tg-model", "t-abc-fo")]
    assert (twin.requests, twin.responses_5xx, twin.is_server) == (0, 0, True)
    assert not rows[("listener-80", "FRONTEND")].is_server


def test_health_rows_are_servers_only() -> None:
    servers = parse_show_stat(SHOW_STAT)
    assert [s.server for s in servers] == ["t-abc", "t-abc-fo"]
    assert servers[0].check_status == "L7OK" and servers[1].backup
