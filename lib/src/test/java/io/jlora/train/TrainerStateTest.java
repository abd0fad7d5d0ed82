package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** trainer_state.json: the state, the whole config included, reads back as written; older files still read. */
class TrainerStateTest {

    @Test
    void stateRoundTripsWithTheWholeConfig() {
        TrainerConfig config = TrainerConfig.builder().steps(12).lr(1e-3).scheduler("linear").warmupSteps(2)
                .maxGradNorm(0).seed(7).saveEvery(4).outputDir(Path.of("/tmp/run")).nonFinite(NonFinitePolicy.STOP).build();
        TrainerState state = new TrainerState(8, 7, 12, 1, 3, 7, "dpo", 20, LrSchedule.of(config, 12), config,
                List.of(new TrainerState.Logged(1, 2.5, 0.0, 1.25), new TrainerState.Logged(2, Double.NaN, 5e-4, 0.5)));
        ObjectNode json = Checkpoint.toJson(state);
        assertEquals(12, json.path("config").path("steps").asLong());
        assertEquals("linear", json.path("config").path("scheduler").asText());
        TrainerState read = Checkpoint.fromJson(json);
        assertEquals(state.config(), read.config());
        assertEquals(state.toString(), read.toString());
    }

    @Test
    void olderStatesRead() throws Exception {
        ObjectNode old = (ObjectNode) new ObjectMapper().readTree("{\"global_step\": 5, \"optimizer_step\": 5, \"epoch\": 0,"
                + " \"data_offset\": 20, \"seed\": 42, \"train_examples\": 40, \"config\": \"TrainerConfig{steps=10}\","
                + " \"log_history\": []}");
        TrainerState s = Checkpoint.fromJson(old);
        assertEquals(5, s.globalStep());
        assertEquals(-1, s.plannedSteps());
        assertNull(s.objective());
        assertNull(s.config());
        assertNull(s.schedule());
    }
}
