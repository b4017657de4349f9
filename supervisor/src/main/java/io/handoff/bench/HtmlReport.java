package io.handoff.bench;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.supervisor.Durations;

/**
 * report.html: one self-contained page (charts embedded as base64 PNG, no external files or scripts) with throughput
 * and p99 per model and concurrency, one chart pair per mode, and the full table.
 */
final class HtmlReport {
    private static final Logger log = LoggerFactory.getLogger(HtmlReport.class);
    private static final int WIDTH = 880;
    private static final int HEIGHT = 420;

    private HtmlReport() {}

    static String render(String command, String startedAt, BenchConfig config, MachineInfo machine,
            List<RunResult> runs) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>handoff bench ").append(esc(startedAt)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:")
                .append(WIDTH + 120).append("px;padding:0 1em;color:#222}\n")
                .append("h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\n")
                .append("code{background:#f3f3f3;padding:.1em .3em;border-radius:3px;word-break:break-all}\n")
                .append("table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em}")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\n")
                .append("tr.failed td{color:#a00}img{max-width:100%;border:1px solid #eee;margin:.5em 0}\n")
                .append("dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}")
                .append("dd{margin:0}\n</style>\n</head>\n<body>\n");
        h.append("<h1>handoff bench</h1>\n<p><code>").append(esc(command)).append("</code></p>\n");
        h.append("<dl>\n");
        dl(h, "started", startedAt);
        dl(h, "machine", machine.cores() + " cores" + (machine.cpuModel() == null ? "" : ", " + machine.cpuModel())
                + (machine.memoryMb() == null ? "" : ", " + machine.memoryMb() / 1024 + " GiB"));
        dl(h, "kernel", machine.os() + " " + machine.kernel() + " " + machine.arch());
        dl(h, "JDK", machine.jdk());
        dl(h, "set-up", config.setup().describe());
        dl(h, "handler", config.handler().name());
        dl(h, "each run", Durations.format(config.warmup()) + " warm-up, then " + Durations.format(config.duration())
                + " measured; " + config.clientThreads() + " load threads; timeout " + Durations.format(config.timeout()));
        h.append("</dl>\n");

        Set<Mode> modes = new LinkedHashSet<>();
        for (RunResult r : runs) modes.add(r.spec().mode());
        for (Mode mode : modes) {
            List<RunResult> ofMode = runs.stream().filter(r -> r.spec().mode() == mode).toList();
            h.append("<h2>").append(esc(modeTitle(config.handler(), mode))).append("</h2>\n");
            String t = modeTitle(config.handler(), mode);
            chart(h, ofMode, "Throughput: " + t, unitOf(config.handler(), mode), r -> r.load().perSecond());
            chart(h, ofMode, "p99 latency: " + t, "ms", r -> r.load().latency().p99());
        }

        h.append("<h2>All figures</h2>\n");
        table(h, runs);
        h.append("<p>Latency is per request, closed loop (each connection sends its next request when the previous ")
                .append("answer is complete), from the write, or from the connect when each request has its own ")
                .append("connection. Server CPU is utime+stime of the server's process tree over the measured ")
                .append("window; peak RSS the highest sum of VmRSS over the tree, sampled every 200 ms; HWM the sum ")
                .append("of each process's VmHWM. Client CPU is the bench process itself (the load generator).</p>\n");
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static String modeTitle(Workload w, Mode mode) {
        return switch (w) {
            case http -> mode == Mode.keepalive ? "HTTP keep-alive" : "HTTP, one request per connection";
            case hello -> "hello: a new connection per greeting";
            case echo -> "echo: 64-byte round trips on persistent connections";
        };
    }

    private static String unitOf(Workload w, Mode mode) {
        return w == Workload.hello || (w == Workload.http && mode == Mode.close) ? "connections/s" : "requests/s";
    }

    /** A grouped bar chart: connections on the x axis, one series per model or target. */
    private static void chart(StringBuilder h, List<RunResult> runs, String title, String unit,
            ToDoubleFunction<RunResult> metric) {
        List<String> categories = new ArrayList<>();
        Map<String, Map<String, Double>> series = new LinkedHashMap<>();
        for (RunResult r : runs) {
            String x = Integer.toString(r.spec().connections());
            if (!categories.contains(x)) categories.add(x);
            series.computeIfAbsent(r.spec().name(), k -> new LinkedHashMap<>())
                    .put(x, r.ok() && r.load().requests() > 0 ? metric.applyAsDouble(r) : 0.0);
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("connections").yAxisTitle(unit).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setLabelsFontColor(Color.DARK_GRAY);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern(unit.equals("ms") ? "#,##0.##" : "#,##0");
        for (Map.Entry<String, Map<String, Double>> e : series.entrySet()) {
            List<Double> ys = new ArrayList<>();
            for (String x : categories) ys.add(e.getValue().getOrDefault(x, 0.0));
            chart.addSeries(e.getKey(), categories, ys);
        }
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            h.append("<img alt=\"").append(esc(title)).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
        } catch (IOException | RuntimeException | LinkageError e) {
            // No fonts or no AWT on this machine: the numbers below still tell the story.
            log.warn("cannot draw the {} chart: {}", title, e.toString());
            h.append("<p><em>(chart not available: ").append(esc(e.toString())).append(")</em></p>\n");
        }
    }

    private static void table(StringBuilder h, List<RunResult> runs) {
        String[] head = {"model", "mode", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
            "errors (connect/reset/timeout/bad)", "server CPU µs/req", "client CPU µs/req", "peak RSS MB", "HWM MB",
            "processes"};
        h.append("<table>\n<tr>");
        for (String c : head) h.append("<th>").append(esc(c)).append("</th>");
        h.append("</tr>\n");
        for (RunResult r : runs) {
            RunSpec s = r.spec();
            h.append(r.ok() ? "<tr>" : "<tr class=\"failed\">");
            td(h, s.name(), false);
            td(h, s.mode().name(), false);
            td(h, Integer.toString(s.connections()), true);
            if (!r.ok()) {
                h.append("<td colspan=\"").append(head.length - 3).append("\">failed: ").append(esc(r.failure()))
                        .append("</td></tr>\n");
                continue;
            }
            LoadResult l = r.load();
            td(h, fmt("%.0f", l.perSecond()), true);
            td(h, fmt("%.3f", l.latency().p50()), true);
            td(h, fmt("%.3f", l.latency().p90()), true);
            td(h, fmt("%.3f", l.latency().p99()), true);
            td(h, fmt("%.3f", l.latency().p999()), true);
            td(h, fmt("%.1f", l.latency().max()), true);
            LoadResult.ErrorCounts e = l.errors();
            td(h, e.total() + (e.total() == 0 ? ""
                    : " (" + e.connect() + "/" + e.reset() + "/" + e.timeout() + "/" + e.badResponse() + ")"), true);
            td(h, opt(r.serverCpuMicrosPerRequest(), "%.1f"), true);
            td(h, opt(r.clientCpuMicrosPerRequest(), "%.1f"), true);
            td(h, opt(r.peakRssMb(), "%.1f"), true);
            td(h, opt(r.hwmMb(), "%.1f"), true);
            td(h, Integer.toString(r.serverPids().size()), true);
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static void td(StringBuilder h, String v, boolean numeric) {
        h.append(numeric ? "<td class=\"n\">" : "<td>").append(esc(v)).append("</td>");
    }

    private static void dl(StringBuilder h, String k, String v) {
        h.append("<dt>").append(esc(k)).append("</dt><dd>").append(esc(v)).append("</dd>\n");
    }

    private static String opt(Double v, String format) {
        return v == null ? "–" : fmt(format, v);
    }

    private static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
