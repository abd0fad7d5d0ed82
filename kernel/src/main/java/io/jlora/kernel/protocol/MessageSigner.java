package io.jlora.kernel.protocol;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Signs and checks messages with the connection file's key (HMAC over header, parent header, metadata
 * and content, as the wire protocol says). An empty key means signing is off, as in jupyter_client.
 */
public final class MessageSigner {
    /** The connection file's signature_scheme names this kernel accepts, and the JCE algorithm of each. */
    public static final java.util.Map<String, String> SCHEMES = java.util.Map.of(
            "hmac-sha256", "HmacSHA256", "hmac-sha512", "HmacSHA512", "hmac-sha1", "HmacSHA1", "hmac-md5", "HmacMD5");

    private final Mac prototype;

    public MessageSigner(String scheme, String key) {
        if (key == null || key.isEmpty()) {
            prototype = null;
            return;
        }
        String algorithm = SCHEMES.get(scheme);
        if (algorithm == null) {
            throw new IllegalArgumentException("unsupported signature_scheme '" + scheme + "' (supported: "
                    + String.join(", ", new java.util.TreeSet<>(SCHEMES.keySet())) + ")");
        }
        try {
            prototype = Mac.getInstance(algorithm);
            prototype.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), algorithm));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up " + algorithm, e);
        }
    }

    public boolean enabled() {
        return prototype != null;
    }

    /** The lowercase hex signature of the four frames, or "" when signing is off. */
    public String sign(byte[]... frames) {
        if (prototype == null) return "";
        Mac mac;
        try {
            mac = (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        for (byte[] frame : frames) mac.update(frame);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /**
     * Constant-time check ({@link MessageDigest#isEqual} looks at every byte whatever the first difference),
     * so that timing tells an attacker nothing about how much of a forgery was right.
     * With signing off (empty key) every message passes, as jupyter_client does.
     */
    public boolean verify(byte[] signature, byte[]... frames) {
        if (prototype == null) return true;
        byte[] expected = sign(frames).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature);
    }
}
