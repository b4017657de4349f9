package io.handoff.unix;

/** struct ucred: who is at the other end of a Unix socket. */
public record PeerCredentials(int pid, int uid, int gid) {}
