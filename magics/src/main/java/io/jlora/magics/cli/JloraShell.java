package io.jlora.magics.cli;

import jdk.jshell.tool.JavaShellToolBuilder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bin/jlora-shell}: the JDK's own jshell tool, started inside a JVM that has jlora on its class
 * path and running snippets in that same JVM (local execution), as the kernel does, so that DJL's
 * native libraries load once and the helpers see the same objects. Arguments go to jshell.
 */
public final class JloraShell {
    private JloraShell() {
    }

    public static void main(String[] args) throws Exception {
        List<String> options = new ArrayList<>(List.of("--execution", "local"));
        options.addAll(Arrays.asList(args));
        JavaShellToolBuilder.builder().start(options.toArray(String[]::new));
    }
}
