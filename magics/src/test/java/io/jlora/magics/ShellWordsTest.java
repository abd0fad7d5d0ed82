package io.jlora.magics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShellWordsTest {
    @Test
    void splitsLikeAShell() {
        assertEquals(List.of("generate", "--prompt", "Hello world", "--x", "it's"),
                ShellWords.split("generate --prompt \"Hello world\"  --x 'it'\\''s'"));
        assertEquals(List.of("a\"b", "c d"), ShellWords.split("\"a\\\"b\" c\\ d"));
        assertEquals(List.of(), ShellWords.split("   "));
        assertEquals(List.of(""), ShellWords.split("''"));
    }

    @Test
    void aTrailingSlashSlashCommentIsDropped() {
        // the README's line, pasted as it is
        assertEquals(List.of("train", "--steps", "60"), ShellWords.split("train --steps 60          // the loss plot updates in place"));
        assertEquals(List.of("generate", "--prompt", "see http://x.org // not a comment", "--model", "a//b"),
                ShellWords.split("generate --prompt \"see http://x.org // not a comment\" --model a//b // a comment"));
        assertEquals(List.of(), ShellWords.split("// only a comment"));
    }

    @Test
    void unclosedQuoteIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> ShellWords.split("--prompt \"oops"));
    }

    @Test
    void cellMagicJsonBodyBecomesOptions() {
        assertEquals(List.of("--lora-r", "8", "--use-rslora", "true"),
                LoraMagics.optionsFromJson("{\"lora_r\": 8, \"use-rslora\": true}"));
    }
}
