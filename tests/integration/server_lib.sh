# server_lib.sh -- start a chanceryd on a fresh site for a test (sourced
# after lib.sh). Defines S (site), URL, CA, srv_pid, curl_s.
make_site() { # people as id:roles ...
	S="$T/site"
	chmod 755 "$T"
	local p id roles
	for id in admin.a "${@%%:*}"; do
		(umask 077; printf 'login-%s-2026\n' "$id" >"$T/pass/$id.login")
	done
	"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" \
		--passphrase-file "$(pass admin.a)" --password-file "$T/pass/admin.a.login" \
		>/dev/null || return 1
	# Each official: the admin adds them and gets a one-time enrolment code;
	# the official sets their own login password and signing passphrase.
	for p in "$@"; do
		id=${p%%:*} roles=${p#*:}
		"$CH" person add "$S" "$id" --name "Cán bộ $id" --roles "$roles" --unit hq/legal \
			--as admin.a --passphrase-file "$(pass admin.a)" >"$T/add.out" || return 1
		(umask 077; sed -n 's/^enrolment code for [^:]*: //p' "$T/add.out" >"$T/pass/$id.code")
		"$CH" enrol "$S" "$id" --code-file "$T/pass/$id.code" \
			--password-file "$T/pass/$id.login" --passphrase-file "$(pass "$id")" \
			>/dev/null || return 1
	done
}

# start_server: chanceryd on a free port (free_port); one that finds its
# port taken after all (another test's server took it between the look and
# the bind) is started again on another port, up to five times.
start_server() {
	"$top/scripts/tls-demo.sh" "$T/tls" >/dev/null || return 1
	CA="$T/tls/ca.pem"
	local i try n0 tries=300
	[ -n "${CH_VALGRIND:-}" ] && tries=1200 # memcheck takes seconds to start a process
	for try in 1 2 3 4 5; do
		free_port PORT
		URL="https://127.0.0.1:$PORT"
		n0=$(stat -c %s "$T/server.log" 2>/dev/null || echo 0)
		"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
			--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
		srv_pid=$!
		for i in $(seq $tries); do
			curl -s --max-time 5 --cacert "$CA" -o /dev/null "$URL/login" && return 0
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$srv_pid" 2>/dev/null && return 1 # up, but not answering
		wait "$srv_pid" 2>/dev/null
		srv_pid=
		tail -c +$((n0 + 1)) "$T/server.log" | grep -q 'cannot listen on' || break
		echo "# port $PORT was taken after all: another"
	done
	cat "$T/server.log"
	return 1
}

# stop_server: SIGTERM, then SIGKILL after 10 s (60 s under valgrind). Under
# valgrind the exit code says whether memcheck found errors or definite
# leaks in the network process (99), and each process's log is reported.
stop_server() {
	local i rc=0 tries=100
	[ -n "${CH_VALGRIND:-}" ] && tries=600
	if [ -n "${srv_pid:-}" ] && kill "$srv_pid" 2>/dev/null; then
		for i in $(seq $tries); do
			[ "$(ps -o stat= -p "$srv_pid" 2>/dev/null | cut -c1)" = Z ] && break
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$srv_pid" 2>/dev/null && [ "$(ps -o stat= -p "$srv_pid" | cut -c1)" != Z ] &&
			{ echo "# chanceryd did not stop on SIGTERM: SIGKILL"; kill -KILL "$srv_pid"; }
		wait "$srv_pid" 2>/dev/null; rc=$?
		if [ -n "${CH_VALGRIND:-}" ] && [ "$rc" -ne 0 ]; then
			not_ok "chanceryd under valgrind exited $rc after SIGTERM (99: memcheck errors)"
		fi
		vg_report # the signer ended first: the network process waits for it
	fi
	srv_pid=
	return 0
}
trap 'stop_server; cleanup; [ "$FAILED" -eq 0 ] || exit 1' EXIT

# curl_s ARGS...: curl against the server, trusting the test CA.
curl_s() { curl -s --cacert "$CA" "$@"; }

# login ID: a cookie jar in $T/jar.ID with a session; prints nothing.
login() {
	curl_s -c "$T/jar.$1" -o /dev/null -w '%{http_code}' "$URL/login" \
		--data-urlencode "id=$1" --data-urlencode "password=$(cat "$T/pass/$1.login")"
}

# csrf ID: the CSRF token of ID's session, read from a page's form.
csrf() {
	curl_s -b "$T/jar.$1" "$URL/docs/new" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1
}

# hq_two_missions: TLS certificates for hq, mission-a and mission-b ($TLS,
# $CA; fpr and tlsopt), and HQ's site ($HQ = $S, with nguyen.van.a drafter
# and an.ninh security-officer) naming the three sites with their
# certificates' fingerprints; $ADM acts as its admin, $INTRO is its policy
# root. Returns 1 (said) when a part cannot be made.
hq_two_missions() {
	local s
	TLS="$T/tls"
	CA="$TLS/ca.pem"
	"$top/scripts/tls-demo.sh" "$TLS" hq mission-a mission-b >/dev/null || { not_ok "certificates"; return 1; }
	fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
	tlsopt() { echo --cert "$TLS/$1.pem" --key "$TLS/$1.key" --ca "$CA"; }
	make_site nguyen.van.a:drafter an.ninh:security-officer || { not_ok "HQ site"; return 1; }
	HQ=$S
	ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
	for s in hq mission-a mission-b; do
		"$CH" site set "$HQ" "$s" --units "$s" --tls-fingerprint "$(fpr "$TLS/$s.pem")" \
			"${ADM[@]}" >/dev/null || not_ok "site set $s"
	done
	INTRO=$(git -C "$HQ/repo.git" rev-list --max-parents=0 refs/heads/policy)
}
