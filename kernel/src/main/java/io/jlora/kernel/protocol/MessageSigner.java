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
    private final Mac prototype;

    public MessageSigner(String scheme, String key) {
        if (key == null || key.isEmpty()) {
            prototype = null;
            return;
        }
        String algorithm = switch (scheme) {
            case "hmac-sha256" -> "HmacSHA256";
            case "hmac-sha512" -> "HmacSHA512";
            case "hmac-sha1" -> "HmacSHA1";
            case "hmac-md5" -> "HmacMD5";
            default -> throw new IllegalArgumentException("unsupported signature_scheme '" + scheme + "' in the connection file");
        };
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

    /** Constant-time check, so that timing tells an attacker nothing about how much of a forgery was right. */
    public boolean verify(byte[] signature, byte[]... frames) {
        if (prototype == null) return true;
        byte[] expected = sign(frames).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature);
    }
}
