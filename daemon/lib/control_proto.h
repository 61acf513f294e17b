/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket, RUN_DIR/control: a SOCK_SEQPACKET socket, one JSON
 * object a message each way. Owned by root and the control group
 * (control_group, default sovguard) with mode 0660, or by root alone (0600)
 * when there is no such group. The daemon checks the peer's credentials
 * (SO_PEERCRED, SO_PEERGROUPS) on every request: root and members of the
 * control group may read (check, rules, data, detect, events, status,
 * metrics), root alone may change what is enforced (reload, mode); a
 * refusal is {"error": "permission denied: 'CMD' needs root"} and logged.
 * Requests (at most SG_CONTROL_MAX_MSG bytes):
 *
 *   {"cmd": "check", "addr": "192.0.2.1", "port": 443, "proto": "tcp",
 *    "exe": PATH | "unit": NAME | "cgroup": PATH, "uid": N, "gid": N}
 *	-> {"verdict", "effective", "rule", "rule_index", "generation",
 *	    "country", "asn", "flags", "zones", "source", "dst_class"}
 *   {"cmd": "rules"}
 *	-> {"generation", "rules": [{"index", "id", "name", "verdict",
 *	    "hits"}], "default": {...}}
 *   {"cmd": "data"}
 *	-> {"sources": [{"path", "kind", "signature", "created", "networks"}], ...}
 *   {"cmd": "detect"}
 *	-> {"enabled", "heuristics": {NAME: {"on", "alerts", "entries", "evicted",
 *	    "allowed"}}, "entries", "conns", "dns", ..., "feed_errors",
 *	    "store_errors", "state_dir"} (daemon/detector.c)
 *   {"cmd": "events", "after": SEQ}
 *	-> {"last": SEQ, "events": ["JSON line", ...], "lost": N, "more": true}
 *	    the events ring's lines after SEQ, oldest first, up to "last";
 *	    "lost" when some after SEQ have left the ring, "more" when the
 *	    reply was full (ask again after "last")
 *   {"cmd": "status"}
 *	-> what `sovguardctl status -j` shows, as the daemon reads it, and
 *	   "rules" (as above)
 *   {"cmd": "metrics"}
 *	-> {"text": "..."}: the Prometheus text format (daemon/metrics.c)
 *   {"cmd": "reload"}                                         (root)
 *	-> {"generation", "mode"}: what SIGHUP does, with its outcome
 *   {"cmd": "mode", "mode": "enforce" | "audit" | "off" | "config"} (root)
 *	-> {"generation", "mode"}: the mode until the daemon restarts, applied
 *	   by a reload; "config" returns to the configured mode
 *
 *   {"cmd": "quarantine"}
 *	-> {"mode", "min_score", "heuristics", "max", "active", "applied",
 *	    "released", "refused": {...}, "quarantines": [{"id", "rule",
 *	    "unit" | "exe", "dst", "since", "generation", "alert": {...}}]}
 *	    (daemon/quarantine.c)
 *   {"cmd": "flows"}
 *	-> {"existing_flows": "end" | "keep", "destroy": "available" |
 *	    "unavailable" | "refused" | "unknown", "no_destroy": [PROTO...],
 *	    "sweeps", "ended": {"tcp",
 *	    "udp", "udplite"}, "failed", "unsupported", "gone", "no_owner",
 *	    "undecided", "truncated", "unlogged", "namespaces"}: established
 *	    flows a new policy ended (daemon/flows.c)
 *   {"cmd": "release", "id": N} or {"cmd": "release", "all": true}  (root)
 *	-> {"released": COUNT, "generation"}: the quarantine(s) out of the
 *	    policy, published without them
 *
 * A bad request gets {"error": "message"}; only reload, mode and release change the
 * daemon's state. One request and its reply per connection; a client
 * has SG_CONTROL_TIMEOUT_MS from connecting to be answered, at most
 * SG_CONTROL_MAX_CONN connections are served at once (the oldest gives way),
 * and no client can keep the daemon waiting (daemon/control.c). The daemon
 * and sovguardctl both include this header.
 */
#ifndef SG_CONTROL_PROTO_H
#define SG_CONTROL_PROTO_H

/* The socket: RUN_DIR/SG_CONTROL_SOCKET. */
#define SG_CONTROL_SOCKET	"control"
#define SG_CONTROL_MAX_MSG	4096
#define SG_CONTROL_MAX_REPLY	(4 << 20)
#define SG_CONTROL_MAX_CONN	16	/* connections served at once */
#define SG_CONTROL_TIMEOUT_MS	5000	/* from accept to the reply sent */

#endif
