package io.fleetdeploy.cli.demo;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report printed at the end of a run: per strategy, its phases, the traffic figures, API calls and the final state. */
final class TextReport {

    private TextReport() {
    }

    static void print(PrintWriter out, List<ScenarioResult> results) {
        for (ScenarioResult result : results) {
            print(out, result);
        }
        out.flush();
    }

    private static void print(PrintWriter out, ScenarioResult r) {
        Figures f = r.figures();
        out.printf(Locale.ROOT, "== %s: %d instance(s), %d requests/s%s -> %s%n", r.strategy().label(), r.instances(), r.rps(),
                r.fault() == null ? "" : ", fault " + r.fault().label(),
                r.deployed() ? "deployed " + Scenario.V2 : "stopped and rolled back");
        out.printf(Locale.ROOT, "  fleet up on %s in %s%n", Scenario.V1, seconds(r.setupMillis()));
        out.println("  phases:");
        for (Phase phase : r.phases()) {
            out.printf(Locale.ROOT, "    %-20s %8s  %-11s %s%n", phase.name(), seconds(phase.durationMillis()), phase.outcome(),
                    shorten(phase.detail()));
        }
        out.printf(Locale.ROOT, "  requests %d in %s: non-2xx %d%s, skewed %d%s%n", f.requests(), seconds(r.loadMillis()), f.non2xx(),
                f.noAnswer() > 0 ? " (" + f.noAnswer() + " without answer)" : "", f.skewed(),
                f.skewed() > 0 ? " (window " + seconds(f.skewLastMillis() - f.skewFirstMillis()) + ", from t=" + seconds(f.skewFirstMillis()) + ")" : "");
        out.printf(Locale.ROOT, "  latency p50 %d ms, p99 %d ms, max %d ms%n", f.p50Millis(), f.p99Millis(), f.maxMillis());
        out.printf(Locale.ROOT, "  AWS API calls: %d%n", r.apiCallTotal());
        for (Map.Entry<String, Long> call : r.apiCalls().entrySet()) {
            out.printf(Locale.ROOT, "    %-48s %6d%n", call.getKey(), call.getValue());
        }
        out.println("  final state: " + (r.finalState().ok() ? "OK" : "NOT OK"));
        for (FinalState.Check check : r.finalState().checks()) {
            out.printf(Locale.ROOT, "    [%s] %s: %s%n", check.ok() ? "ok" : "!!", check.what(), check.detail());
        }
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static String shorten(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replace('\n', ' ');
        return line.length() > 110 ? line.substring(0, 107) + "..." : line;
    }
}
