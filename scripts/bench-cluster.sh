#!/usr/bin/env bash
# make bench-cluster: the measured prototype of docs/SCALING.md (section 5).
# Starts a throwaway PostgreSQL 15 server on 127.0.0.1 (a free port, a temp
# directory, an unprivileged user: `nobody` when run as root), loads the
# cluster schema (Prototypes/cluster-hotpath/schema.sql) and ACCOUNTS
# accounts (seed.sql), runs Prototypes/cluster-hotpath (release build) and
# stops and deletes the server, whatever happens.
#   ACCOUNTS=10000  CACHE_MESSAGES=200000  PG_MESSAGES=10000  CONCURRENCY=16
#   REVOCATIONS=500  NODES=3  PIN=1 (server on CPU 0, client on CPU 1; 0: no pinning)
#   ETCD=1 (0 skips etcd)  ETCD_ACCOUNTS=2000  ETCD_MESSAGES=5000  ETCD_REVOCATIONS=300
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-10000}
PIN=${PIN:-1}
PGBIN=/usr/lib/postgresql/15/bin
PROTO=Prototypes/cluster-hotpath

scripts/install-packages.sh postgresql-15 postgresql-client-15 util-linux
swift build -c release --package-path "$PROTO" >&2
BIN="$(swift build -c release --package-path "$PROTO" --show-bin-path)/ClusterHotpath"

work=$(mktemp -d /tmp/conduit-bench-cluster.XXXXXX)
chmod 0755 "$work"
mkdir "$work/pg" "$work/nodes"
as_db_user=()
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$work/pg"
    as_db_user=(runuser -u nobody --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_cpu=(); client_cpu=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); fi

stop() {
    "${as_db_user[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

"${as_db_user[@]}" env LC_ALL=C "$PGBIN/initdb" -D "$work/pg/data" -U conduit --auth=trust -E UTF8 >/dev/null
# Durable commits as in production (fsync and synchronous_commit stay on);
# loopback only; the socket in the temp dir.
"${server_cpu[@]}" "${as_db_user[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start \
    -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=64" >/dev/null
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U conduit "$@"; }
psql_ -d postgres -c 'CREATE DATABASE conduit' >/dev/null
psql_ -d conduit -f "$PROTO/schema.sql" >/dev/null
psql_ -d conduit -v accounts="$ACCOUNTS" -f "$PROTO/seed.sql" >/dev/null
echo "bench-cluster: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, $ACCOUNTS accounts seeded" >&2

"${client_cpu[@]}" "$BIN" --port "$port" --dir "$work/nodes" --accounts "$ACCOUNTS" \
    --cache-messages "${CACHE_MESSAGES:-200000}" --pg-messages "${PG_MESSAGES:-10000}" \
    --concurrency "${CONCURRENCY:-16}" --revocations "${REVOCATIONS:-500}" --nodes "${NODES:-3}"

# The same measurements against etcd (Debian's etcd-server, 3.4) through its
# HTTP/JSON gateway from Python: an order of magnitude, labelled as such in
# docs/SCALING.md. ETCD=0 skips it.
if [ "${ETCD:-1}" = 1 ]; then
    scripts/install-packages.sh etcd-server
    "${client_cpu[@]}" python3 "$PROTO/etcd-compare.py" --accounts "${ETCD_ACCOUNTS:-2000}" \
        --messages "${ETCD_MESSAGES:-5000}" --revocations "${ETCD_REVOCATIONS:-300}"
fi
