# Sourced by the benchmark drivers: starts every server under comparison the same way, and says how.
#
# Linux autogroups (/proc/sys/kernel/sched_autogroup_enabled) share CPU between sessions, not threads: a server
# started in the load generator's session shares that session's share with it, one started with setsid gets a share
# of its own. Comparing the two skewed our tables by 2x. So every server a driver starts gets its own session, and
# servers started elsewhere (../shared/peers/peer start does setsid) are pinned the same way. Two set-ups:
#   HANDOFF_SETUP=pinned (default on 2+ cores): servers on HANDOFF_SERVER_CPUS (default 0), the load generator and
#     any attacker on HANDOFF_LOAD_CPUS (default 1): one core each, nothing shared. The steadiest figure.
#   HANDOFF_SETUP=shared: every server in its own session, nothing pinned: servers compete with the load for every
#     core, as with a noisy neighbour.
# Each table printed by a driver starts with handoff_setup_line, so a figure always says where it came from.

handoff_setup_init() {
  HANDOFF_SETUP=${HANDOFF_SETUP:-$( (($(nproc --all) >= 2)) && echo pinned || echo shared)}
  HANDOFF_SERVER_CPUS=${HANDOFF_SERVER_CPUS:-0}
  HANDOFF_LOAD_CPUS=${HANDOFF_LOAD_CPUS:-1}
  case $HANDOFF_SETUP in
    pinned)
      command -v taskset >/dev/null || { echo "HANDOFF_SETUP=pinned needs taskset (util-linux)" >&2; exit 2; }
      taskset -c "$HANDOFF_SERVER_CPUS" true 2>/dev/null \
        || { echo "HANDOFF_SERVER_CPUS='$HANDOFF_SERVER_CPUS' is not a CPU list taskset takes here" >&2; exit 2; }
      taskset -c "$HANDOFF_LOAD_CPUS" true 2>/dev/null \
        || { echo "HANDOFF_LOAD_CPUS='$HANDOFF_LOAD_CPUS' is not a CPU list taskset takes here" >&2; exit 2; } ;;
    shared) ;;
    *) echo "HANDOFF_SETUP must be pinned or shared, not '$HANDOFF_SETUP'" >&2; exit 2 ;;
  esac
  command -v setsid >/dev/null || { echo "the benchmark drivers need setsid (util-linux)" >&2; exit 2; }
}

# One line for the top of every table.
handoff_setup_line() {
  local ag
  ag=$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo "?")
  if [[ $HANDOFF_SETUP == pinned ]]; then
    echo "setup=pinned servers=cpu:$HANDOFF_SERVER_CPUS load=cpu:$HANDOFF_LOAD_CPUS (every server in its own session)" \
      "cores=$(nproc --all) autogroup=$ag load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
  else
    echo "setup=shared (every server in its own session, nothing pinned) cores=$(nproc --all) autogroup=$ag" \
      "load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
  fi
}

# Runs a server in the background in a session of its own (pinned to the server CPUs in the pinned set-up); its
# children (worker processes) inherit both. Sets HANDOFF_SERVER_PID. Redirect its output on the call.
handoff_start_server() {
  if [[ $HANDOFF_SETUP == pinned ]]; then
    setsid taskset -c "$HANDOFF_SERVER_CPUS" "$@" &
  else
    setsid "$@" &
  fi
  HANDOFF_SERVER_PID=$!
}

# Runs the load generator (or an attacker) in the foreground, pinned to the load CPUs in the pinned set-up. It stays
# in the caller's session: the servers are in sessions of their own either way.
handoff_load() {
  if [[ $HANDOFF_SETUP == pinned ]]; then taskset -c "$HANDOFF_LOAD_CPUS" "$@"; else "$@"; fi
}

# A server started elsewhere (HOST:PORT): pins the process listening there and all its descendants, every thread,
# to the server CPUs (shared: to every CPU, undoing an earlier pinned run), so it stands where the servers started
# here stand. Prints the pid it pinned, or nothing.
handoff_pin_listener() {
  local port=${1##*:} inode pid p
  inode=$(awk -v p="$(printf ':%04X' "$port")" '$2 ~ p"$" && $4 == "0A" {print $10; exit}' /proc/net/tcp /proc/net/tcp6)
  [[ -n $inode ]] || { echo "nothing listens on port $port to pin" >&2; return 0; }
  for p in /proc/[0-9]*; do
    if ls -l "$p/fd" 2>/dev/null | grep -q "socket:\[$inode\]"; then pid=${p#/proc/}; break; fi
  done
  [[ -n ${pid:-} ]] || return 0
  # The listener may sit in a worker (nginx, Node): pin from the top of its tree, below init and any shell.
  while p=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) && [[ $p -gt 1 ]] \
      && [[ $(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ') != *bash* ]] \
      && [[ $(awk '{print $6}' "/proc/$p/stat") == $(awk '{print $6}' "/proc/$pid/stat") ]]; do
    pid=$p
  done
  handoff_pin_tree "$pid"
  echo "$pid"
}

handoff_pin_tree() {
  local c cpus=$HANDOFF_SERVER_CPUS
  [[ $HANDOFF_SETUP == pinned ]] || cpus=0-$(($(nproc --all) - 1))
  taskset -a -p -c "$cpus" "$1" >/dev/null 2>&1 || true
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do handoff_pin_tree "$c"; done
}
