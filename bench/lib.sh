# Shared by the bench/*/run.sh scripts, sourced from the repository root.

# lib_classpath FILE: compiles lib's main and test classes (offline) and prints the class path that
# runs them: test classes, classes, then the dependencies, whose list Maven writes to FILE.
lib_classpath() {
  mvn -B -q -o -pl lib test-compile dependency:build-classpath -Dmdep.outputFile="$1" >/dev/null
  echo "lib/target/test-classes:lib/target/classes:$(cat "$1")"
}
