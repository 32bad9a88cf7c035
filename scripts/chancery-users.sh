#!/bin/sh
# chancery-users.sh SITE-ID... -- create the system users a site's chanceryd
# runs as: chancery-SITE-ID (the network process) and chancery-SITE-ID-keys
# (the signer, owner of the site's GnuPG home and site.json). Each a user
# and group of its own, shared with no other site or service; no home, no
# shell. Idempotent. Run as root, by `make install`'s operator or a test.
set -eu
[ $# -ge 1 ] || { echo "usage: chancery-users.sh SITE-ID..." >&2; exit 2; }
for id in "$@"; do
	case "$id" in *[!a-z0-9-]*|'') echo "chancery-users.sh: bad site id '$id'" >&2; exit 2 ;; esac
	for u in "chancery-$id" "chancery-$id-keys"; do
		what="network process"
		[ "$u" = "chancery-$id" ] || what="signer, keeper of its keys"
		if ! getent passwd "$u" >/dev/null; then
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --comment "Chancery site $id ($what)" "$u"
		fi
	done
done
