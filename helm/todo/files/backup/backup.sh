#!/bin/sh
# One backup of the bundled database: a pg_dump in the custom format,
# written beside its final name and renamed only once the whole archive
# reads back, so a dump that failed half-way never looks like a backup.
# Then dumps beyond the retention are removed, newest kept.
#
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (libpq's),
# BACKUP_DIR (the claim's mount), BACKUP_RETENTION (dumps kept).
set -eu

dir=${BACKUP_DIR:?BACKUP_DIR is not set}
keep=${BACKUP_RETENTION:?BACKUP_RETENTION is not set}

# A volume that cannot be written fails here, with its reason, before the
# database is read.
if ! touch "$dir/.writable" 2>/tmp/touch.err; then
  echo "backup: cannot write to $dir: $(cat /tmp/touch.err)" >&2
  exit 1
fi
rm -f "$dir/.writable"

name="todo-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$dir/$name.partial"
trap 'rm -f "$partial"' EXIT

started=$(date +%s)
# pg_dump syncs the file to disk before it exits.
pg_dump --format=custom --no-owner --no-privileges --file="$partial"
# Reads every entry back, data included: a truncated or corrupt archive
# fails here rather than at restore time.
pg_restore --file=/dev/null "$partial"
mv "$partial" "$dir/$name"
trap - EXIT
echo "backup: wrote $dir/$name ($(wc -c < "$dir/$name") bytes in $(( $(date +%s) - started )) s)"

# Names sort by time; anything else in the directory is left alone.
ls -1 "$dir" | grep -E '^todo-[0-9]{8}T[0-9]{6}Z\.dump$' | sort -r | tail -n +"$((keep + 1))" |
  while read -r old; do
    rm -f "$dir/$old"
    echo "backup: removed $old (beyond the $keep kept)"
  done
# Leftovers of runs that were killed before their trap could run.
find "$dir" -maxdepth 1 -name 'todo-*.dump.partial' -mmin +60 -exec rm -f {} +
