package io.handoff.cli;

import java.util.List;
import java.util.Map;

/** Human-readable forms of control answers: a summary and a worker table for status, the message otherwise. */
final class Render {
    private Render() {}

    static String human(Map<String, Object> answer) {
        StringBuilder sb = new StringBuilder();
        if ("status".equals(answer.get("command"))) {
            sb.append(String.format("pid %s  model %s  handler %s  uptime %ss%s%n", answer.get("pid"),
                    answer.get("model"), answer.get("handler"), answer.get("uptime_seconds"),
                    Boolean.TRUE.equals(answer.get("reloading")) ? "  (reloading)" : ""));
            sb.append("listening on ").append(answer.get("listeners")).append('\n');
            sb.append("open connections ").append(answer.get("open"));
            if (answer.containsKey("max_connections")) {
                sb.append(" of ").append(answer.get("max_connections"));
                if (answer.containsKey("worker_connections")) {
                    sb.append(" (").append(answer.get("worker_connections")).append(" per worker)");
                }
            }
            if (answer.containsKey("served")) sb.append("  served ").append(answer.get("served"));
            if (answer.containsKey("workers_target")) sb.append("  workers ").append(answer.get("workers_target"));
            if (answer.containsKey("dispatch")) sb.append("  dispatch ").append(answer.get("dispatch"));
            sb.append('\n');
            Object totals = answer.containsKey("datagrams") ? answer.get("datagrams")
                    : answer.get("datagrams_by_current_workers");
            if (totals instanceof Map<?, ?> d) {
                sb.append(String.format("datagrams in %s  out %s  dropped %s  failed %s  undelivered %s%n", d.get("in"),
                        d.get("out"), d.get("dropped"), d.get("failed"), d.get("undelivered")));
            }
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> workers = (List<Map<String, Object>>) answer.get("workers");
            if (workers != null && !workers.isEmpty()) {
                String fmt = "%-4s %-8s %-4s %-16s %8s %10s %6s %8s";
                boolean datagrams = workers.get(0).get("datagrams") instanceof Map;
                sb.append(String.format(fmt, "ID", "PID", "GEN", "STATE", "AGE(s)", "SERVED", "OPEN", "RSS(MB)"));
                sb.append(datagrams ? String.format(" %10s %10s %8s%n", "DGRAM IN", "DGRAM OUT", "DROPPED") : "\n");
                for (Map<String, Object> w : workers) {
                    sb.append(String.format(fmt, w.get("id"), w.get("pid"), w.get("generation"), w.get("state"),
                            w.get("age_seconds"), w.get("served"), w.get("open"), w.get("rss_mb")));
                    if (datagrams && w.get("datagrams") instanceof Map<?, ?> d) {
                        sb.append(String.format(" %10s %10s %8s", d.get("in"), d.get("out"), d.get("dropped")));
                    }
                    sb.append('\n');
                }
            }
            return sb.toString();
        }
        if ("help".equals(answer.get("command"))) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> cmds = (List<Map<String, Object>>) answer.get("commands");
            for (Map<String, Object> c : cmds) {
                sb.append(String.format("  %-36s %s%n", c.get("usage"), c.get("description")));
            }
            return sb.toString();
        }
        Object message = answer.get("message");
        return (message != null ? message : answer) + "\n";
    }
}
