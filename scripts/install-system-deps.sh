#!/usr/bin/env bash
# Installs the Debian packages the test suite and CI use, when missing.
# Idempotent; needs root (or sudo). Debian/Ubuntu only.
#   postgresql            the contract suite's PostgreSQL (a throwaway cluster)
#   chromium, -driver     the frontend's browser end-to-end tests
#   docker.io             image builds, the smoke test and testcontainers
#   debootstrap           local base images when no registry is reachable
set -euo pipefail

packages=(postgresql chromium chromium-driver docker.io debootstrap)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
