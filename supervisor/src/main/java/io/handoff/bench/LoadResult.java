package io.handoff.bench;

import org.HdrHistogram.Histogram;

/**
 * What one load run measured inside its window.
 *
 * @param requests      completed, good responses (for hello: greetings read; for close: connections)
 * @param seconds       the length of the measured window
 * @param warmupSeconds how long the load ran before the window opened
 */
record LoadResult(long requests, double seconds, double warmupSeconds, Latency latency, ErrorCounts errors) {
    double perSecond() {
        return seconds > 0 ? requests / seconds : 0;
    }

    /** Latency percentiles in milliseconds. */
    record Latency(double p50, double p90, double p99, double p999, double max, double mean) {
        static Latency of(Histogram nanos) {
            if (nanos.getTotalCount() == 0) return new Latency(0, 0, 0, 0, 0, 0);
            return new Latency(ms(nanos.getValueAtPercentile(50)), ms(nanos.getValueAtPercentile(90)),
                    ms(nanos.getValueAtPercentile(99)), ms(nanos.getValueAtPercentile(99.9)), ms(nanos.getMaxValue()),
                    nanos.getMean() / 1e6);
        }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }

    /**
     * Failures inside the window, by kind: could not connect, connection reset or closed mid-response, no answer
     * within the timeout, and answers that were not a good response (non-2xx/3xx status, not HTTP, short greeting).
     */
    record ErrorCounts(long connect, long reset, long timeout, long badResponse) {
        long total() {
            return connect + reset + timeout + badResponse;
        }

        ErrorCounts plus(ErrorCounts o) {
            return new ErrorCounts(connect + o.connect, reset + o.reset, timeout + o.timeout,
                    badResponse + o.badResponse);
        }
    }
}
