#!/usr/bin/env bash
# demo.sh -- `make run`: a demo site with sample officials, each with their
# own key (a security officer, a declassifier and an auditor among them),
# the corpus documents at various workflow states, and one mission
# (mission-tokyo) with its TLS client certificate. Prints the logins
# (signing passphrases), the trust anchor and a short tour.
#   DEMO_DIR (default /var/tmp/chancery-demo): an existing demo there is
#   served as it is; DEMO_RESET=1 deletes it and makes a new one.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
CH="$BUILD/chancery"
CORPUS=${CH_CORPUS:-$top/../shared/corpus}
D=${DEMO_DIR:-/var/tmp/chancery-demo}
S="$D/hq"

pass() { local f="$D/pass/$1"; [ -f "$f" ] || (umask 077; echo "demo-$1-2026" >"$f"); echo "$f"; }
login() { local f="$D/pass/$1.login"; [ -f "$f" ] || (umask 077; echo "login-$1-2026" >"$f"); echo "$f"; }
# id|name|roles|unit|scope: a person's roles reach documents of their own
# unit and below, unless a scope replaces it (the leaders and the office
# act on every unit of hq: scope hq; DESIGN.md "Scoped roles")
people=(
	"nguyen.van.a|Nguyễn Văn A|drafter|hq/legal|"
	"tran.thi.b|Trần Thị B|head|hq/legal|"
	"le.van.c|Lê Văn C|deputy|hq/leaders|hq"
	"pham.thi.d|Phạm Thị D|deputy|hq/leaders|hq"
	"hoang.van.e|Hoàng Văn E|deputy|hq/leaders|hq"
	"vu.van.f|Vũ Văn F|minister|hq/leaders|hq"
	"do.thi.g|Đỗ Thị G|clerk|hq/office|hq"
	"dang.van.k|Đặng Văn K|legal|hq/legal|"
	"kiem.toan|Kiểm Toán Viên|auditor|hq/audit|"
	"an.ninh|An Ninh Viên|security-officer|hq/security|"
	"giai.mat|Giải Mật Viên|declassifier|hq/legal|"
)

# An existing demo is never deleted unasked.
if [ -e "$D" ] && [ "${DEMO_RESET:-}" != 1 ]; then
	if [ ! -f "$S/site.json" ] || [ ! -f "$D/tls/server.pem" ]; then
		echo "demo: $D exists but holds no complete demo site: move it away, set DEMO_DIR," \
			"or DEMO_RESET=1 make run to delete it and make a new demo there" >&2
		exit 1
	fi
	echo "demo: $D holds a demo site already: serving it as it is" \
		"(DEMO_RESET=1 make run deletes it and makes a new one)"
	reuse=1
else
	reuse=
	if [ -e "$D" ]; then
		echo "demo: DEMO_RESET=1: deleting $D and making a new demo"
		if [ -d "$S/gnupg" ]; then gpgconf --homedir "$S/gnupg" --kill gpg-agent 2>/dev/null || true; fi
		rm -rf "$D"
	fi
fi

make_demo() {
mkdir -p "$D/pass"
chmod 755 "$D"
chmod 700 "$D/pass"
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị Viên" --unit hq/admin \
	--passphrase-file "$(pass admin.a)" --password-file "$(login admin.a)"
# The admin adds each official and hands them a one-time enrolment code;
# the official sets their own login password and signing passphrase.
for p in "${people[@]}"; do
	IFS='|' read -r id name roles unit scope <<<"$p"
	"$CH" person add "$S" "$id" --name "$name" --roles "$roles" --unit "$unit" ${scope:+--scope "$scope"} \
		--custody server --as admin.a --passphrase-file "$(pass admin.a)" |
		sed -n 's/^enrolment code for [^:]*: //p' >"$D/pass/$id.code"
	"$CH" enrol "$S" "$id" --code-file "$D/pass/$id.code" --password-file "$(login "$id")" \
		--passphrase-file "$(pass "$id")" >/dev/null
	rm -f "$D/pass/$id.code"
done
# One mission, with the TLS client certificate it syncs with (its SHA-256,
# of the DER form, in policy/sites.json).
"$top/scripts/tls-demo.sh" "$D/tls" mission-tokyo >/dev/null
tokyo_fpr=$(sed '/-----/d' "$D/tls/mission-tokyo.pem" | base64 -d | sha256sum | cut -c1-64)
"$CH" site set "$S" mission-tokyo --units mission-tokyo --tls-fingerprint "$tokyo_fpr" \
	--as admin.a --passphrase-file "$(pass admin.a)" >/dev/null

act() { "$CH" doc act "$S" "$1" --as "$2" --action "$3" --passphrase-file "$(pass "$2")" "${@:4}" >/dev/null; }
create() {
	"$CH" doc create "$S" --as nguyen.van.a --title "$2" --type "$3" --file "$CORPUS/$1" \
		--passphrase-file "$(pass nguyen.van.a)" "${@:4}"
}
d1=$(create nghi-quyet-292-NQ-CP.txt "Nghị quyết 292/NQ-CP về xây dựng ngành ngoại giao" cong-van --urgency urgent --to mission-tokyo)
act "$d1" nguyen.van.a submit
act "$d1" tran.thi.b approve --comment "Đồng ý, trình lãnh đạo Bộ."
act "$d1" le.van.c approve
act "$d1" pham.thi.d approve
act "$d1" vu.van.f sign
act "$d1" do.thi.g publish
d2=$(create chuong-trinh-hanh-dong-ket-luan-57.txt "Chương trình hành động thực hiện Kết luận 57-KL/TW" ke-hoach)
act "$d2" nguyen.van.a submit
act "$d2" tran.thi.b approve
act "$d2" le.van.c approve
d3=$(create chinh-phu-tin-292.txt "Tin Chính phủ về Nghị quyết 292" bao-cao --urgency very-urgent)
act "$d3" nguyen.van.a submit
d4=$(create bao-gia-lai-tin-292.txt "Báo Gia Lai: tin về Nghị quyết 292" cong-van)
act "$d4" nguyen.van.a submit
act "$d4" tran.thi.b return --comment "Đề nghị bổ sung nguồn tin."
d5=$(create resolution-292-summary-en.txt "Resolution 292 summary (English)" to-trinh)
d6=$(create chinh-phu-tin-292.txt "Công văn gửi Đại sứ quán tại Tokyo về Nghị quyết 292" cong-van --to mission-tokyo)
act "$d6" nguyen.van.a submit
act "$d6" tran.thi.b approve                       # awaits the deputies: le.van.c, ...

# The trust anchor, handed to auditors and missions out of band.
"$CH" verify "$S" | sed -n 's/^introduction \([0-9a-f]*\), signed by \([0-9A-F]*\) .*/--introduction \1 --introducer \2/p' >"$D/anchor"
}
[ -n "$reuse" ] || make_demo

PORT=${PORT:-8443}
"$top/scripts/tls-demo.sh" "$D/tls" >/dev/null

cat <<EOT

Chancery demo site: $S

  URL:   https://127.0.0.1:$PORT/      (certificate authority: $D/tls/ca.pem)

People -- login password, then the signing passphrase asked at every signature:
$(for p in "admin.a|Quản Trị Viên|policy-admin|hq/admin|" "${people[@]}"; do IFS='|' read -r id name roles unit scope <<<"$p"; printf '  %-12s %-13s %-11s login: %-24s signing passphrase: %s\n' "$id" "$roles" "${scope:-$unit}" "$(cat "$(login "$id")")" "$(cat "$(pass "$id")")"; done)

Signing passphrases are in $D/pass/ID (for --passphrase-file).

Documents:
$("$CH" doc list "$S" | sed 's/^/  /')

Trust anchor (for auditors and missions): $(cat "$D/anchor")
  chancery verify $S/repo.git $(cat "$D/anchor")

Mission mission-tokyo: client certificate $D/tls/mission-tokyo.pem, key
$D/tls/mission-tokyo.key, CA $D/tls/ca.pem (README "As a mission": join, key new, sync).

The command line works on the same site (README "A short tour"), as root beside
the server: what it writes is handed back to the server's user. E.g.
  export PATH=$BUILD:\$PATH
  chancery doc list $S --awaiting le.van.c
  chancery spill $S <doc> --as an.ninh --passphrase-file $D/pass/an.ninh
EOT
[ -n "${DEMO_NO_SERVER:-}" ] && exit 0
# started as root, the network process runs as the site's own user
[ "$(id -u)" = 0 ] && "$top/scripts/chancery-users.sh" hq
echo "Starting chanceryd (Ctrl-C stops it)..."
exec "$BUILD/chanceryd" "$S" --cert "$D/tls/server.pem" --key "$D/tls/server.key" --port "$PORT" \
	--client-ca "$D/tls/ca.pem"
