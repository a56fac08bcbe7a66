#!/bin/bash
# Token login benchmark: connection time with a SoftHSM2 key through x509ssh (its modules in the
# token helper, and in-process with PKCS11Helper=no) against OpenSSH's ssh with PKCS11Provider on
# the same key and the same sshd; the time per signature with the helper and without it
# (p11sign_bench, built next to x509ssh: `make p11sign_bench`); and the PKCS#11 calls x509ssh
# makes per connection (OpenSC's pkcs11-spy between the client and SoftHSM). Not part of ctest.
#
#   tests/bench/token_bench.sh                 # 20 connections per client
#   BENCH_CONNS=5 tests/bench/token_bench.sh   # a quick run
#
# Environment: X509SSH (default build/x509ssh), OPENSSH (default /usr/bin/ssh), BENCH_CONNS,
# BENCH_SIGS (signatures per p11sign_bench run, default 500; 7 runs per mode, interleaved),
# P11SIGN_BENCH (default: next to X509SSH).
# Both clients log in with the token's RSA-2048 key (rsa-sha2-512), curve25519-sha256 and an
# ed25519 host key, run `true`, and get the PIN from the same askpass script
# (SSH_ASKPASS_REQUIRE=force, DISPLAY set). OpenSSH is given the key's public half with
# IdentitiesOnly so it offers only that key. A baseline row per client logs in with an ed25519
# key file, so the token's own cost shows. Wall time is the client's elapsed time; CPU is its
# user+system time including its children (OpenSSH's ssh-pkcs11-helper, x509ssh's token helper,
# the askpass runs of both clients): the timing script is their subreaper and collects every one
# after each run, so a helper that outlives its client by a moment is counted too.
. "$(dirname "$0")/../lib/common.sh"
set +e # a failed measurement is reported, not fatal

unset SSH_AUTH_SOCK
OPENSSH=${OPENSSH:-/usr/bin/ssh}
CONNS=${BENCH_CONNS:-20}
SPY=${PKCS11_SPY_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
[[ -x "$X509SSH" ]] || die "x509ssh not found: $X509SSH (build first, or set X509SSH)"

P="$T_DIR/p11"
bash "$X509SSH_SRC/tests/lib/softhsm.sh" "$P" >"$T_DIR/p11.env" 2>"$T_DIR/p11.log" ||
	die "softhsm.sh failed: $(tail -n 3 "$T_DIR/p11.log")"
. "$P/env"
export SOFTHSM2_CONF
M=$SOFTHSM_MODULE
PIN=$P11_PIN
TOK="pkcs11:token=x509ssh-test"

make_keys
for k in rsa aa; do
	ssh-keygen -i -m PKCS8 -f "$P/$k.pub.pem" >"$T_DIR/$k.pub"
done
cat "$T_DIR/rsa.pub" "$T_DIR/aa.pub" "$CLIENT_KEY.pub" >"$T_DIR/authorized_keys"
start_sshd "KexAlgorithms curve25519-sha256" "LogLevel ERROR"

ASKPASS="$T_DIR/askpass.sh"
printf '#!/bin/sh\necho %s\n' "$PIN" >"$ASKPASS"
chmod 700 "$ASKPASS"
export SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY="${DISPLAY:-:0}"

common_opts() { # common_opts CLIENT [PUBKEY_ALG]: options both clients get, one per line
	printf '%s\n' "$1" -o "PubkeyAcceptedAlgorithms=${2:-rsa-sha2-512}" -F /dev/null -o "UserKnownHostsFile=$KNOWN_HOSTS" \
		-o GlobalKnownHostsFile=/dev/null -o BatchMode=no -o IdentitiesOnly=yes \
		-o StrictHostKeyChecking=yes -o KexAlgorithms=curve25519-sha256 \
		-o HostKeyAlgorithms=ssh-ed25519 -o LogLevel=ERROR -o PreferredAuthentications=publickey -p "$SSHD_PORT" -l "$(id -un)"
}
mapfile -t X_ARGV < <(common_opts "$X509SSH")
X_ARGV+=(-I "$TOK;object=rsa?module-path=$M")
mapfile -t X_FILE_ARGV < <(common_opts "$X509SSH")
X_FILE_ARGV+=(-I "$TOK;object=rsa?module-path=$M&pin-source=file:$P/pin")
mapfile -t X_INPROC_ARGV < <(common_opts "$X509SSH")
X_INPROC_ARGV+=(-o PKCS11Helper=no -I "$TOK;object=rsa?module-path=$M")
mapfile -t O_ARGV < <(common_opts "$OPENSSH")
O_ARGV+=(-o "PKCS11Provider=$M" -i "$T_DIR/rsa.pub")

# Rows are measured round-robin (one connection of each row in turn, CONNS rounds) so that drift
# in the machine's load spreads evenly over them. Python times each run: wall with perf_counter,
# CPU from RUSAGE_CHILDREN (microseconds; GNU time's 10 ms steps are too coarse here).
declare -a ROW_LABELS=()
row() { # row LABEL ARGV...: one row of the table (its command line, NUL-separated, in a file)
	ROW_LABELS+=("$1")
	shift
	printf '%s\0' "$@" 127.0.0.1 true >"$T_DIR/row.${#ROW_LABELS[@]}"
}
# measure_rows: fills MEAN_WALL[i], MED_WALL[i], MEAN_CPU[i], FAILS[i] (ms) for rows 1..n
measure_rows() {
	local i=1 mw md mc f
	while read -r mw md mc f; do
		MEAN_WALL[i]=$mw MED_WALL[i]=$md MEAN_CPU[i]=$mc FAILS[i]=$f
		i=$((i + 1))
	done < <("$PYTHON" - "$CONNS" "$T_DIR/err.bench" "$T_DIR"/row.* <<'PY'
import ctypes, os, resource, statistics, subprocess, sys, time
n, errf = int(sys.argv[1]), sys.argv[2]
# PR_SET_CHILD_SUBREAPER: helpers that outlive their client are reparented here and collected
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
def reap():
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return
files = sorted(sys.argv[3:], key=lambda f: int(f.rsplit(".", 1)[1]))
rows = [open(f, "rb").read().split(b"\0")[:-1] for f in files]
walls = [[] for _ in rows]
cpus = [[] for _ in rows]
fails = [0] * len(rows)
for i in range(n):
    for j, argv in enumerate(rows):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with open(errf, "w") as e:
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=e).returncode
        t1 = time.perf_counter()
        reap()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc != 0:
            fails[j] += 1
            sys.stderr.write("row %d run %d failed (exit %d): %s\n"
                             % (j + 1, i, rc, open(errf).read().strip()[-200:]))
            continue
        walls[j].append(1000 * (t1 - t0))
        cpus[j].append(1000 * ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
for j in range(len(rows)):
    if walls[j]:
        print("%.1f %.1f %.1f %d" % (statistics.mean(walls[j]), statistics.median(walls[j]),
                                     statistics.mean(cpus[j]), fails[j]))
    else:
        print("nan nan nan %d" % fails[j])
PY
	)
}

# warm-up (page cache, sshd's first fork)
"${X_ARGV[@]}" 127.0.0.1 true </dev/null >/dev/null 2>&1 || die "x509ssh cannot log in with the token key: $("${X_ARGV[@]}" 127.0.0.1 true 2>&1 </dev/null | tail -n 1)"
"${O_ARGV[@]}" 127.0.0.1 true </dev/null >/dev/null 2>&1 || die "OpenSSH cannot log in with the token key: $("${O_ARGV[@]}" 127.0.0.1 true 2>&1 </dev/null | tail -n 1)"

mapfile -t XB_ARGV < <(common_opts "$X509SSH" ssh-ed25519)
mapfile -t OB_ARGV < <(common_opts "$OPENSSH" ssh-ed25519)
row "x509ssh, ed25519 key file (baseline)" "${XB_ARGV[@]}" -i "$CLIENT_KEY"
row "OpenSSH, ed25519 key file (baseline)" "${OB_ARGV[@]}" -i "$CLIENT_KEY"
row "x509ssh, token key, PIN by askpass" "${X_ARGV[@]}"
row "x509ssh, token key, pin-source=file:" "${X_FILE_ARGV[@]}"
row "x509ssh, token key, PKCS11Helper=no" "${X_INPROC_ARGV[@]}"
row "OpenSSH, PKCS11Provider, PIN by askpass" "${O_ARGV[@]}"
declare -a MEAN_WALL=() MED_WALL=() MEAN_CPU=() FAILS=()
measure_rows
XBW=${MEAN_WALL[1]} XBC=${MEAN_CPU[1]} OBW=${MEAN_WALL[2]} OBC=${MEAN_CPU[2]}
XW=${MEAN_WALL[3]} XC=${MEAN_CPU[3]} XIW=${MEAN_WALL[5]} XIC=${MEAN_CPU[5]}
OW=${MEAN_WALL[6]} OC=${MEAN_CPU[6]}

# time per signature (the async signer: a worker thread each), in-process and through the helper;
# runs interleaved, the median of each mode's runs
SIGS=${BENCH_SIGS:-500}
P11SIGN_BENCH=${P11SIGN_BENCH:-$(dirname "$X509SSH")/p11sign_bench}
SIG_URI="$TOK;object=rsa?module-path=$M&pin-value=$PIN"
declare -a SIG_IN=() SIG_HE=()
if [[ -x "$P11SIGN_BENCH" ]]; then
	for ((i = 0; i < 7; i++)); do
		SIG_IN+=("$("$P11SIGN_BENCH" "$SIG_URI" "$SIGS" inproc | awk '{ print $4 }')")
		SIG_HE+=("$("$P11SIGN_BENCH" "$SIG_URI" "$SIGS" helper | awk '{ print $4 }')")
	done
fi
median() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
SIN=$(median "${SIG_IN[@]}")
SHE=$(median "${SIG_HE[@]}")

# PKCS#11 calls per connection, through pkcs11-spy (one connection each)
spy_counts() { # spy_counts LOG RC: "C_Login C_Sign CKU_CONTEXT_SPECIFIC login-result"
	printf '%s %s %s %s\n' "$(grep -c 'C_Login$' "$1")" "$(grep -c 'C_Sign$' "$1")" \
		"$(grep -c 'CKU_CONTEXT_SPECIFIC' "$1")" "$([[ $2 == 0 ]] && echo ok || echo "FAILED(exit $2)")"
}
spy_x509ssh() { # spy_x509ssh OBJECT: the counts of one x509ssh connection with OBJECT
	local log="$T_DIR/spy.x.$1"
	mapfile -t a < <(common_opts "$X509SSH")
	PKCS11SPY=$M PKCS11SPY_OUTPUT=$log "${a[@]}" -I "$TOK;object=$1?module-path=$SPY" 127.0.0.1 true </dev/null >/dev/null 2>"$T_DIR/err.spy"
	local rc=$?
	[[ $rc == 0 ]] || printf 'spy run with %s failed (exit %d): %s\n' "$1" "$rc" "$(tail -n 1 "$T_DIR/err.spy")" >&2
	spy_counts "$log" "$rc"
}
spy_openssh() { # spy_openssh PUBFILE
	local log
	log="$T_DIR/spy.o.$(basename "$1")"
	mapfile -t a < <(common_opts "$OPENSSH")
	PKCS11SPY=$M PKCS11SPY_OUTPUT=$log "${a[@]}" -o "PKCS11Provider=$SPY" -i "$1" \
		127.0.0.1 true </dev/null >/dev/null 2>"$T_DIR/err.spy"
	local rc=$?
	[[ $rc == 0 ]] || printf 'OpenSSH spy run with %s failed (exit %d): %s\n' "$1" "$rc" "$(tail -n 1 "$T_DIR/err.spy")" >&2
	spy_counts "$log" "$rc"
}
read -r XL XS XCS XLR < <(spy_x509ssh rsa)
read -r AL AS ACS ALR < <(spy_x509ssh aa)
read -r OL OS OCS OLR < <(spy_openssh "$T_DIR/rsa.pub")
read -r OAL OAS OACS OALR < <(spy_openssh "$T_DIR/aa.pub")

diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
printf 'Token login: SoftHSM2 RSA-2048 key (rsa-sha2-512), curve25519-sha256, ssh-ed25519 host key,\n'
printf 'remote command `true`, %d connections per row (rows interleaved), PIN from an askpass script.\n' "$CONNS"
printf 'x509ssh: %s   OpenSSH: %s\n\n' "$X509SSH" "$("$OPENSSH" -V 2>&1)"
printf '%-40s %10s %10s %10s %6s\n' "client, key" "wall mean" "wall med" "CPU mean" "failed"
printf '%-40s %10s %10s %10s %6s\n' "" "ms/conn" "ms/conn" "ms/conn" ""
for ((i = 1; i <= ${#ROW_LABELS[@]}; i++)); do
	printf '%-40s %10s %10s %10s %6s\n' "${ROW_LABELS[i - 1]}" "${MEAN_WALL[i]}" "${MED_WALL[i]}" \
		"${MEAN_CPU[i]}" "${FAILS[i]}"
done
printf '%-40s %10s %10s %10s\n' "ratio x509ssh/OpenSSH, token key" "$(ratio "$XW" "$OW")" "" "$(ratio "$XC" "$OC")"
printf '%-40s %10s %10s %10s\n' "token cost over baseline, x509ssh (ms)" "$(diff_ms "$XW" "$XBW")" "" "$(diff_ms "$XC" "$XBC")"
printf '%-40s %10s %10s %10s\n' "token cost over baseline, OpenSSH (ms)" "$(diff_ms "$OW" "$OBW")" "" "$(diff_ms "$OC" "$OBC")"
printf '%-40s %10s %10s %10s\n' "helper cost per connection (ms)" "$(diff_ms "$XW" "$XIW")" "" "$(diff_ms "$XC" "$XIC")"
printf '%-40s %10s %10s %10s\n' "ratio helper/in-process, token key" "$(ratio "$XW" "$XIW")" "" "$(ratio "$XC" "$XIC")"
echo
if [[ -x "$P11SIGN_BENCH" ]]; then
	printf 'Time per signature (RSA-2048, SHA-512; %d signatures per run, median of 7 runs per mode):\n' "$SIGS"
	printf '%-40s %10s ms\n' "x509ssh signer, module in-process" "$SIN"
	printf '%-40s %10s ms\n' "x509ssh signer, module in the helper" "$SHE"
	printf '%-40s %10s ms\n' "added by the helper, per signature" "$(awk -v a="$SHE" -v b="$SIN" 'BEGIN { printf "%+.3f", a - b }')"
	printf '%-40s %10s\n' "ratio helper/in-process" "$(ratio "$SHE" "$SIN")"
	printf 'runs in-process: %s\nruns helper:     %s\n' "${SIG_IN[*]}" "${SIG_HE[*]}"
else
	printf 'no %s: build it (make p11sign_bench) for the time per signature\n' "$P11SIGN_BENCH"
fi
echo
printf 'PKCS#11 calls in one connection (pkcs11-spy):\n'
printf '%-40s %8s %7s %15s %s\n' "client, key" "C_Login" "C_Sign" "context login" "login"
printf '%-40s %8s %7s %15s %s\n' "x509ssh, rsa (normal key)" "$XL" "$XS" "$XCS" "$XLR"
printf '%-40s %8s %7s %15s %s\n' "x509ssh, aa (CKA_ALWAYS_AUTHENTICATE)" "$AL" "$AS" "$ACS" "$ALR"
printf '%-40s %8s %7s %15s %s\n' "OpenSSH, rsa (normal key)" "$OL" "$OS" "$OCS" "$OLR"
printf '%-40s %8s %7s %15s %s\n' "OpenSSH, aa (CKA_ALWAYS_AUTHENTICATE)" "$OAL" "$OAS" "$OACS" "$OALR"
T_PASS=1
t_done
