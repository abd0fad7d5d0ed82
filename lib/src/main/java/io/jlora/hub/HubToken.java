package io.jlora.hub;

import io.jlora.JloraException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face access token. It is a secret: {@link #toString()} prints a mask, and
 * {@link #mask(String)} scrubs it from any text (a server's error message may echo the header it
 * received) before that text reaches a message or a log.
 */
public final class HubToken {

    /** What the token is replaced with in text. */
    public static final String MASK = "hf_***";

    private final String secret;

    private HubToken(String secret) {
        this.secret = secret;
    }

    /**
     * Wraps a token. Characters that cannot go into an HTTP header are refused here, with a message
     * that does not quote the token, instead of by the HTTP client, whose message would.
     */
    public static HubToken of(String secret) {
        if (secret == null || secret.isBlank()) {
            throw new JloraException("the Hugging Face token is empty");
        }
        String t = secret.strip();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c <= ' ' || c >= 127) {
                throw new JloraException("the Hugging Face token contains a character that is not printable ASCII "
                        + "(at position " + i + "); copy it again from https://huggingface.co/settings/tokens");
            }
        }
        return new HubToken(t);
    }

    /**
     * The explicit token when given, else the {@code HF_TOKEN} environment variable (as
     * huggingface_hub reads it).
     *
     * @throws JloraException when neither is set
     */
    public static HubToken resolve(String explicit, Map<String, String> env) {
        if (explicit != null && !explicit.isBlank()) {
            return of(explicit);
        }
        String fromEnv = env.get("HF_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return of(fromEnv);
        }
        throw new JloraException("pushing to the Hub needs a token with write access: pass --token T or set HF_TOKEN");
    }

    /** No token: what a download of a public repo sends (no Authorization header). */
    public static HubToken anonymous() {
        return new HubToken(null);
    }

    /**
     * The token a download uses, found where huggingface_hub looks: {@code explicit}, else
     * {@code HF_TOKEN}, else the file {@code hf auth login} writes ({@code HF_TOKEN_PATH}, else
     * {@code HF_HOME/token}, else {@code HOME/.cache/huggingface/token}); else {@link #anonymous()}.
     */
    public static HubToken forDownload(String explicit, Map<String, String> env, Path home) {
        if (explicit != null && !explicit.isBlank()) {
            return of(explicit);
        }
        String fromEnv = env.get("HF_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return of(fromEnv);
        }
        Path file = env.get("HF_TOKEN_PATH") != null ? Path.of(env.get("HF_TOKEN_PATH"))
                : HubSettings.hfHome(env, home).resolve("token");
        try {
            String saved = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
            return saved.isEmpty() ? anonymous() : of(saved);
        } catch (IOException e) {
            throw new JloraException("cannot read the Hugging Face token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether there is a token to send. */
    public boolean isPresent() {
        return secret != null;
    }

    /** The Authorization header value; package-private so that only the HTTP layer sees the secret. */
    String bearer() {
        return "Bearer " + secret;
    }

    /** {@code text} with every occurrence of the token replaced by {@link #MASK}; null stays null. */
    public String mask(String text) {
        return text == null || secret == null ? text : text.replace(secret, MASK);
    }

    @Override
    public String toString() {
        return MASK;
    }
}
