package io.handoff.dispatch;

import io.handoff.protocol.Message.Family;
import io.handoff.unix.Fd;

/** An accepted connection waiting in the supervisor for a worker: its fd is the supervisor's until a send succeeds. */
record Pending(Fd fd, Family family, byte[] peer) {}
