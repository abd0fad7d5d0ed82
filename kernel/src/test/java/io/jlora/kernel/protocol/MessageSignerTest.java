package io.jlora.kernel.protocol;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageSignerTest {
    private static final byte[][] FRAMES = {
            "{\"msg_id\":\"1\"}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
            "{}".getBytes(StandardCharsets.UTF_8), "{\"code\":\"1+1\"}".getBytes(StandardCharsets.UTF_8)};

    private final MessageSigner signer = new MessageSigner("hmac-sha256", "the-key");

    @Test
    void theRightSignatureIsAcceptedAndMatchesJupyterClients() {
        String signature = signer.sign(FRAMES);
        assertEquals(64, signature.length(), "hex of a 32-byte HMAC-SHA256");
        assertTrue(signature.matches("[0-9a-f]+"), "lowercase hex, as jupyter_client's hexdigest()");
        assertTrue(signer.verify(ascii(signature), FRAMES));
    }

    @Test
    void aSignatureWrongInItsFirstOrLastByteIsRefused() {
        byte[] good = ascii(signer.sign(FRAMES));
        byte[] firstWrong = good.clone();
        firstWrong[0] = (byte) (firstWrong[0] == 'a' ? 'b' : 'a');
        byte[] lastWrong = good.clone();
        lastWrong[lastWrong.length - 1] = (byte) (lastWrong[lastWrong.length - 1] == 'a' ? 'b' : 'a');
        assertFalse(signer.verify(firstWrong, FRAMES));
        assertFalse(signer.verify(lastWrong, FRAMES));
        assertFalse(signer.verify(java.util.Arrays.copyOf(good, good.length - 1), FRAMES), "truncated");
        assertFalse(signer.verify(new byte[0], FRAMES), "unsigned");
        assertFalse(new MessageSigner("hmac-sha256", "another-key").verify(good, FRAMES), "signed with another key");
    }

    @Test
    void aChangedFrameInvalidatesTheSignature() {
        byte[] good = ascii(signer.sign(FRAMES));
        byte[][] tampered = FRAMES.clone();
        tampered[3] = "{\"code\":\"System.exit(0)\"}".getBytes(StandardCharsets.UTF_8);
        assertFalse(signer.verify(good, tampered));
    }

    /** The comparison must not stop at the first wrong byte: the check is that verify uses MessageDigest.isEqual. */
    @Test
    void verifyComparesInConstantTime() throws IOException {
        List<String> calls = callsIn("verify");
        assertTrue(calls.contains("java/security/MessageDigest.isEqual"), "verify calls " + calls);
        for (String call : calls) {
            assertFalse(call.endsWith(".equals") || call.endsWith(".contentEquals") || call.endsWith(".compareTo"),
                    "verify must not compare with " + call);
        }
    }

    @Test
    void otherSchemesWorkAndUnknownOnesAreRefusedByName() {
        MessageSigner sha512 = new MessageSigner("hmac-sha512", "the-key");
        assertEquals(128, sha512.sign(FRAMES).length());
        assertTrue(sha512.verify(ascii(sha512.sign(FRAMES)), FRAMES));
        assertFalse(sha512.verify(ascii(signer.sign(FRAMES)), FRAMES), "a sha256 signature under sha512");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MessageSigner("hmac-sha3-512", "k"));
        assertTrue(e.getMessage().contains("'hmac-sha3-512'") && e.getMessage().contains("hmac-sha256"), e.getMessage());
    }

    @Test
    void anEmptyKeyTurnsSigningOff() {
        MessageSigner off = new MessageSigner("hmac-sha256", "");
        assertFalse(off.enabled());
        assertEquals("", off.sign(FRAMES));
        assertTrue(off.verify(new byte[0], FRAMES), "Jupyter's rule: no key, no signatures");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** owner.name of every method the named method of MessageSigner calls, read from its bytecode. */
    private static List<String> callsIn(String method) throws IOException {
        List<String> calls = new ArrayList<>();
        try (InputStream in = MessageSigner.class.getResourceAsStream("MessageSigner.class")) {
            new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                    if (!name.equals(method)) return null;
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String called, String desc, boolean itf) {
                            calls.add(owner + "." + called);
                        }
                    };
                }
            }, 0);
        }
        return calls;
    }
}
