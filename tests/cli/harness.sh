# The harness of saasctl's integration tests (sourced): run a command,
# check its exit status, stdout and stderr, count passes and failures.
# The test sets SAASCTL (the binary) and tmp (a scratch folder) first.

npass=0
nfail=0
STATUS= STDOUT= STDERR= CMD=

# sc [<<< INPUT] ARGS...: run saasctl with the test's stdin; keeps STATUS, STDOUT, STDERR.
sc() {
	CMD="saasctl $*"
	"$SAASCTL" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	STATUS=$?
	STDOUT=$(<"$tmp/stdout")
	STDERR=$(<"$tmp/stderr")
}

# expect DESC STATUS OUT_RE ERR_RE: the last run exited STATUS, its stdout
# matches the extended regex OUT_RE and its stderr ERR_RE ('' matches only
# nothing; '.*' anything).
expect() {
	local desc=$1 status=$2 out_re=$3 err_re=$4 good=1

	[[ $STATUS == "$status" ]] || good=0
	if [[ -z $out_re ]]; then [[ -z $STDOUT ]] || good=0; else [[ $STDOUT =~ $out_re ]] || good=0; fi
	if [[ -z $err_re ]]; then [[ -z $STDERR ]] || good=0; else [[ $STDERR =~ $err_re ]] || good=0; fi
	if ((good)); then
		npass=$((npass + 1))
		printf 'ok %d - %s\n' $((npass + nfail)) "$desc"
		return
	fi
	nfail=$((nfail + 1))
	printf 'not ok %d - %s\n#   run:    %s\n#   status: %s (want %s)\n' $((npass + nfail)) \
		"$desc" "$CMD" "$STATUS" "$status"
	printf '#   stdout: %s\n#   stderr: %s\n' "${STDOUT:0:600}" "${STDERR:0:600}"
}

# holds DESC: passes when the command just before succeeded (for checks of
# what the last run printed, or of the files it left).
holds() {
	STATUS=$? STDOUT= STDERR= CMD="the check before '$1'"
	expect "$1" 0 '' ''
}

# jq_py EXPR: a Python expression on the JSON document `d` of the last stdout.
jq_py() {
	python3 -c 'import json,sys; d=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$STDOUT" 2>/dev/null
}
