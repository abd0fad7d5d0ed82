package io.jlora.kernel.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionInfoTest {
    @TempDir
    Path dir;

    @Test
    void theFilesIpIsTheOnlyAddressBound() throws IOException {
        ConnectionInfo info = ConnectionInfo.read(file("127.0.0.1", "hmac-sha256", "k"));
        assertEquals("tcp://127.0.0.1:5001", info.address(5001));
        assertEquals(List.of(), info.warnings(dir.resolve("c.json")));
    }

    @Test
    void anUnknownSignatureSchemeIsRefusedNamingTheFile() throws IOException {
        Path file = file("127.0.0.1", "hmac-sha3-512", "k");
        IOException e = assertThrows(IOException.class, () -> ConnectionInfo.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'hmac-sha3-512'")
                && e.getMessage().contains("hmac-sha256"), e.getMessage());
    }

    @Test
    void aKeyOthersCanReadIsWarnedAbout() throws IOException {
        Path file = file("127.0.0.1", "hmac-sha256", "k");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> warnings = ConnectionInfo.read(file).warnings(file);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("readable by other users (rw-r--r--)"), warnings.get(0));
    }

    @Test
    void anEmptyKeyAndAnOpenIpAreWarnedAbout() throws IOException {
        Path file = file("0.0.0.0", "hmac-sha256", "");
        List<String> warnings = ConnectionInfo.read(file).warnings(file);
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("empty key") && warnings.get(0).contains("not signed"), warnings.get(0));
        assertTrue(warnings.get(1).contains("0.0.0.0") && warnings.get(1).contains("other hosts"), warnings.get(1));
    }

    private Path file(String ip, String scheme, String key) throws IOException {
        Path file = dir.resolve("c.json");
        Files.writeString(file, "{\"transport\":\"tcp\",\"ip\":\"" + ip + "\",\"shell_port\":5001,\"iopub_port\":5002,"
                + "\"stdin_port\":5003,\"control_port\":5004,\"hb_port\":5005,\"signature_scheme\":\"" + scheme
                + "\",\"key\":\"" + key + "\"}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
