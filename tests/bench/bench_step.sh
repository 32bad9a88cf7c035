#!/usr/bin/env bash
# bench_step.sh -- the cost of one signed workflow step through the command
# line (`chancery doc act ... --action comment`, a whole process: open the
# site, replay the chain, ask gpg-agent to sign, write the commit, move the
# ref by compare-and-swap with fsync) against one signed commit through
# stock `git commit -S` with the same key type (ed25519), in the same run.
# Goal (issue 3): chancery <= 0.25 x stock git.
. "$(dirname "$0")/../integration/lib.sh"
N=${BENCH_STEPS:-60}

S="$T/site"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
"$CH" person add "$S" nguyen.van.a --name "Nguyễn Văn A" --roles drafter --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass nguyen.van.a)" >/dev/null
doc=$("$CH" doc create "$S" --as nguyen.van.a --title "Bench" --type cong-van \
	--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s%N; }

: >"$T/ch.ns"
for i in $(seq "$N"); do
	t0=$(now)
	"$CH" doc act "$S" "$doc" --as nguyen.van.a --action comment --comment "step $i" \
		--passphrase-file "$(pass nguyen.van.a)" >/dev/null || { echo "chancery step failed"; exit 1; }
	t1=$(now)
	echo $((t1 - t0)) >>"$T/ch.ns"
done

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
