package io.jlora.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The valid files that mutations start from: the golden tiny Llama and its PEFT adapter in the
 * repository's models/ folder (the test runs in lib/, so one level up).
 */
final class Seeds {

    private Seeds() {}

    static Path models() {
        Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        for (Path p = base; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/tiny-llama"))) {
                return p.resolve("models");
            }
        }
        throw new IllegalStateException("models/tiny-llama not found above " + base);
    }

    static Path model() {
        return models().resolve("tiny-llama");
    }

    static Path adapter() {
        return models().resolve("tiny-llama-adapter");
    }

    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
