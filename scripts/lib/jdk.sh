# Sourced by the scripts: finds a JDK 21+ and exports JAVA_HOME.
# Order: $JAVA_HOME if it is new enough, else the newest JDK under /usr/lib/jvm, else one clear error line.

handoff_jdk_major() { # $1 = a JDK home; prints its feature version (17, 21, 25) or nothing
  local home=$1 v=""
  if [[ -f $home/release ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [[ -z $v && -x $home/bin/java ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  [[ $v == 1 ]] && v=8
  echo "$v"
}

handoff_find_jdk() {
  local min=21 v
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java && -x $JAVA_HOME/bin/javac ]]; then
    v=$(handoff_jdk_major "$JAVA_HOME")
    if [[ -n $v && $v -ge $min ]]; then export JAVA_HOME; return 0; fi
  fi
  local best="" best_v=0 d
  for d in /usr/lib/jvm/*; do
    [[ -d $d && ! -L $d && -x $d/bin/java && -x $d/bin/javac ]] || continue
    v=$(handoff_jdk_major "$d")
    [[ -n $v && $v -ge $min && $v -gt $best_v ]] || continue
    best=$d best_v=$v
  done
  if [[ -z $best ]]; then
    echo "handoff: no JDK $min or newer found: set JAVA_HOME to one, or install one under /usr/lib/jvm" >&2
    return 1
  fi
  export JAVA_HOME=$best
}

# Maven runs on the JDK it finds; quieten the JDK 24+ warning about Maven's own use of sun.misc.Unsafe.
handoff_maven_env() {
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
