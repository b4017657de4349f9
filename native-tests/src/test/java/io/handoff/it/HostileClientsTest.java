package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import io.handoff.bench.HostileClients;
import io.handoff.bench.HostileClients.Outcome;

/**
 * Clients that misbehave on purpose ({@link HostileClients}) against a real {@code handoff serve --handler http}, one
 * attack per test, each bounded in count and time. Throughout every attack a well-behaved keep-alive client
 * ({@link HttpLoad}) must see no failure at all and keep being answered; afterwards every process of the server must
 * be back to the fds it held before (the attack's connections all released), with no worker lost. One server per
 * model serves all the attacks, as a production server would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class HostileClientsTest {
    private static final int LOAD_CLIENTS = 4;
    private static final int SLOWLORIS = 1000;
    /** Headroom for everything else a JVM holds open (jars, pollers, the load's sockets, the server's listeners). */
    private static final int FD_HEADROOM = 256;
    private static final Duration FD_RELEASE_TIMEOUT = Duration.ofSeconds(30);

    private ServerProcess server;
    private InetSocketAddress target;
    private java.nio.file.Path dir;

    /** The flags that pick the model, e.g. {@code --model fork --workers 2}. */
    abstract List<String> modelArgs();

    @BeforeAll
    void startServer() throws Exception {
        List<String> args = new ArrayList<>(modelArgs());
        dir = java.nio.file.Files.createTempDirectory("handoff-hostile");
        args.addAll(List.of("--handler", "http", "--bind", "127.0.0.1:0", "--control", control().toString()));
        server = ServerProcess.serve(args.toArray(String[]::new));
        target = new InetSocketAddress("127.0.0.1", server.port(0));
        warmUp();
    }

    @AfterAll
    void stopServer() throws java.io.IOException {
        if (server != null) {
            server.close();
            System.out.println("---- server pid=" + server.pid() + " log ----\n" + server.log());
        }
        if (dir != null) {
            java.nio.file.Files.deleteIfExists(control());
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    private java.nio.file.Path control() { return dir.resolve("ctl.sock"); }

    /**
     * The JDK opens some fds on first use only (the pollers behind blocking reads and writes on virtual threads):
     * serve normally, a partial request and a blocked write once, so that what each test compares against includes
     * them.
     */
    private void warmUp() throws Exception {
        try (HttpLoad load = new HttpLoad(target.getPort(), 2)) {
            awaitServed(load, 50);
            HostileClients.resetMidRequest(target, 4, 2);
            HostileClients.resetMidResponse(target, 2, 2000, 2);
        }
    }

    @Test
    void slowlorisHoldingAThousandConnectionsDoesNotStopOthersBeingServed() throws Exception {
        int n = slowlorisConnections();
        underAttack(load -> {
            int before = totalFds();
            try (HostileClients.Slowloris attack = HostileClients.Slowloris.open(target, n)) {
                // Every connection is held by the server (its fds are the proof), not queued in the backlog.
                awaitTotalFdsAtLeast(before + n * 9 / 10);
                long served = load.ok.get();
                attack.hold(Duration.ofSeconds(4), Duration.ofSeconds(2));
                assertTrue(load.ok.get() > served, "no well-behaved request answered while " + n + " were held");
                return new Outcome("slowloris", n, n - attack.dropped(),
                        attack.dropped() == 0 ? List.of() : List.of(attack.dropped() + " dropped by the server"));
            }
        });
    }

    @Test
    void floodOfConnectionsClosedAtOnce() throws Exception {
        long goneBefore = goneBeforeRequest();
        underAttack(load -> HostileClients.connectFlood(target, 500, false, 4));
        // Deferred accept brings each to accept with its FIN: closed there, never given a thread or a worker.
        long gone = goneBeforeRequest() - goneBefore;
        System.out.println("connect-close flood of 500: gone_before_request=" + gone);
        assertTrue(gone >= 450, "closed at accept: " + gone + " of 500");
    }

    private long goneBeforeRequest() throws Exception {
        Object n = Control.send(control(), "status").get("gone_before_request");
        assertTrue(n instanceof Number, "status has gone_before_request: " + n);
        return ((Number) n).longValue();
    }

    @Test
    void floodOfConnectionsResetAtOnce() throws Exception {
        underAttack(load -> HostileClients.connectFlood(target, 500, true, 4));
    }

    @Test
    void clientsResettingMidRequest() throws Exception {
        underAttack(load -> HostileClients.resetMidRequest(target, 200, 4));
    }

    @Test
    void clientsResettingMidResponse() throws Exception {
        underAttack(load -> HostileClients.resetMidResponse(target, 20, 2000, 4));
    }

    @Test
    void halfClosedClientsStillGetEveryAnswer() throws Exception {
        underAttack(load -> HostileClients.halfClose(target, 90, 4));
    }

    @Test
    void megabyteOfGarbageIsRefusedAndClosed() throws Exception {
        underAttack(load -> HostileClients.garbage(target, 4, 1024 * 1024, 42));
    }

    @Test
    void hundredKilobyteRequestLineGets414AndClose() throws Exception {
        underAttack(load -> HostileClients.longRequestLine(target, 10, 100 * 1024));
    }

    @Test
    void pipelineSplitAtEveryByteIsAnsweredExactlyAndInOrder() throws Exception {
        underAttack(load -> HostileClients.pipelineSplits(target, Duration.ofMillis(2), 4));
    }

    interface Attack {
        Outcome run(HttpLoad load) throws Exception;
    }

    /**
     * Runs {@code attack} while a well-behaved client loads the server, then checks: the attack saw what a correct
     * server does, the client saw no failure and was still answered after the attack, no worker was lost, and every
     * process holds no more fds than before.
     */
    private void underAttack(Attack attack) throws Exception {
        Map<Long, Integer> fdsBefore = Procs.fdCounts(server);
        List<Long> workers = server.workerPids();
        Outcome outcome;
        String summary;
        HttpLoad load = new HttpLoad(target.getPort(), LOAD_CLIENTS);
        try {
            awaitServed(load, 10);
            outcome = attack.run(load);
            awaitServed(load, load.ok.get() + 10);
        } finally {
            summary = load.stop();
        }
        System.out.println(outcome + " well-behaved: " + summary + " fds before " + fdsBefore);
        assertTrue(outcome.clean(), outcome.toString());
        assertEquals(0, load.failed.get(), summary);
        assertEquals(0, load.refused.get() + load.resetUnanswered.get(), summary);
        assertEquals(workers, server.workerPids(), "workers before and after the attack\n" + server.log());
        Procs.awaitFdCountsAtMost(server, fdsBefore, FD_RELEASE_TIMEOUT);
    }

    /**
     * A thousand, unless this JVM or the server may not open that many fds: in the worst case one server process
     * holds every attack connection, and this JVM holds their other ends.
     */
    private int slowlorisConnections() throws Exception {
        long limit = Procs.openFilesLimit("self");
        int held = 0;
        for (var e : Procs.fdCounts(server).entrySet()) {
            limit = Math.min(limit, Procs.openFilesLimit(Long.toString(e.getKey())));
            held = Math.max(held, e.getValue());
        }
        long n = Math.min(SLOWLORIS, limit - held - FD_HEADROOM);
        System.out.println("slowloris connections=" + n + " (RLIMIT_NOFILE: smallest soft limit " + limit + ")");
        Assumptions.assumeTrue(n >= 100, "RLIMIT_NOFILE " + limit + " leaves room for " + n + " connections");
        return (int) n;
    }

    private int totalFds() throws Exception {
        return Procs.fdCounts(server).values().stream().mapToInt(Integer::intValue).sum();
    }

    private void awaitTotalFdsAtLeast(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int now;
        while ((now = totalFds()) < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("server holds " + now + " fds, expected at least " + n + "\n" + server.log());
            }
            Thread.sleep(50);
        }
    }

    /** Waits (bounded) until the well-behaved client has had {@code n} answers in all. */
    private static void awaitServed(HttpLoad load, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (load.ok.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("well-behaved client not answered: " + load.stop());
            }
            Thread.sleep(5);
        }
    }
}
