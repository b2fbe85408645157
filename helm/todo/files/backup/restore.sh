#!/bin/sh
# Restores a dump made by backup.sh into the database the PG* variables
# name, or only checks that it could.
#
#   restore.sh check FILE MAX_VERSION
#   restore.sh restore FILE MAX_VERSION
#
# MAX_VERSION is the newest migration the running app knows. A file that
# is not a custom-format dump of this app exits 2, a dump of a newer schema
# exits 3, both before the database is touched. `restore` replaces the
# whole `public` schema with the dump's in one transaction: it ends with
# either the dump's data or the data that was there before.
set -eu

usage() {
  echo "usage: restore.sh check|restore FILE MAX_VERSION" >&2
  exit 64
}
[ $# -eq 3 ] || usage
action=$1
file=$2
max=$3
case $action in check | restore) ;; *) usage ;; esac
case $max in '' | *[!0-9]*) usage ;; esac

if [ ! -f "$file" ]; then
  echo "restore: $file does not exist; nothing was changed" >&2
  exit 2
fi
if ! toc=$(pg_restore --list "$file" 2>/tmp/list.err); then
  echo "restore: $file is not a pg_dump archive in the custom format ($(head -n 1 /tmp/list.err)); nothing was changed" >&2
  exit 2
fi
for table in users tasks conversations messages _sqlx_migrations; do
  if ! printf '%s\n' "$toc" | grep -q " TABLE public $table "; then
    echo "restore: $file has no table $table: it is not a dump of this app; nothing was changed" >&2
    exit 2
  fi
done
# The schema version: the newest migration in the dump's own record of them
# (the first column of _sqlx_migrations' COPY data).
newest=$(pg_restore --data-only --table=_sqlx_migrations --file=- "$file" |
  sed -n '/^COPY /,/^\\\.$/p' | sed '1d;$d' | cut -f1 | sort -n | tail -n 1)
case $newest in '' | *[!0-9]*)
  echo "restore: $file records no migrations: it is not a dump of this app; nothing was changed" >&2
  exit 2
  ;;
esac
if [ "$newest" -gt "$max" ]; then
  echo "restore: $file was made by a newer version of the app (schema $newest; this one knows up to $max): upgrade the app first; nothing was changed" >&2
  exit 3
fi
echo "restore: $file is a dump of this app (schema $newest, app knows up to $max)"
[ "$action" = restore ] || exit 0

# One transaction: psql commits only at the COMMIT written after
# pg_restore has produced the whole script. If pg_restore stops half-way
# the statement raised in its place rolls everything back (ON_ERROR_STOP),
# and so does any failing statement of the script.
if ! {
  printf 'BEGIN;\nSET client_min_messages = warning;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n'
  if pg_restore --no-owner --no-privileges --file=- "$file"; then
    printf 'COMMIT;\n'
  else
    printf "DO \$\$ BEGIN RAISE EXCEPTION 'the archive could not be read to its end: nothing was restored'; END \$\$;\n"
  fi
} | psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --file=- >/dev/null; then
  echo "restore: $file could not be restored (see above); the transaction was rolled back: nothing was restored" >&2
  exit 1
fi
echo "restore: $file restored into database $PGDATABASE; start the app to apply newer migrations"
