#!/usr/bin/env bash
# bench_step.sh -- the cost of one signed workflow step through the command
# line (`chancery doc act`, a whole process: open the site, replay the
# chain, check the step, sign through gpg-agent, write the objects and move
# the ref by compare-and-swap, fsync as libgit2 does it) against one signed
# commit through stock `git commit -S` with the same key type (ed25519,
# core.fsync committed), in the same run.
#
# Both keys are protected by a passphrase at gpg-agent's own calibrated S2K
# (no lowered count) and the agents cache nothing, so both pay the key's
# unprotection at every signature: that is the price of key protection at
# rest, and what a person pays once per click. (The command-line step-speed
# goal of a quarter of git's time is retired: it was met with a lowered S2K
# count and a resident engine holding unlocked keys; see docs/ARCHITECTURE.md.)
# The release build is measured ($REL, default build/): test builds may
# lower the S2K count (CHANCERY_TEST_S2K_COUNT), which is unset here.
. "$(dirname "$0")/../integration/lib.sh"
unset CHANCERY_TEST_S2K_COUNT
REL=${REL:-${BUILD%-test}}
CH="$REL/chancery"
N=${BENCH_STEPS:-24}

S="$T/site"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
for p in nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy vu.van.f:minister do.thi.g:clerk; do
	# the official sets their own passphrase with the one-time code
	"$CH" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --as admin.a \
		--passphrase-file "$(pass admin.a)" | sed -n 's/^enrolment code for [^:]*: //p' >"$T/code"
	(umask 077; echo "login-${p%%:*}-2026" >"$T/login")
	"$CH" enrol "$S" "${p%%:*}" --code-file "$T/code" --password-file "$T/login" \
		--passphrase-file "$(pass "${p%%:*}")" >/dev/null
done

# min, median, max (ns in, one a line) -> "min median max" in ms
stats() { sort -n | awk '{a[NR]=$1} END {
	m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
	printf "%.2f %.2f %.2f", a[1]/1e6, m/1e6, a[NR]/1e6 }'; }
# Wall clock in ns without starting a process (bash 5's EPOCHREALTIME):
# `date` would add its own start-up to every figure.

# Stock git: a key of the same type with a passphrase, gpg-agent's default
# S2K, its cache off (so each signature unprotects the key, as Chancery's
# server-held keys do), automatic maintenance off (it would add ~5 ms).
G="$T/git-gnupg"; mkdir -m 700 "$G"
printf 'allow-loopback-pinentry\ndefault-cache-ttl 0\nmax-cache-ttl 0\nignore-cache-for-signing\n' >"$G/gpg-agent.conf"
printf 'pinentry-mode loopback\npassphrase-file %s\n' "$(pass git.bench)" >"$G/gpg.conf"
GNUPGHOME="$G" gpg --batch --quiet --quick-gen-key "Bench <bench@example.invalid>" ed25519 sign never 2>/dev/null
fpr=$(GNUPGHOME="$G" gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')
git init -q "$T/g"
git -C "$T/g" config user.name Bench; git -C "$T/g" config user.email bench@example.invalid
git -C "$T/g" config maintenance.auto false; git -C "$T/g" config gc.auto 0
git -C "$T/g" config core.fsync committed  # durable like Chancery's steps
GNUPGHOME="$G" git -C "$T/g" commit -q --allow-empty -S"$fpr" -m warmup

# Documents taken through the công văn workflow: six signed steps each
# (submit, approve, two quorum approvals, sign, publish), as officials would.
steps="nguyen.van.a:submit tran.thi.b:approve le.van.c:approve pham.thi.d:approve vu.van.f:sign do.thi.g:publish"
docs=$(( (N + 5) / 6 ))
i=0
new_doc() {
	"$CH" doc create "$S" --as nguyen.van.a --title "Bench $1" --type cong-van \
		--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)"
}
run_ch() { # doc who action: ns appended to $T/ch
	local pf t0 t1
	pf=$(pass "$2")
	t0=${EPOCHREALTIME/./}000
	"$CH" doc act "$S" "$1" --as "$2" --action "$3" \
		--passphrase-file "$pf" >/dev/null || { echo "chancery step failed"; exit 1; }
	t1=${EPOCHREALTIME/./}000
	echo $((t1 - t0)) >>"$T/ch"
}
run_git() {
	local t0 t1
	i=$((i + 1))
	t0=${EPOCHREALTIME/./}000
	GNUPGHOME="$G" git -C "$T/g" commit -q --allow-empty -S"$fpr" -m "step $i" || { echo "git failed"; exit 1; }
	t1=${EPOCHREALTIME/./}000
	echo $((t1 - t0)) >>"$T/git"
}
# alternate step by step, so the machine's load falls on both alike
for d in $(seq "$docs"); do
	doc=$(new_doc "$d") || { echo "create failed"; exit 1; }
	for st in $steps; do
		run_ch "$doc" "${st%%:*}" "${st#*:}"
		run_git
	done
done
read -r c_min c_med c_max < <(stats <"$T/ch")
read -r g_min g_med g_max < <(stats <"$T/git")
n=$(wc -l <"$T/ch")
echo "signed step, $n each, alternating; ms min / median / max (both at gpg-agent's calibrated S2K):"
printf '  chancery doc act:     %8s %8s %8s\n' "$c_min" "$c_med" "$c_max"
printf '  stock git commit -S:  %8s %8s %8s\n' "$g_min" "$g_med" "$g_max"
awk -v c="$c_med" -v g="$g_med" 'BEGIN { printf "ratio chancery/git (medians): %.3f\n", c/g }'
"$CH" verify "$S" >/dev/null && echo "chancery verify: clean after $((docs * 7)) steps" || { echo "verify failed"; exit 1; }
