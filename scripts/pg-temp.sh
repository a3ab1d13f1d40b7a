#!/bin/sh
# Starts a throwaway PostgreSQL server for tests and prints its URL.
#   scripts/pg-temp.sh start DIR   -> prints postgres://… on stdout
#   scripts/pg-temp.sh stop DIR    -> stops it and removes DIR
#   scripts/pg-temp.sh check       -> exit 0 when a PostgreSQL server is installed
# The server listens on 127.0.0.1 on a free port with trust authentication,
# its data and socket in DIR. PostgreSQL refuses to run as root, so as root
# it runs as the "postgres" user the Debian package creates.
set -eu

cmd=${1:?usage: pg-temp.sh start|stop DIR | check}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "pg-temp.sh: no PostgreSQL server found (install the postgresql package)" >&2
	exit 1
fi
[ "$cmd" = check ] && exit 0
dir=${2:?usage: pg-temp.sh start|stop DIR}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	if [ -d "$dir/data" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "pg-temp.sh: unknown command \"$cmd\"" >&2
	exit 2
	;;
esac
