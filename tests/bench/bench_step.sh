#!/usr/bin/env bash
# bench_step.sh -- the cost of one signed workflow step through the command
# line (`chancery doc act`, a whole process) against one signed commit
# through stock `git commit -S` with the same key type (ed25519, fsync on),
# in the same run. Two paths of `chancery doc act` are measured:
#   engine      the default: the small command line hands the step to the
#               site's resident engine (cli/step_engine.c; started on demand by
#               the first step), which keeps the repository, the parsed
#               policy and the gpg-agent connection open, and signs from its
#               unlocked-key cache (crypto/keycache.h: each person's first
#               step unlocks the key through gpg-agent, the later ones check
#               the passphrase against a verifier and sign in process)
#   in process  CHANCERY_ENGINE=off: one process does everything (open the
#               site, replay the chain, check, sign, write, move the ref);
#               gpg-agent signs, the passphrase unprotecting the key each time
# Either way: the chain is replayed and the step checked, the passphrase is
# needed, the commit is written and the ref moved by compare-and-swap, with
# fsync (Chancery: one fdatasync of the step journal, workflows/journal.h).
#
# Two orders, in the same run, so that the load of a shared machine falls on
# all three alike:
#   in blocks   one document's six steps (and six git commits) a block, the
#               three blocks of a round in rotating order: each tool runs
#               as an official's successive steps would, after its own
#               writes. This is the figure the goal is read against.
#   step by step  engine, in process, git, engine, ...: each run starts just
#               after another tool's writes and fsyncs (journal commits,
#               inodes freed by replaced refs, which ext4 skips for a while
#               when it allocates the next file in their group): this order
#               measures that cross-talk too, and is printed as well so that
#               the difference is seen.
# Goal (issue 3): chancery <= 0.25 x stock git.
. "$(dirname "$0")/../integration/lib.sh"
N=${BENCH_STEPS:-60}

S="$T/site"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
for p in nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy vu.van.f:minister do.thi.g:clerk; do
	"$CH" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --as admin.a \
		--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "${p%%:*}")" >/dev/null
done

# min, median, max (ns in, one a line) -> "min median max" in ms
stats() { sort -n | awk '{a[NR]=$1} END {
	m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
	printf "%.2f %.2f %.2f", a[1]/1e6, m/1e6, a[NR]/1e6 }'; }
# Wall clock in ns without starting a process (bash 5's EPOCHREALTIME):
# `date` would add its own start-up to every figure.

# Stock git: a key of the same type without a passphrase (the cheapest case
# for git), automatic maintenance off (it would add ~5 ms a commit).
G="$T/git-gnupg"; mkdir -m 700 "$G"
GNUPGHOME="$G" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Bench <bench@example.invalid>" ed25519 sign never 2>/dev/null
fpr=$(GNUPGHOME="$G" gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')
git init -q "$T/g"
git -C "$T/g" config user.name Bench; git -C "$T/g" config user.email bench@example.invalid
git -C "$T/g" config maintenance.auto false; git -C "$T/g" config gc.auto 0
git -C "$T/g" config core.fsync committed  # durable like Chancery's steps
GNUPGHOME="$G" git -C "$T/g" commit -q --allow-empty -S"$fpr" -m warmup

# Documents taken through the công văn workflow: six signed steps each
# (submit, approve, two quorum approvals, sign, publish), as officials would;
# one set through the engine, one in process.
steps="nguyen.van.a:submit tran.thi.b:approve le.van.c:approve pham.thi.d:approve vu.van.f:sign do.thi.g:publish"
docs=$(( (N + 5) / 6 ))
i=0
new_doc() {
	"$CH" doc create "$S" --as nguyen.van.a --title "Bench $1" --type cong-van \
		--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)"
}
# one timed run of each kind: ns appended to $T/$MODE.{eng,inp,git}
run_eng() { # doc who action
	local pf t0 t1
	pf=$(pass "$2") # outside the timed window, as git's key needs nothing
	t0=${EPOCHREALTIME/./}000
	CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$1" --as "$2" --action "$3" \
		--passphrase-file "$pf" >/dev/null 2>>"$T/$MODE.trace" || { echo "chancery step failed"; exit 1; }
	t1=${EPOCHREALTIME/./}000
	echo $((t1 - t0)) >>"$T/$MODE.eng"
}
run_inp() {
	local pf t0 t1
	pf=$(pass "$2")
	t0=${EPOCHREALTIME/./}000
	CHANCERY_ENGINE=off "$CH" doc act "$S" "$1" --as "$2" --action "$3" \
		--passphrase-file "$pf" >/dev/null || { echo "chancery step (in process) failed"; exit 1; }
	t1=${EPOCHREALTIME/./}000
	echo $((t1 - t0)) >>"$T/$MODE.inp"
}
run_git() {
	local t0 t1
	i=$((i + 1))
	t0=${EPOCHREALTIME/./}000
	GNUPGHOME="$G" git -C "$T/g" commit -q --allow-empty -S"$fpr" -m "step $i" || { echo "git failed"; exit 1; }
	t1=${EPOCHREALTIME/./}000
	echo $((t1 - t0)) >>"$T/$MODE.git"
}
block() { # kind doc
	local st
	for st in $steps; do "run_$1" "$2" "${st%%:*}" "${st#*:}"; done
}

MODE=blocks
for d in $(seq "$docs"); do
	de=$(new_doc "$d") && dp=$(new_doc "$d (in process)") || { echo "create failed"; exit 1; }
	case $((d % 3)) in
	0) block eng "$de"; block inp "$dp"; block git - ;;
	1) block inp "$dp"; block git -; block eng "$de" ;;
	2) block git -; block eng "$de"; block inp "$dp" ;;
	esac
done
MODE=steps
for d in $(seq "$docs"); do
	de=$(new_doc "$d s") && dp=$(new_doc "$d s (in process)") || { echo "create failed"; exit 1; }
	for st in $steps; do
		run_eng "$de" "${st%%:*}" "${st#*:}"
		run_inp "$dp" "${st%%:*}" "${st#*:}"
		run_git - "${st%%:*}" "${st#*:}"
	done
done
"$CH" engine stop "$S" >/dev/null

report() { # mode title
	local n by_engine e_min e_med e_max p_min p_med p_max g_min g_med g_max r_min r_med r_max
	n=$(wc -l <"$T/$1.eng")
	by_engine=$(grep -c 'done by the engine' "$T/$1.trace" || true)
	read -r e_min e_med e_max < <(stats <"$T/$1.eng")
	read -r p_min p_med p_max < <(stats <"$T/$1.inp")
	read -r g_min g_med g_max < <(stats <"$T/$1.git")
	read -r r_min r_med r_max < <(sed -n 's/.*(\([0-9.]*\) ms round trip).*/\1/p' "$T/$1.trace" |
		awk '{printf "%d\n", $1 * 1e6}' | stats)
	echo "signed step, $n each, $2; ms min / median / max:"
	printf '  chancery doc act, engine:     %7s %7s %7s   (%d of %d steps done by the engine)\n' \
		"$e_min" "$e_med" "$e_max" "$by_engine" "$n"
	printf '    of which in the engine:     %7s %7s %7s   (request sent to answer received)\n' \
		"$r_min" "$r_med" "$r_max"
	printf '  chancery doc act, in process: %7s %7s %7s   (CHANCERY_ENGINE=off)\n' "$p_min" "$p_med" "$p_max"
	printf '  stock git commit -S:          %7s %7s %7s\n' "$g_min" "$g_med" "$g_max"
	awk -v e="$e_med" -v p="$p_med" -v g="$g_med" -v all="$([ "$by_engine" -eq "$n" ] && echo 1 || echo 0)" \
		-v goal="$3" 'BEGIN {
		printf "ratio chancery/git (medians): %.3f through the %s, %.3f in process%s\n",
			e/g, all ? "engine" : "engine (some steps in process!)", p/g, goal }'
}
report blocks "in blocks of six (rotating order)" " (goal <= 0.25)"
report steps "interleaved step by step (with the cross-talk of each other's fsyncs)" ""
"$CH" verify "$S" >/dev/null && echo "chancery verify: clean after $((4 * docs * 6)) steps" || { echo "verify failed"; exit 1; }
