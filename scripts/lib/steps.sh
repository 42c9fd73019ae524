# Sourced by the scripts in scripts/: numbered steps that say what they do,
# how long they take on a cold two-core machine, and how long they took.
# STEPS_TOTAL is set by the caller; steps are counted as they are named.
# A script run by another (setup.sh by demo.sh) continues its numbering and
# clock through REACH_STEPS_DONE, REACH_STEPS_TOTAL and REACH_STEPS_STARTED.

STEPS_DONE=${REACH_STEPS_DONE:-0}
STEPS_STARTED=${REACH_STEPS_STARTED:-$(date +%s)}
STEP_STARTED=$(date +%s)

# Prints a duration in seconds as "4 min 05 s" or "12 s".
human_time() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%d min %02d s' $((s / 60)) $((s % 60)); else printf '%d s' "$s"; fi
}

# step "what" "how long cold": names the next step and closes the last one.
step() {
  step_done
  STEPS_DONE=$((STEPS_DONE + 1))
  STEP_STARTED=$(date +%s)
  STEP_NAME=$1
  printf '\n== [%d/%d] %s' "$STEPS_DONE" "${REACH_STEPS_TOTAL:-${STEPS_TOTAL:-?}}" "$1"
  [ -n "${2:-}" ] && printf ' (%s)' "$2"
  printf '\n'
}

# Closes the current step with its time; called by step and at the end.
step_done() {
  if [ -n "${STEP_NAME:-}" ]; then
    local now
    now=$(date +%s)
    printf -- '-- %s: done in %s (%s since the start)\n' "$STEP_NAME" \
      "$(human_time $((now - STEP_STARTED)))" "$(human_time $((now - STEPS_STARTED)))"
    STEP_NAME=
  fi
}

# Runs "$@" in the background with its output in a log file; `await_job`
# waits for it and shows the log's end if it failed. Used where two slow,
# independent steps can share the two cores (one's link or final crate
# leaves a core idle that the other fills).
# Sets JOB_PID and JOB_LOG.
start_job() {
  JOB_LOG=$(mktemp "${TMPDIR:-/tmp}/reach-$1.XXXXXX.log")
  shift
  "$@" >"$JOB_LOG" 2>&1 &
  JOB_PID=$!
}

await_job() { # pid log what
  if ! wait "$1"; then
    printf '\n%s failed; the end of its log (%s):\n' "$3" "$2" >&2
    tail -n 40 "$2" >&2
    return 1
  fi
  rm -f "$2"
}
