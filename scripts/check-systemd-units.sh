#!/usr/bin/env bash
# Checks deploy/systemd/*.service with `systemd-analyze verify`, the binary path pointed at the
# built one (verify checks that ExecStart is executable). Any message fails the check: verify
# exits 0 on a value it ignores ("Failed to parse boolean value, ignoring"), which would let a
# misspelt hardening option pass silently.
#   scripts/check-systemd-units.sh target/debug/beian
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/beian}")"
[ -x "$bin" ] || { echo "no beian binary at $bin" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for unit in deploy/systemd/*.service; do
  sed "s#/usr/local/bin/beian#$bin#g" "$unit" > "$tmp/$(basename "$unit")"
done
out="$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$tmp"/*.service 2>&1)" || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "systemd-analyze verify printed the messages above: fix the units" >&2
  exit 1
fi
echo "systemd units verified: $(cd deploy/systemd && echo *.service)"
