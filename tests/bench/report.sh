# shellcheck shell=bash
# The result table of the benchmarks that compare x509ssh with OpenSSH (sourced, never run).
#
#   record METRIC x509ssh|openssh VALUE   # one measurement (metrics keep their first order)
#   bench_report TITLE WIDTH              # the table with ratios, then the end of the script

declare -A RESULT=()
declare -a METRICS=()

record() {
	RESULT["$1|$2"]=$3
	local m
	for m in "${METRICS[@]}"; do
		[[ "$m" == "$1" ]] && return
	done
	METRICS+=("$1")
}

bench_report() {
	local title=$1 w=$2 m x o r
	printf "\n%-${w}s %12s %12s %8s\n" "$title" "x509ssh" "openssh" "ratio"
	for m in "${METRICS[@]}"; do
		x=${RESULT["$m|x509ssh"]:-n/a}
		o=${RESULT["$m|openssh"]:-n/a}
		r=$(awk -v x="$x" -v o="$o" 'BEGIN { if (x == "n/a" || o == "n/a" || o + 0 == 0) print "n/a"; else printf "%.2f", x / o }')
		printf "%-${w}s %12s %12s %8s\n" "$m" "$x" "$o" "$r"
	done
	echo "(ratio = x509ssh / OpenSSH; below 1 is better for x509ssh)"
	T_PASS=1
	t_done >/dev/null
}
