package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small value types: repo ids, token resolution and masking, the endpoint, the commit body. */
class HubValuesTest {

    @TempDir
    Path tmp;

    @Test
    void repoIdsParseAndBadOnesAreRefusedEarly() {
        assertEquals(new RepoId("user", "my-model.v2"), RepoId.parse("user/my-model.v2"));
        assertNull(RepoId.parse("model").owner());
        assertEquals("org/m", RepoId.parse("org/m").toString());
        for (String bad : new String[] {"", "a/b/c", "/m", "u/", "u/../x", "u/m?x", "u/-m", "u/m.git", "u/a--b"}) {
            assertThrows(JloraException.class, () -> RepoId.parse(bad), bad);
        }
    }

    @Test
    void theTokenComesFromTheOptionElseHfToken() {
        HubToken t = HubToken.resolve(null, Map.of("HF_TOKEN", "hf_fromEnv1234"));
        assertEquals("Bearer hf_fromEnv1234", t.bearer());
        assertEquals("Bearer hf_given5678", HubToken.resolve("hf_given5678", Map.of("HF_TOKEN", "hf_fromEnv1234")).bearer());
        JloraException none = assertThrows(JloraException.class, () -> HubToken.resolve(null, Map.of()));
        assertTrue(none.getMessage().contains("--token") && none.getMessage().contains("HF_TOKEN"), none.getMessage());
        assertEquals("said " + HubToken.MASK + " twice: " + HubToken.MASK, t.mask("said hf_fromEnv1234 twice: hf_fromEnv1234"));
    }

    @Test
    void theEndpointIsHfEndpointElseHuggingFaceAndOnlyItGetsTheToken() {
        assertEquals("https://huggingface.co", HubEndpoint.fromEnvironment(Map.of()).toString());
        HubEndpoint local = HubEndpoint.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/"));
        assertEquals(URI.create("http://127.0.0.1:8080/api/repos/create"), local.resolve("/api/repos/create"));
        assertTrue(local.owns(URI.create("http://127.0.0.1:8080/x.git/info/lfs/objects/verify")));
        assertFalse(local.owns(URI.create("http://127.0.0.1:9000/storage")));
        assertTrue(HubEndpoint.of("https://huggingface.co").owns(URI.create("https://huggingface.co:443/a")));
        assertFalse(HubEndpoint.of("https://huggingface.co").owns(URI.create("https://s3.amazonaws.com/a")));
        assertThrows(JloraException.class, () -> HubEndpoint.of("ftp://hub"));
    }

    @Test
    void theCommitBodyIsAHeaderLineThenOneLinePerFile() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        Path config = Files.writeString(root.resolve("config.json"), "{\"a\": 1}");
        Path weights = Files.write(root.resolve("model.safetensors"), new byte[1000]);
        UploadFile c = UploadFile.of(root, config);
        UploadFile w = UploadFile.of(root, weights);
        assertFalse(c.lfsByDefault());
        assertTrue(w.lfsByDefault());
        assertEquals(FakeHub.sha256(new byte[1000]), w.sha256());
        assertEquals(512, Base64.getDecoder().decode(w.sampleBase64()).length);

        String[] lines = new String(new HubCommit("sum", "desc").addRegular(c).addLfs(w).toNdjson(),
                StandardCharsets.UTF_8).split("\n");
        ObjectMapper json = new ObjectMapper();
        assertEquals(3, lines.length);
        assertEquals(json.readTree("{\"key\":\"header\",\"value\":{\"summary\":\"sum\",\"description\":\"desc\"}}"),
                json.readTree(lines[0]));
        JsonNode file = json.readTree(lines[1]);
        assertEquals("file", file.path("key").asText());
        assertEquals("config.json", file.path("value").path("path").asText());
        assertEquals("base64", file.path("value").path("encoding").asText());
        assertEquals("{\"a\": 1}", new String(Base64.getDecoder().decode(file.path("value").path("content").asText()),
                StandardCharsets.UTF_8));
        assertEquals(json.readTree("{\"key\":\"lfsFile\",\"value\":{\"path\":\"model.safetensors\",\"algo\":\"sha256\","
                + "\"oid\":\"" + w.sha256() + "\",\"size\":1000}}"), json.readTree(lines[2]));
    }

    @Test
    void aFileOutsideTheFolderIsRefused() throws Exception {
        Path outside = Files.writeString(tmp.resolve("x.json"), "{}");
        assertThrows(JloraException.class, () -> UploadFile.of(Files.createDirectories(tmp.resolve("m")), outside));
    }
}
