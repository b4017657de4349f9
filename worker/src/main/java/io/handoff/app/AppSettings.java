package io.handoff.app;

import io.handoff.handler.HttpLimits;
import io.handoff.handler.Timeouts;

/**
 * What the serving model tells an application engine: where requests run ({@code fork}: a worker process, requests
 * on virtual threads; {@code threads}: a pool of {@code threads} platform threads; {@code virtual}: a virtual thread
 * per request), and the limits of {@code handoff serve} that the framework can enforce.
 */
public record AppSettings(String model, int threads, Timeouts timeouts, HttpLimits limits) {}
