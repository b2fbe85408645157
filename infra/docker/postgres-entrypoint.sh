#!/bin/bash
# Entrypoint of todo-postgres:15, modelled on the official postgres image's
# docker-entrypoint.sh. Clients depend on two of its behaviours:
#  - the first start initialises PGDATA from the POSTGRES_* variables;
#  - "database system is ready to accept connections" appears once on
#    stdout (the temporary server used for initialisation, started by
#    pg_ctl without -l) and then on stderr (the real server). testcontainers'
#    Postgres module waits for both, so the stderr line must come only from
#    the server that keeps running.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != 'postgres' ]; then
	exec "$@"
fi

if [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	: "${POSTGRES_USER:=postgres}"
	: "${POSTGRES_DB:=$POSTGRES_USER}"
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
		cat >&2 <<-'MSG'
			error: the database is uninitialised and POSTGRES_PASSWORD is not set.
			       Set POSTGRES_PASSWORD to a non-empty value for the superuser, or
			       POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one
			       (never do that outside a throwaway test).
		MSG
		exit 1
	fi

	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		${POSTGRES_INITDB_ARGS:-}
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

	# Only the unix socket while initialising: nobody may connect early.
	# The server's own arguments (`postgres -c …`) apply to it too; with
	# none, nothing may be added (an empty '' would be a bad argument).
	extra_args=''
	if [ "$#" -gt 1 ]; then
		printf -v extra_args '%q ' "${@:2}"
	fi
	pg_ctl -D "$PGDATA" -o "${extra_args}-c listen_addresses='' -p ${PGPORT:-5432}" -w start

	export PGUSER="$POSTGRES_USER" PGPASSWORD="${POSTGRES_PASSWORD:-}"
	if [ "$POSTGRES_DB" != 'postgres' ]; then
		psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" \
			<<<'CREATE DATABASE :"db";'
	fi
	shopt -s nullglob
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) echo "running $f"; . "$f" ;;
			*.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" ;;
			*) echo "ignoring $f" ;;
		esac
	done
	unset PGPASSWORD

	pg_ctl -D "$PGDATA" -m fast -w stop
	echo
	echo 'PostgreSQL init process complete; ready for start up.'
	echo
fi

exec "$@"
