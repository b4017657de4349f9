package io.handoff.handler;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/** The constant bytes of every response, made once so serving a request is mostly array copies. */
final class HttpResponses {
    static final byte[] CRLF = ascii("\r\n");
    static final byte[] SERVER = ascii("Server: handoff\r\n");
    static final byte[] CONNECTION_CLOSE = ascii("Connection: close\r\n");
    static final byte[] CONNECTION_KEEP_ALIVE = ascii("Connection: keep-alive\r\n");
    static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    static final byte[] OK = ascii("HTTP/1.1 200 OK\r\n");
    /** The interim answer to "Expect: 100-continue": send the body. */
    static final byte[] CONTINUE = ascii("HTTP/1.1 100 Continue\r\n\r\n");

    static final byte[] HELLO_BODY = ascii("hello\n");
    /** Everything of the hello response head that never changes; Date and Connection follow it. */
    static final byte[] HELLO_HEAD = ascii("HTTP/1.1 200 OK\r\nServer: handoff\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + HELLO_BODY.length + "\r\n");

    private static final byte[] OCTET_STREAM = contentType("application/octet-stream");
    private static final Map<String, byte[]> TYPES = Map.ofEntries(
            Map.entry("html", contentType("text/html; charset=utf-8")),
            Map.entry("htm", contentType("text/html; charset=utf-8")),
            Map.entry("txt", contentType("text/plain; charset=utf-8")),
            Map.entry("css", contentType("text/css; charset=utf-8")),
            Map.entry("js", contentType("text/javascript; charset=utf-8")),
            Map.entry("json", contentType("application/json")),
            Map.entry("png", contentType("image/png")),
            Map.entry("jpg", contentType("image/jpeg")),
            Map.entry("jpeg", contentType("image/jpeg")),
            Map.entry("svg", contentType("image/svg+xml")));

    /** Status, headers but Connection and Date, for each error; and its body. Indexed by status - 400. */
    private static final byte[][] ERROR_HEAD = new byte[200][];
    private static final byte[][] ERROR_BODY = new byte[200][];

    static {
        for (int status : new int[] {400, 403, 404, 405, 408, 413, 414, 431, 500, 501, 505}) {
            String body = status + " " + reason(status) + "\n";
            String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\nServer: handoff\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n"
                    + (status == 405 ? "Allow: GET, HEAD\r\n" : "");
            ERROR_HEAD[status - 400] = ascii(head);
            ERROR_BODY[status - 400] = ascii(body);
        }
    }

    private HttpResponses() {}

    static byte[] errorHead(int status) { return ERROR_HEAD[index(status)]; }

    static byte[] errorBody(int status) { return ERROR_BODY[index(status)]; }

    private static int index(int status) {
        // An unexpected status must still produce a well-formed answer; 500 says what happened.
        return status >= 400 && status < 600 && ERROR_HEAD[status - 400] != null ? status - 400 : 100;
    }

    /** The Content-Type line for a file name, by its extension. */
    static byte[] contentTypeFor(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0) return OCTET_STREAM;
        return TYPES.getOrDefault(fileName.substring(dot + 1).toLowerCase(Locale.ROOT), OCTET_STREAM);
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Internal Server Error";
        };
    }

    private static byte[] contentType(String type) { return ascii("Content-Type: " + type + "\r\n"); }

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }
}
