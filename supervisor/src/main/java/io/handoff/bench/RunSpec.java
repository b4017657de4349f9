package io.handoff.bench;

/**
 * One row of the results: a handoff model started for this run, or an external target, under one workload, mode and
 * connection count.
 *
 * @param name  the row's name: the model, or the target's name
 * @param model the handoff model; null for a target
 * @param target the external server; null for a model
 */
record RunSpec(String name, String model, Target target, Workload handler, Mode mode, int connections) {
    static RunSpec model(String model, Workload handler, Mode mode, int connections) {
        return new RunSpec(model, model, null, handler, mode, connections);
    }

    static RunSpec target(Target target, Workload handler, Mode mode, int connections) {
        return new RunSpec(target.name(), null, target, handler, mode, connections);
    }

    boolean isTarget() {
        return target != null;
    }

    Protocol protocol() {
        return handler.protocol(mode);
    }

    /** How the progress line and logs name this run. */
    String label() {
        return name + " " + mode + " c=" + connections;
    }
}
