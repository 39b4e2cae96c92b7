#!/usr/bin/env bash
# Prints the path of a minimal Debian root (bookworm, systemd as PID 1) that
# holds the given packages, building it with mmdebstrap the first time. The
# root is cached under /var/tmp, keyed by a hash of the suite, mirror and
# sorted package list, so a CI re-run reuses it and a changed list builds anew.
# Callers copy it before changing anything: the cache stays pristine.
# Usage: rootfs.sh PACKAGE...
set -euo pipefail
SUITE=${SUITE:-bookworm}
# The Debian archive this machine's apt already uses.
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
packages=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
key=$(printf '%s %s %s' "$SUITE" "$MIRROR" "$packages" | sha256sum | cut -c1-16)
root=/var/tmp/conduit-rootfs-$key
if [ ! -x "$root/lib/systemd/systemd" ]; then
    echo "building $root with mmdebstrap ($packages)" >&2
    rm -rf "$root.tmp"
    # eatmydata: dpkg's fsyncs make no sense for a throwaway root and cost minutes.
    mmdebstrap -q --variant=minbase --include="$packages" \
        --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
        "$SUITE" "$root.tmp" "$MIRROR" >&2
    # Renamed only when complete, so an interrupted build is never reused.
    rm -rf "$root"
    mv "$root.tmp" "$root"
fi
echo "$root"
