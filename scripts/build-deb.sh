#!/usr/bin/env bash
# Builds conduit_<version>_<arch>.deb with dpkg-deb from an already built
# release binary (make deb builds it first). No debhelper: the package is
# small enough to lay out by hand, and this runs on a minimal build host.
# Usage: build-deb.sh BINARY OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
BINARY=${1:?usage: build-deb.sh BINARY OUTDIR}
OUTDIR=${2:-.}
VERSION=$("$BINARY" version)
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d /var/tmp/conduit-deb.XXXXXX)
chmod 0755 "$STAGE"  # mktemp makes it 0700; it becomes the package's ./
trap 'rm -rf "$STAGE"' EXIT

# The same layout `make install` makes, with Debian's paths.
make --no-print-directory install-files DESTDIR="$STAGE" PREFIX=/usr UNITDIR=/lib/systemd/system \
    SYSUSERSDIR=/usr/lib/sysusers.d BINARY="$BINARY" >/dev/null
# Debug info is two thirds of the file; the symbol table stays, so Swift's
# crash backtraces in the journal still name functions.
strip --strip-debug "$STAGE/usr/bin/conduit"
install -d "$STAGE/usr/share/doc/conduit"
install -m 0644 README.md "$STAGE/usr/share/doc/conduit/README.md"

# Runtime dependencies from the ELF NEEDED entries: dpkg-shlibdeps maps each
# library to its package with the lowest version whose symbols we use.
# It wants a debian/control to exist; an empty one is enough.
work=$(mktemp -d); mkdir "$work/debian"; touch "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$STAGE/usr/bin/conduit" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$work"
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d -m 0755 "$STAGE/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$STAGE/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$STAGE/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" \
    packaging/debian/control.in > "$STAGE/DEBIAN/control"

deb="$OUTDIR/conduit_${VERSION}_${ARCH}.deb"
# --root-owner-group: every file root:root whoever builds; xz keeps it small.
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$deb" >/dev/null
echo "$deb"
echo "Depends: $depends" >&2
