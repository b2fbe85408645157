#!/bin/sh
# Copies the newest dump to S3-compatible object storage, then removes the
# bucket's dumps beyond the retention, newest kept. Runs after backup.sh
# in the same Pod, with the AWS CLI v2.
#
# Environment: BACKUP_DIR, BACKUP_RETENTION, S3_BUCKET, S3_PREFIX,
# S3_ENDPOINT (empty for AWS), AWS_REGION, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY.
set -eu

dir=${BACKUP_DIR:?BACKUP_DIR is not set}
keep=${BACKUP_RETENTION:?BACKUP_RETENTION is not set}
bucket=${S3_BUCKET:?S3_BUCKET is not set}
prefix=${S3_PREFIX:-}
prefix=${prefix%/}
[ -z "$prefix" ] || prefix="$prefix/"

aws() {
  if [ -n "${S3_ENDPOINT:-}" ]; then
    command aws --endpoint-url "$S3_ENDPOINT" "$@"
  else
    command aws "$@"
  fi
}

newest=$(ls -1 "$dir" | grep -E '^todo-[0-9]{8}T[0-9]{6}Z\.dump$' | sort | tail -n 1)
if [ -z "$newest" ]; then
  echo "upload: no dump in $dir" >&2
  exit 1
fi
aws s3 cp --only-show-errors "$dir/$newest" "s3://$bucket/$prefix$newest"
echo "upload: copied $newest to s3://$bucket/$prefix$newest"

aws s3api list-objects-v2 --bucket "$bucket" --prefix "${prefix}todo-" \
  --query 'Contents[].Key' --output text | tr '\t' '\n' |
  grep -E '(^|/)todo-[0-9]{8}T[0-9]{6}Z\.dump$' | sort -r | tail -n +"$((keep + 1))" |
  while read -r key; do
    aws s3 rm --only-show-errors "s3://$bucket/$key"
    echo "upload: removed s3://$bucket/$key (beyond the $keep kept)"
  done
