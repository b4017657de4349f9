package io.handoff.supervisor;

import java.util.concurrent.BlockingQueue;

import sun.misc.Signal;

/** Signal handlers that do nothing but enqueue: the loop decides what a signal means. */
final class Signals {
    private Signals() {}

    static void install(BlockingQueue<Event> events, String... names) {
        for (String name : names) Signal.handle(new Signal(name), sig -> events.add(new Event.Signal(name)));
    }
}
