# Sets jdk22 to a JDK >= 22 (the FFM API the gpu module is built on): JAVA22_HOME, else JAVA_HOME when
# it is one, else the newest /usr/lib/jvm JDK of 22 or more; empty when there is none.
java_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p'; }
jdk22=${JAVA22_HOME:-}
if [[ -z $jdk22 && -n ${JAVA_HOME:-} ]] && [[ $(java_feature "$JAVA_HOME") -ge 22 ]] 2>/dev/null; then
  jdk22=$JAVA_HOME
fi
if [[ -z $jdk22 ]]; then
  for j in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    if [[ $(java_feature "$j") -ge 22 ]] 2>/dev/null; then jdk22=${j%/}; break; fi
  done
fi
