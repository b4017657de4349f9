package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Servlet apps on Jetty in the supervisor, each request on a virtual thread. */
class ServletVirtualTest extends ServletAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "virtual"); }

    @Test
    void aReloadInPlaceIsRefusedWithTheReasonAndTheAppServesOn() throws Exception {
        String line = server.log().lines().filter(l -> l.contains("control socket ")).findFirst().orElseThrow();
        Path socket = Path.of(line.substring(line.indexOf("control socket ") + "control socket ".length()).trim());
        Map<String, Object> answer = Control.send(socket, "reload");
        assertEquals(false, answer.get("ok"), answer.toString());
        assertTrue(answer.toString().contains("--model fork"), answer.toString());
        assertEquals(200, get("/hello").statusCode());
    }
}
