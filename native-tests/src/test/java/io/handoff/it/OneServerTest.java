package io.handoff.it;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests that run one supervisor at a time: it is killed (by pid, with its workers) after each test, its log kept. */
abstract class OneServerTest {
    @TempDir
    Path tmp;

    ServerProcess server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
            // Lands in surefire-reports/*-output.txt: the server's side of any failure.
            System.out.println("---- server log ----\n" + server.log());
        }
    }
}
