package io.jlora.kernel.magic;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The kernel's own magics: {@code %classpath} / {@code %jars} add jars or folders (globs allowed),
 * {@code %maven g:a:v} adds an artifact with its dependencies, {@code %lsmagic} lists every magic.
 */
public final class BuiltinMagics {
    private BuiltinMagics() {
    }

    public static void register(MagicRegistry registry, Consumer<String> classpath) {
        LineMagic addPaths = args -> {
            List<String> added = new ArrayList<>();
            for (String pattern : args.trim().split("[\\s" + File.pathSeparator + "]+")) {
                if (pattern.isEmpty()) continue;
                List<Path> paths = expand(pattern);
                if (paths.isEmpty()) throw new MagicException("%classpath: nothing matches '" + pattern + "'");
                for (Path path : paths) {
                    classpath.accept(path.toString());
                    added.add(path.toString());
                }
            }
            if (added.isEmpty()) throw new MagicException("%classpath needs a jar, a folder or a glob such as lib/*.jar");
            System.out.println("added to the class path: " + String.join(", ", added));
            return null;
        };
        registry.line("classpath", addPaths);
        registry.line("jars", addPaths);
        registry.line("maven", args -> {
            if (args.isBlank()) throw new MagicException("%maven needs group:artifact:version");
            MavenResolver resolver = MavenResolver.defaults();
            for (String coordinates : args.trim().split("\\s+")) {
                List<File> jars = resolver.resolve(coordinates);
                for (File jar : jars) classpath.accept(jar.getAbsolutePath());
                System.out.println(coordinates + ": added " + jars.size() + " jar(s)");
            }
            return null;
        });
        registry.line("lsmagic", args -> {
            StringBuilder text = new StringBuilder("line magics: ");
            registry.lineNames().forEach(n -> text.append('%').append(n).append(' '));
            text.append("\ncell magics: ");
            registry.cellNames().forEach(n -> text.append("%%").append(n).append(' '));
            System.out.println(text.toString().strip());
            return null;
        });
    }

    /** A path, or a glob in its last parts (lib/*.jar, libs/**.jar). */
    static List<Path> expand(String pattern) throws IOException {
        String expanded = pattern.startsWith("~") ? System.getProperty("user.home") + pattern.substring(1) : pattern;
        if (!expanded.contains("*") && !expanded.contains("?")) {
            Path path = Path.of(expanded).toAbsolutePath().normalize();
            return Files.exists(path) ? List.of(path) : List.of();
        }
        int wildcard = expanded.indexOf('*') >= 0 ? expanded.indexOf('*') : expanded.indexOf('?');
        int slash = expanded.lastIndexOf('/', wildcard);
        Path base = Path.of(slash < 0 ? "." : expanded.substring(0, Math.max(1, slash))).toAbsolutePath().normalize();
        String glob = slash < 0 ? expanded : expanded.substring(slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        if (!Files.isDirectory(base)) return List.of();
        try (Stream<Path> files = Files.walk(base, glob.contains("**") ? Integer.MAX_VALUE : 1)) {
            return files.filter(p -> !p.equals(base) && matcher.matches(base.relativize(p))).sorted().toList();
        }
    }
}
