package io.handoff.handler;

/**
 * Sizes the HTTP handler accepts ({@code --max-header-bytes}, {@code --max-body-bytes}).
 *
 * @param maxHeaderBytes the request head, request line to blank line, line endings included: a longer request line
 *                       alone is answered 414, a longer head 431 (trailers of a chunked body count against it too)
 * @param maxBodyBytes   the request body (Content-Length, or the sum of the chunks): a larger one is answered 413
 *                       before any of it is read (chunked: as soon as a chunk size takes it over); 0 for no limit
 */
public record HttpLimits(int maxHeaderBytes, long maxBodyBytes) {
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** Room for "GET / HTTP/1.1" and a Host line; below this nothing could be served. */
    public static final int MIN_HEADER_BYTES = 256;
    public static final int MAX_HEADER_BYTES = 1024 * 1024;
    public static final HttpLimits DEFAULT = new HttpLimits(DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_BODY_BYTES);

    public HttpLimits {
        if (maxHeaderBytes < MIN_HEADER_BYTES || maxHeaderBytes > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("max header bytes must be between " + MIN_HEADER_BYTES + " and "
                    + MAX_HEADER_BYTES + ", got " + maxHeaderBytes);
        }
        if (maxBodyBytes < 0) throw new IllegalArgumentException("max body bytes must be 0 or more, got " + maxBodyBytes);
    }
}
