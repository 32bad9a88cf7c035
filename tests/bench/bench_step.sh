#!/usr/bin/env bash
# bench_step.sh -- the cost of one signed workflow step through the command
# line (`chancery doc act`, a whole process: open the site, replay the
# chain, check the step, ask gpg-agent to sign (the passphrase unprotects
# the key every time), write the commit, move the ref by compare-and-swap
# with fsync) against one signed commit through
# stock `git commit -S` with the same key type (ed25519), in the same run.
# Goal (issue 3): chancery <= 0.25 x stock git.
. "$(dirname "$0")/../integration/lib.sh"
N=${BENCH_STEPS:-60}

S="$T/site"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
for p in nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy vu.van.f:minister do.thi.g:clerk; do
	"$CH" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --as admin.a \
		--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "${p%%:*}")" >/dev/null
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s%N; }

# Documents taken through the công văn workflow: six signed steps each
# (submit, approve, two quorum approvals, sign, publish), as officials would.
steps="nguyen.van.a:submit tran.thi.b:approve le.van.c:approve pham.thi.d:approve vu.van.f:sign do.thi.g:publish"
: >"$T/ch.ns"
docs=$(( (N + 5) / 6 ))
for d in $(seq "$docs"); do
	doc=$("$CH" doc create "$S" --as nguyen.van.a --title "Bench $d" --type cong-van \
		--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
	for st in $steps; do
		who=${st%%:*} action=${st#*:}
		pf=$(pass "$who") # outside the timed window, as git's key needs nothing
		t0=$(now)
		"$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
			--passphrase-file "$pf" >/dev/null || { echo "chancery step failed"; exit 1; }
		t1=$(now)
		echo $((t1 - t0)) >>"$T/ch.ns"
	done
done
N=$(wc -l <"$T/ch.ns")

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
: >"$T/git.ns"
for i in $(seq "$N"); do
	t0=$(now)
	GNUPGHOME="$G" git -C "$T/g" commit -q --allow-empty -S"$fpr" -m "step $i" || { echo "git failed"; exit 1; }
	t1=$(now)
	echo $((t1 - t0)) >>"$T/git.ns"
done

ch=$(median <"$T/ch.ns"); git=$(median <"$T/git.ns")
awk -v c="$ch" -v g="$git" -v n="$N" 'BEGIN {
	printf "signed step, median of %d: chancery doc act %.2f ms, stock git commit -S %.2f ms\n", n, c/1e6, g/1e6
	printf "ratio chancery/git: %.3f (goal <= 0.25)\n", c/g }'
"$CH" verify "$S" >/dev/null && echo "chancery verify: clean after $N steps" || { echo "verify failed"; exit 1; }
