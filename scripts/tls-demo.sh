#!/usr/bin/env bash
# tls-demo.sh DIR [NAME...] -- a local certificate authority and a server
# certificate for 127.0.0.1/localhost, made with GnuTLS's certtool:
#   DIR/ca.pem  DIR/ca.key  DIR/server.pem  DIR/server.key
# Further NAMEs make client certificates DIR/NAME.pem, DIR/NAME.key (sync);
# NAME@IP1,IP2 makes a server certificate DIR/NAME.pem for those addresses
# (and 127.0.0.1, localhost): a site's server on its own address.
set -eu
d=$1; shift
mkdir -p "$d"
chmod 755 "$d"
cd "$d"
if [ ! -f ca.pem ]; then
	certtool --generate-privkey --key-type ecdsa --sec-param high --outfile ca.key 2>/dev/null
	printf 'cn = "Chancery local CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' >ca.tmpl
	certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem 2>/dev/null
fi
if [ ! -f server.pem ]; then
	certtool --generate-privkey --key-type ecdsa --sec-param high --outfile server.key 2>/dev/null
	printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 825\n' >server.tmpl
	certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \
		--load-ca-privkey ca.key --template server.tmpl --outfile server.pem 2>/dev/null
fi
for n in "$@"; do
	case $n in
	*@*)
		ips=${n#*@} n=${n%%@*}
		[ -f "$n.pem" ] && continue
		certtool --generate-privkey --key-type ecdsa --sec-param high --outfile "$n.key" 2>/dev/null
		{
			printf 'cn = "%s"\ndns_name = "localhost"\nip_address = "127.0.0.1"\n' "$n"
			for ip in ${ips//,/ }; do printf 'ip_address = "%s"\n' "$ip"; done
			printf 'tls_www_server\nsigning_key\nexpiration_days = 825\n'
		} >"$n.tmpl"
		certtool --generate-certificate --load-privkey "$n.key" --load-ca-certificate ca.pem \
			--load-ca-privkey ca.key --template "$n.tmpl" --outfile "$n.pem" 2>/dev/null
		continue
		;;
	esac
	[ -f "$n.pem" ] && continue
	certtool --generate-privkey --key-type ecdsa --sec-param high --outfile "$n.key" 2>/dev/null
	printf 'cn = "%s"\ntls_www_client\nsigning_key\nexpiration_days = 825\n' "$n" >"$n.tmpl"
	certtool --generate-certificate --load-privkey "$n.key" --load-ca-certificate ca.pem \
		--load-ca-privkey ca.key --template "$n.tmpl" --outfile "$n.pem" 2>/dev/null
done
chmod 600 ./*.key
