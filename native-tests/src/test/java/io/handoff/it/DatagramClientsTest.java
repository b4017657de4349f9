package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients no one here wrote, against one fork-model server (two workers on the shared sockets): Python's socket
 * module used exactly as the textbook UDP and Unix datagram clients use it, socat, and {@code nc -u}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DatagramClientsTest {
    @TempDir
    static Path tmp;

    private static ServerProcess server;
    private static int port;
    private static Path unixgram;

    @BeforeAll
    static void start() throws Exception {
        unixgram = tmp.resolve("echo.sock");
        server = ServerProcess.serve("--model", "fork", "--workers", "2", "--handler", "echo",
                "--bind", "udp:127.0.0.1:0", "--bind", "unixgram:" + unixgram, "--control",
                tmp.resolve("ctl.sock").toString());
        port = DatagramContract.udpPort(server);
    }

    @AfterAll
    static void stop() {
        if (server == null) return;
        server.close();
        System.out.println("---- server log ----\n" + server.log());
    }

    /** Runs {@code cmd} with {@code input} on stdin, bounded; returns stdout (stderr goes to the test output). */
    static String run(String input, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError(String.join(" ", cmd) + " hung");
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }

    static boolean has(String tool) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "command -v " + tool + " >/dev/null").start();
        try {
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } finally {
            p.destroyForcibly();
        }
    }

    /** Installs a Debian package if {@code tool} is missing (bounded); false when that is not possible here. */
    static boolean ensure(String tool, String pkg) throws Exception {
        if (has(tool)) return true;
        if (!has("apt-get")) return false;
        Process p = new ProcessBuilder("sh", "-c", "(apt-get update -qq && apt-get install -y -qq " + pkg
                + ") >/dev/null 2>&1").start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        return has(tool);
    }

    @Test
    void pythonsTextbookUdpClient() throws Exception {
        assumeTrue(has("python3"), "python3 is not installed");
        Path client = tmp.resolve("udp_client.py");
        Files.writeString(client, """
                from socket import *
                import sys
                serverName = '127.0.0.1'
                serverPort = int(sys.argv[1])
                clientSocket = socket(AF_INET, SOCK_DGRAM)
                clientSocket.settimeout(5)
                message = sys.stdin.readline().strip()
                clientSocket.sendto(message.encode(), (serverName, serverPort))
                modifiedMessage, serverAddress = clientSocket.recvfrom(2048)
                print(modifiedMessage.decode())
                clientSocket.sendto(b'', (serverName, serverPort))
                empty, serverAddress = clientSocket.recvfrom(2048)
                print(len(empty))
                clientSocket.close()
                """);
        assertEquals("hello handoff\n0\n", run("hello handoff\n", "python3", client.toString(),
                Integer.toString(port)));
    }

    @Test
    void pythonsUnixDatagramClient() throws Exception {
        assumeTrue(has("python3"), "python3 is not installed");
        Path client = tmp.resolve("unix_client.py");
        Files.writeString(client, """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.bind(sys.argv[2])
                s.settimeout(5)
                s.sendto(b'over AF_UNIX', sys.argv[1])
                data, addr = s.recvfrom(2048)
                print(data.decode(), addr)
                """);
        assertEquals("over AF_UNIX " + unixgram + "\n", run("", "python3", client.toString(), unixgram.toString(),
                tmp.resolve("py-client.sock").toString()));
    }

    @Test
    void socatOverUdpAndUnixDatagrams() throws Exception {
        assumeTrue(ensure("socat", "socat"), "socat is not installed and cannot be installed here");
        assertEquals("via socat", run("via socat", "socat", "-t", "2", "-", "UDP:127.0.0.1:" + port));
        assertEquals("unix socat", run("unix socat", "socat", "-t", "2", "-",
                "UNIX-SENDTO:" + unixgram + ",bind=" + tmp.resolve("socat-client.sock")));
    }

    @Test
    void netcatUdp() throws Exception {
        assumeTrue(ensure("nc", "netcat-openbsd"), "nc is not installed and cannot be installed here");
        // -w 2: quit two seconds after stdin ends; the echo arrives well before.
        assertEquals("via nc -u\n", run("via nc -u\n", "nc", "-u", "-w", "2", "127.0.0.1", Integer.toString(port)));
    }

}
