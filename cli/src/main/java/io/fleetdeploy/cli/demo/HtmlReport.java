package io.fleetdeploy.cli.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as one self-contained HTML page (inline CSS and SVG; nothing is fetched): per strategy,
 * the headline figures, then one time axis shared by the version of every instance (one lane each,
 * faded while out of service), the requests, errors and skewed responses per second, the pipeline's
 * phases as bands and the schema key flips as lines.
 */
final class HtmlReport {

    private static final int WIDTH = 1320;
    private static final int LEFT = 250;
    private static final int RIGHT = 30;
    private static final int LANE = 16;
    private static final int CHART = 150;
    private static final String[] VERSION_COLOURS = {"#4e79a7", "#59a14f", "#b07aa1", "#76b7b2"};
    private static final String NO_RELEASE = "#c9c3bd";
    private static final String[] BANDS = {"#f3efe0", "#e3eef7"};

    private HtmlReport() {
    }

    static String render(List<ScenarioResult> results) {
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fleet-deploy demo</title>\n<style>")
                .append("body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#222;background:#fff}")
                .append("h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px}")
                .append(".figs{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 10px}")
                .append(".fig{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:92px}")
                .append(".fig b{display:block;font-size:20px}.fig span{color:#666;font-size:12px}")
                .append(".good b{color:#2e7d32}.bad b{color:#c62828}.warn b{color:#b26a00}")
                .append("table{border-collapse:collapse;font-size:12px;margin-top:6px}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}")
                .append("details{margin:6px 0}svg text{font-family:system-ui,sans-serif}")
                .append("</style></head><body>\n<h1>fleet-deploy demo</h1>\n<div>Live traffic through the listener while release ")
                .append(Scenario.V2).append(" (a migration and schema key ").append(Scenario.K2).append(") replaces ")
                .append(Scenario.V1).append(" (key ").append(Scenario.K1)
                .append("), with the steps of examples/&lt;strategy&gt;.Jenkinsfile. Time axis: seconds since the load started.</div>\n");
        for (ScenarioResult result : results) {
            section(html, result);
        }
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void section(StringBuilder html, ScenarioResult r) {
        Figures f = r.figures();
        html.append("<h2>").append(esc(r.strategy().label())).append(": ").append(r.instances()).append(" instance(s) per group, ")
                .append(r.rps()).append(" requests/s").append(r.fault() == null ? "" : ", fault " + esc(r.fault().label()))
                .append(" &mdash; ").append(r.deployed() ? "deployed " + Scenario.V2 : "stopped and rolled back").append("</h2>\n");
        html.append("<div class=\"figs\">");
        fig(html, String.valueOf(f.requests()), "requests", "");
        fig(html, String.valueOf(f.non2xx()), "non-2xx", f.non2xx() == 0 ? "good" : "bad");
        fig(html, String.valueOf(f.skewed()), "skewed responses" + (f.skewed() > 0
                ? " (" + TextReport.seconds(f.skewLastMillis() - f.skewFirstMillis()) + " window)" : ""), f.skewed() == 0 ? "good" : "warn");
        fig(html, f.p50Millis() + " / " + f.p99Millis() + " ms", "latency p50 / p99", "");
        fig(html, String.valueOf(r.apiCallTotal()), "AWS API calls", "");
        fig(html, r.finalState().ok() ? "OK" : "NOT OK", "final state", r.finalState().ok() ? "good" : "bad");
        html.append("</div>\n");
        html.append(svg(r, f)).append('\n');
        html.append("<details open><summary>Phases</summary><table><tr><th>step</th><th>duration</th><th>outcome</th><th>detail</th></tr>");
        for (Phase phase : r.phases()) {
            html.append("<tr><td>").append(esc(phase.name())).append("</td><td>").append(TextReport.seconds(phase.durationMillis()))
                    .append("</td><td>").append(esc(phase.outcome())).append("</td><td>").append(esc(phase.detail())).append("</td></tr>");
        }
        html.append("</table></details>\n<details><summary>AWS API calls by action</summary><table>");
        r.apiCalls().forEach((action, count) -> html.append("<tr><td>").append(esc(action)).append("</td><td>").append(count).append("</td></tr>"));
        html.append("</table></details>\n<details><summary>Final state</summary><table>");
        for (FinalState.Check check : r.finalState().checks()) {
            html.append("<tr><td>").append(check.ok() ? "&#10003;" : "&#10007;").append("</td><td>").append(esc(check.what()))
                    .append("</td><td>").append(esc(check.detail())).append("</td></tr>");
        }
        html.append("</table></details>\n");
    }

    private static void fig(StringBuilder html, String value, String label, String cls) {
        html.append("<div class=\"fig ").append(cls).append("\"><b>").append(esc(value)).append("</b><span>").append(esc(label))
                .append("</span></div>");
    }

    private static String svg(ScenarioResult r, Figures f) {
        Map<String, List<VersionPoint>> lanes = new LinkedHashMap<>();
        for (VersionPoint point : r.versions()) {
            lanes.computeIfAbsent(point.instanceId(), id -> new ArrayList<>()).add(point);
        }
        Map<String, String> colours = new LinkedHashMap<>();
        r.keyOfVersion().keySet().forEach(v -> colours.put(v, VERSION_COLOURS[colours.size() % VERSION_COLOURS.length]));
        double end = Math.max(1000, r.loadMillis());
        double plot = WIDTH - LEFT - RIGHT;
        int phaseRows = 48;
        int lanesTop = phaseRows + 8;
        int lanesHeight = lanes.size() * LANE;
        int chartTop = lanesTop + lanesHeight + 28;
        int axisY = chartTop + CHART;
        int height = axisY + 56;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">",
                WIDTH, height, WIDTH, height));
        // Phases as bands over the whole height; their names (drawn over all bands) staggered on three rows.
        int index = 0;
        for (Phase phase : r.phases()) {
            double x0 = LEFT + plot * phase.startMillis() / end;
            double w = Math.max(1.5, plot * phase.durationMillis() / end);
            String fill = phase.succeeded() ? BANDS[index % 2] : "#fde0dc";
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0, w, axisY, fill));
            index++;
        }
        index = 0;
        for (Phase phase : r.phases()) {
            double x0 = LEFT + plot * phase.startMillis() / end;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s%s</text>", x0 + 2,
                    13 + 15 * (index % 3), phase.succeeded() ? "#333" : "#c62828", esc(phase.name()),
                    phase.succeeded() ? "" : " (" + esc(phase.outcome()) + ")"));
            index++;
        }
        // One lane per instance: its version over time, faded while not InService.
        int lane = 0;
        for (Map.Entry<String, List<VersionPoint>> entry : lanes.entrySet()) {
            int y = lanesTop + lane * LANE;
            List<VersionPoint> points = entry.getValue();
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">%s %s</text>",
                    LEFT - 6, y + LANE - 5, esc(points.get(0).group()), esc(entry.getKey())));
            for (int i = 0; i < points.size(); i++) {
                VersionPoint p = points.get(i);
                if (p.lifecycle() == null) {
                    continue;
                }
                double from = p.atMillis();
                double to = i + 1 < points.size() ? points.get(i + 1).atMillis() : end;
                String colour = p.version() == null ? NO_RELEASE : colours.getOrDefault(p.version(), "#999");
                double opacity = "InService".equals(p.lifecycle()) ? 1.0 : 0.35;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\">"
                                + "<title>%s: %s, %s</title></rect>", LEFT + plot * from / end, y + 2, Math.max(0.5, plot * (to - from) / end),
                        LANE - 4, colour, opacity, esc(entry.getKey()), p.version() == null ? "no release" : esc(p.version()), esc(p.lifecycle())));
            }
            lane++;
        }
        // Requests, errors and skewed responses per second.
        int max = Math.max(1, f.seconds().stream().mapToInt(Figures.Second::requests).max().orElse(1));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">requests/s</text>",
                LEFT - 6, chartTop + 10));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">%d</text>",
                LEFT - 6, chartTop + 24, max));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", LEFT, axisY, WIDTH - RIGHT, axisY));
        StringBuilder line = new StringBuilder();
        for (Figures.Second second : f.seconds()) {
            double x = LEFT + plot * (second.second() * 1000 + 500) / end;
            double bar = Math.max(1, plot * 1000 / end - 1);
            if (second.errors() > 0) {
                double h = CHART * second.errors() / (double) max;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d62728\"><title>t=%ds: %d non-2xx</title></rect>",
                        x - bar / 2, axisY - h, bar, h, second.second(), second.errors()));
            }
            if (second.skewed() > 0) {
                // Stacked on the errors of the same second.
                double base = axisY - CHART * second.errors() / (double) max;
                double h = CHART * second.skewed() / (double) max;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ff9f1c\" fill-opacity=\"0.85\"><title>t=%ds: %d skewed</title></rect>",
                        x - bar / 2, base - h, bar, h, second.second(), second.skewed()));
            }
            line.append(line.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f,%.1f ", x,
                    axisY - CHART * second.requests() / (double) max));
        }
        if (line.length() > 0) {
            s.append("<path d=\"").append(line).append("\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\"/>");
        }
        // Schema key flips.
        for (KeyFlip flip : r.flips()) {
            double x = LEFT + plot * flip.afterMillis() / end;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c62828\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>",
                    x, phaseRows, x, axisY));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" font-weight=\"bold\" fill=\"#c62828\">key %s&#8594;%s</text>",
                    x + 4, chartTop - 8, esc(flip.from()), esc(flip.to())));
        }
        // Time axis.
        int step = end > 240_000 ? 30 : end > 60_000 ? 10 : 5;
        for (int t = 0; t * 1000 <= end; t += step) {
            double x = LEFT + plot * t * 1000 / end;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>", x, axisY, x, axisY + 4));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">%ds</text>", x, axisY + 16, t));
        }
        // Legend.
        int lx = LEFT;
        int ly = axisY + 40;
        for (Map.Entry<String, String> colour : colours.entrySet()) {
            lx = legend(s, lx, ly, colour.getValue(), "runs " + colour.getKey() + " (key " + r.keyOfVersion().get(colour.getKey()) + ")");
        }
        lx = legend(s, lx, ly, NO_RELEASE, "no release");
        lx = legend(s, lx, ly, "#888", "faded: Standby / Pending / leaving");
        lx = legend(s, lx, ly, "#d62728", "non-2xx/s");
        lx = legend(s, lx, ly, "#ff9f1c", "skewed/s");
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-width=\"1.5\"/>", lx, ly - 4, lx + 18, ly - 4));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">requests/s</text>", lx + 22, ly));
        s.append("</svg>");
        return s.toString();
    }

    private static int legend(StringBuilder s, int x, int y, String colour, String label) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"%s/>", x, y - 9, colour,
                colour.equals("#888") ? " fill-opacity=\"0.35\"" : ""));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>", x + 18, y, esc(label)));
        return x + 26 + label.length() * 7;
    }

    static String esc(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
