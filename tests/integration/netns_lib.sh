# netns_lib.sh -- sites on a network of their own, for the multi-site tests
# (sourced after lib.sh and server_lib.sh, with SITES=(...) set): each site
# a chanceryd in its own network namespace (veth pairs to a bridge in a
# namespace of its own, 10.77.0.0/24; made and torn down here). Without
# network namespaces (not root, no iproute2), each site gets its own
# loopback address and port instead (said on the output).
#   inns SITE CMD...    CMD in that site's namespace
#   url SITE            https://ADDR:PORT of its chanceryd
#   start_site SITE     chanceryd for DIR[SITE] with TLS/srv-SITE.pem; PID[SITE]
#   stop_site SITE [SIG]
# Server certificates: scripts/tls-demo.sh TLS ... "srv-SITE@10.77.0.N,127.77.0.N".
declare -A ADDR PORT NS PID DIR
TAG=$(printf '%04x' $((RANDOM % 65536)))
NETNS=0
NETNS_LIST=()
TLS="$T/tls"
CA="$TLS/ca.pem"

teardown() {
	local s ns
	for s in "${SITES[@]}"; do
		[ -n "${PID[$s]:-}" ] && kill -KILL "${PID[$s]}" 2>/dev/null && wait "${PID[$s]}" 2>/dev/null
	done
	for ns in "${NETNS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	cleanup
}
trap 'teardown; [ "$FAILED" -eq 0 ] || exit 1' EXIT

setup_netns() {
	local net="chn$TAG" i=1 s ns
	[ -z "${CH_NO_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null || return 1
	ip netns add "$net" 2>/dev/null || return 1
	NETNS_LIST+=("$net")
	ip -n "$net" link add br0 type bridge && ip -n "$net" link set br0 up || return 1
	for s in "${SITES[@]}"; do
		ns="ch$TAG-$i"
		ip netns add "$ns" || return 1
		NETNS_LIST+=("$ns")
		ip -n "$ns" link set lo up &&
			ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$net" &&
			ip -n "$ns" addr add "10.77.0.$i/24" dev eth0 &&
			ip -n "$ns" link set eth0 up &&
			ip -n "$net" link set "p$i" master br0 &&
			ip -n "$net" link set "p$i" up || return 1
		NS[$s]=$ns ADDR[$s]=10.77.0.$i PORT[$s]=8443
		i=$((i + 1))
	done
	NS[net]=$net
}
if setup_netns; then
	NETNS=1
	echo "# network namespaces ch$TAG-1..${#SITES[@]} on bridge br0 in chn$TAG, 10.77.0.1-${#SITES[@]}"
else
	for ns in "${NETNS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	NETNS_LIST=()
	i=1
	for s in "${SITES[@]}"; do
		free_port _port
		NS[$s]='' ADDR[$s]=127.77.0.$i PORT[$s]=$_port
		i=$((i + 1))
	done
	echo "# network namespaces unavailable: falling back to loopback addresses 127.77.0.1-${#SITES[@]}, separate ports"
fi
inns() {
	local s=$1; shift
	if [ "$NETNS" = 1 ]; then ip netns exec "${NS[$s]}" "$@"; else "$@"; fi
}
url() { echo "https://${ADDR[$1]}:${PORT[$1]}"; }
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; } # a certificate's, for sites.json
tlsopt() { echo --cert "$TLS/$1.pem" --key "$TLS/$1.key" --ca "$CA"; }  # SITE's client certificate
# the server certificates' names for tls-demo.sh, one per site
srv_certs() { local i=1 s; for s in "${SITES[@]}"; do echo "srv-$s@10.77.0.$i,127.77.0.$i"; i=$((i + 1)); done; }

start_site() { # SITE: chanceryd for DIR[SITE] in its namespace
	local s=$1 i pre=()
	# not through a function: $! must be chanceryd itself (ip netns exec execs it)
	[ "$NETNS" = 1 ] && pre=(ip netns exec "${NS[$s]}")
	"${pre[@]}" "$CHD" "${DIR[$s]}" --cert "$TLS/srv-$s.pem" --key "$TLS/srv-$s.key" --client-ca "$CA" \
		--listen "${ADDR[$s]}" --port "${PORT[$s]}" >>"$T/$s.out" 2>>"$T/$s.log" &
	PID[$s]=$!
	for i in $(seq 300); do
		inns "$s" curl -s --cacert "$CA" -o /dev/null "$(url "$s")/login" && return 0
		kill -0 "${PID[$s]}" 2>/dev/null || { tail -5 "$T/$s.log"; PID[$s]=; return 1; }
		sleep 0.1
	done
	return 1
}
stop_site() { # SITE [KILL]
	local s=$1
	[ -n "${PID[$s]:-}" ] || return 0
	kill "-${2:-TERM}" "${PID[$s]}" 2>/dev/null
	wait "${PID[$s]}" 2>/dev/null
	PID[$s]=
	sleep 0.2
}
