#!/bin/bash
# The whole check, one command, on a fresh Debian 12 as root:
#   install what is missing -> build + ctest -> ASan/UBSan build + ctest -> unit tests under
#   valgrind -> cppcheck -> libFuzzer smoke run -> man page lint -> summary. Exit status 0 only
#   when every step passed.
#
# Environment: RUN_ASAN=0, RUN_VALGRIND=0, RUN_CPPCHECK=0, RUN_FUZZ=0, RUN_MANLINT=0 skip a step
# (FUZZ_SECONDS sets the time per fuzz target, FUZZ_JOBS how many run at once, default 2);
# CTEST_ARGS adds arguments to both ctest runs (e.g. "-L unit"); BUILD_DIR / ASAN_BUILD_DIR
# override build/ and build-asan/; X509SSH_PKI_CACHE overrides BUILD_DIR/pki-cache (see below).
set -uo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
cd "$SRC" || exit 1
. "$SRC/tests/lib/install.sh"

BUILD_DIR=${BUILD_DIR:-$SRC/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$SRC/build-asan}
LOG_DIR=${LOG_DIR:-$BUILD_DIR/run-logs}
# test_certstore's PKI (tests/lib/pki.sh standard) is made once and shared by the plain,
# valgrind and ASan runs; X509SSH_PKI_CACHE= (empty) makes a new one in each
export X509SSH_PKI_CACHE=${X509SSH_PKI_CACHE-$BUILD_DIR/pki-cache}
read -r -a CTEST_EXTRA <<<"${CTEST_ARGS:-}"

declare -a STEP_NAMES=() STEP_RESULTS=() STEP_TIMES=() STEP_NOTES=()
FAILED=0
T_START=$SECONDS

# step NAME COMMAND...: run one step, record PASS/FAIL and its duration.
step() {
	local name=$1 t0=$SECONDS rc
	shift
	printf '\n==== %s\n' "$name"
	"$@"
	rc=$?
	STEP_NAMES+=("$name")
	STEP_TIMES+=($((SECONDS - t0)))
	if [[ $rc == 0 ]]; then
		STEP_RESULTS+=(PASS)
	else
		STEP_RESULTS+=("FAIL($rc)")
		FAILED=$((FAILED + 1))
	fi
	return $rc
}

skip() {
	STEP_NAMES+=("$1")
	STEP_RESULTS+=(SKIP)
	STEP_TIMES+=(0)
	STEP_NOTES[${#STEP_NAMES[@]} - 1]=" ($2)"
}

# run_ctest DIR [VAR=value ...] [-- ctest argument ...]
run_ctest() {
	local dir=$1
	shift
	local -a envs=() args=()
	while [[ $# -gt 0 && "$1" != -- ]]; do
		envs+=("$1")
		shift
	done
	if [[ "${1:-}" == -- ]]; then
		shift
		args=("$@")
	fi
	(cd "$dir" && env "${envs[@]}" ctest --output-on-failure -j2 "${args[@]}" "${CTEST_EXTRA[@]}")
}

# One unit test under valgrind; writes "<seconds> <exit status>" to LOG.rc. The exhaustive
# mutation sweeps are sampled here (every VALGRIND_SWEEP_STEP-th position, default 13; see
# X509SSH_SWEEP_STEP in tests/unit/t.h): both ctest runs before and after do them in full.
valgrind_one() {
	local bin=$1 log=$2 t0=$SECONDS rc
	local -a supp=()
	# leaks inside third-party PKCS#11 modules only (see the file)
	if [[ -f "$SRC/tests/lib/valgrind.supp" ]]; then
		supp=(--suppressions="$SRC/tests/lib/valgrind.supp")
	fi
	(cd "$SRC/tests/unit" && X509SSH_SWEEP_STEP=${VALGRIND_SWEEP_STEP:-13} \
		timeout 1200 valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite "${supp[@]}" --log-file="$log" "$bin" >"$log.out" 2>&1)
	rc=$?
	echo "$((SECONDS - t0)) $rc" >"$log.rc"
}

# Every unit test binary under valgrind (definite leaks and memory errors fail), VALGRIND_JOBS
# (default 2) at a time.
valgrind_units() {
	local bin rc=0 log secs st
	local -a bins=()
	local jobs=${VALGRIND_JOBS:-2}
	mkdir -p "$LOG_DIR"
	shopt -s nullglob
	for bin in "$BUILD_DIR"/test_*; do
		if [[ -x "$bin" && -f "$bin" ]]; then
			bins+=("$bin")
		fi
	done
	shopt -u nullglob
	if ((${#bins[@]} == 0)); then
		echo "valgrind: no unit test binaries in $BUILD_DIR"
		return 0
	fi
	for bin in "${bins[@]}"; do
		while (($(jobs -rp | wc -l) >= jobs)); do
			wait -n
		done
		log="$LOG_DIR/valgrind.$(basename "$bin").log"
		rm -f "$log.rc"
		valgrind_one "$bin" "$log" &
	done
	wait
	for bin in "${bins[@]}"; do
		log="$LOG_DIR/valgrind.$(basename "$bin").log"
		read -r secs st <"$log.rc" 2>/dev/null || { secs='?'; st=missing; }
		if [[ "$st" == 0 ]]; then
			printf 'valgrind ok    %-24s %5ss\n' "$(basename "$bin")" "$secs"
		else
			printf 'valgrind FAIL  %-24s %5ss (exit %s; see %s)\n' "$(basename "$bin")" "$secs" "$st" "$log"
			tail -n 30 "$log" "$log.out" | sed 's/^/    /'
			rc=1
		fi
	done
	return $rc
}

run_cppcheck() {
	local -a dirs=() incs=()
	local d
	for d in client pkcs11 certstore; do
		if compgen -G "$d/*.c" >/dev/null || compgen -G "$d/*/*.c" >/dev/null; then
			dirs+=("$d")
		fi
	done
	for d in client client/ssh client/signer pkcs11 certstore limits; do
		[[ -d "$d" ]] && incs+=(-I "$d")
	done
	if ((${#dirs[@]} == 0)); then
		echo "cppcheck: no sources"
		return 0
	fi
	cppcheck --error-exitcode=1 --quiet --enable=warning --inline-suppr --std=c11 \
		-D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -j 2 \
		"${incs[@]}" "${dirs[@]}"
}

# libFuzzer smoke run: a clang build with -DX509SSH_FUZZ=ON (ASan+UBSan, every report fatal), every
# tests/fuzz target for FUZZ_SECONDS (default 15), each started from a copy of its seed corpus
# tests/fuzz/corpus/<target>/ (copied under the log dir: the tree is not modified; a target
# without seeds starts empty). A crash, a leak, a sanitizer report, a timeout (-timeout, 25 s per
# input) or an out-of-memory fails the step; the reproducer is left in the log dir.
# One fuzz target T for SECS seconds from a copy of its seeds; its exit status goes to
# LOG_DIR/NAME.rc (run in the background by run_fuzz).
fuzz_one() {
	local t=$1 secs=$2 name work log
	name=$(basename "$t")
	work=$LOG_DIR/$name
	log=$LOG_DIR/$name.log
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	if [[ -d "$SRC/tests/fuzz/corpus/$name" ]]; then
		cp -R "$SRC/tests/fuzz/corpus/$name/." "$work/corpus/"
	fi
	(cd "$work" && env "${FUZZ_ENV[@]}" timeout $((secs + 120)) "$t" -max_total_time="$secs" \
		-rss_limit_mb=2048 -timeout=25 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
		"$work/corpus" >"$log" 2>&1)
	echo $? >"$LOG_DIR/$name.rc"
}

run_fuzz() {
	local dir=${FUZZ_BUILD_DIR:-$SRC/build-fuzz} secs=${FUZZ_SECONDS:-15} t rc=0 name log st
	# no strict_string_checks here: it makes ASan read strndup()'s source up to a NUL, a false
	# report on the (valid) strndup of a name-list that ends where a packet buffer ends
	FUZZ_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
	FUZZ_JOBS=${FUZZ_JOBS:-2}
	CC=clang cmake -S "$SRC" -B "$dir" -DX509SSH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		>"$LOG_DIR/fuzz-configure.log" 2>&1 || { tail -n 20 "$LOG_DIR/fuzz-configure.log"; return 1; }
	cmake --build "$dir" -j2 >"$LOG_DIR/fuzz-build.log" 2>&1 || { tail -n 30 "$LOG_DIR/fuzz-build.log"; return 1; }
	# undefined behaviour must stop a program of this build, or reports would pass unnoticed
	if "$dir/ubsan_fatal_probe" >"$LOG_DIR/ubsan-probe.log" 2>&1; then
		echo "fuzz FAIL  the fuzz build does not stop on a UBSan report (-fno-sanitize-recover=all missing?)"
		return 1
	fi
	# two targets at a time (the machines have 2 cores), reported in name order
	local -a names=()
	for t in "$dir"/fuzz_*; do
		[[ -x "$t" && -f "$t" ]] || continue
		names+=("$(basename "$t")")
	done
	local i j
	for ((i = 0; i < ${#names[@]}; i += FUZZ_JOBS)); do
		for ((j = i; j < i + FUZZ_JOBS && j < ${#names[@]}; j++)); do
			fuzz_one "$dir/${names[j]}" "$secs" &
		done
		wait
	done
	for name in "${names[@]}"; do
		log=$LOG_DIR/$name.log
		st=$(cat "$LOG_DIR/$name.rc" 2>/dev/null || echo 1)
		# libFuzzer exits 0 only when nothing was found; any report line fails as well
		if [[ $st == 0 ]] && ! grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log"; then
			printf 'fuzz ok    %-20s %s, %s seeds, %s\n' "$name" \
				"$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -n 1)" \
				"$(find "$SRC/tests/fuzz/corpus/$name" -type f 2>/dev/null | wc -l)" \
				"$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)"
		else
			printf 'fuzz FAIL  %-20s exit %s (see %s; reproducers in %s)\n' "$name" "$st" "$log" \
				"$LOG_DIR/$name/artifacts"
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/    /'
			rc=1
		fi
	done
	return $rc
}

run_manlint() {
	local -a pages
	shopt -s nullglob
	pages=(man/*.[15])
	shopt -u nullglob
	mandoc -Tlint -W warning "${pages[@]}"
}

# ---------------------------------------------------------------- the steps

step "install dependencies" x509ssh_install_deps || {
	echo "cannot continue without the build dependencies"
	exit 1
}

# A failed build still runs ctest: what did build is tested, what did not shows as "Not Run".
step "build (RelWithDebInfo) in ${BUILD_DIR#"$SRC"/}" x509ssh_build "$BUILD_DIR"
if [[ -f "$BUILD_DIR/CTestTestfile.cmake" ]]; then
	step "ctest ${BUILD_DIR#"$SRC"/}" run_ctest "$BUILD_DIR"
	if [[ "${RUN_VALGRIND:-1}" == 1 ]]; then
		step "unit tests under valgrind" valgrind_units
	else
		skip "unit tests under valgrind" "RUN_VALGRIND=0"
	fi
else
	skip "ctest ${BUILD_DIR#"$SRC"/}" "not configured"
	skip "unit tests under valgrind" "not configured"
fi

if [[ "${RUN_ASAN:-1}" == 1 ]]; then
	step "build (ASan+UBSan) in ${ASAN_BUILD_DIR#"$SRC"/}" x509ssh_build "$ASAN_BUILD_DIR" -DX509SSH_SANITIZE=ON
	if [[ -f "$ASAN_BUILD_DIR/CTestTestfile.cmake" ]]; then
		asan_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
			LSAN_OPTIONS="suppressions=$SRC/tests/lib/lsan.supp:print_suppressions=0"
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
		step "ctest ${ASAN_BUILD_DIR#"$SRC"/} (unit)" run_ctest "$ASAN_BUILD_DIR" "${asan_env[@]}" -- -L unit
		# The client loads PKCS#11 modules and libcrypto, built without frame pointers: full
		# malloc stacks (slow, so only here) let lsan.supp recognise the modules' own leaks.
		asan_env[0]+=:fast_unwind_on_malloc=0
		# Left out here (they run in the first ctest): fleetbed proves the fleet test bed with
		# OpenSSH's ssh only, and hostile_batchmode waits out the 60 s BatchMode default (the
		# same timeout path runs under ASan in hostile_timeouts).
		step "ctest ${ASAN_BUILD_DIR#"$SRC"/} (integration)" run_ctest "$ASAN_BUILD_DIR" "${asan_env[@]}" -- -L integration \
			-E '^integration/(fleetbed|hostile_batchmode)$'
	else
		skip "ctest ${ASAN_BUILD_DIR#"$SRC"/}" "not configured"
	fi
else
	skip "ASan+UBSan build and ctest" "RUN_ASAN=0"
fi

if [[ "${RUN_CPPCHECK:-1}" == 1 ]]; then
	step "cppcheck" run_cppcheck
else
	skip "cppcheck" "RUN_CPPCHECK=0"
fi

if [[ "${RUN_FUZZ:-1}" == 1 ]]; then
	mkdir -p "$LOG_DIR"
	step "fuzz smoke (libFuzzer, ${FUZZ_SECONDS:-15} s per target)" run_fuzz
else
	skip "fuzz smoke" "RUN_FUZZ=0"
fi

if [[ "${RUN_MANLINT:-1}" != 1 ]]; then
	skip "mandoc -Tlint" "RUN_MANLINT=0"
elif compgen -G "man/*.[15]" >/dev/null; then
	step "mandoc -Tlint" run_manlint
else
	skip "mandoc -Tlint" "no man pages yet"
fi

# ---------------------------------------------------------------- summary

printf '\n==== summary (%d s)\n' $((SECONDS - T_START))
for i in "${!STEP_NAMES[@]}"; do
	printf '%-8s %5ss  %s%s\n' "${STEP_RESULTS[$i]}" "${STEP_TIMES[$i]}" "${STEP_NAMES[$i]}" "${STEP_NOTES[$i]:-}"
done
n_pass=0
n_skip=0
for r in "${STEP_RESULTS[@]}"; do
	case "$r" in
	PASS) n_pass=$((n_pass + 1)) ;;
	SKIP) n_skip=$((n_skip + 1)) ;;
	esac
done
# the closing line CI reads: steps, each of which ran its own tests
printf 'steps: %d passed, %d failed, %d skipped\n' "$n_pass" "$FAILED" "$n_skip"
if ((FAILED > 0)); then
	exit 1
fi
exit 0
