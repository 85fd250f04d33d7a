package io.fleetdeploy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FiguresTest {

    private static final List<KeyFlip> FLIP_AT_10S = List.of(new KeyFlip("k1", "k2", 10_000, 10_050));
    private static final Map<String, String> KEYS = Map.of("1.0", "k1", "2.0", "k2");

    private static Sample served(long sent, long received, String version, String codeKey, String dbKey) {
        return new Sample(sent, received, 200, "i-1", version, codeKey, dbKey);
    }

    @Test
    void oldCodeAnsweringEntirelyAfterTheFlipIsSkewedAndAcrossTheFlipIsNot() {
        assertThat(Figures.isSkewed(served(10_100, 10_110, "1.0", "k1", "k1"), "k1", FLIP_AT_10S, KEYS)).isTrue();
        assertThat(Figures.isSkewed(served(10_020, 10_030, "1.0", "k1", "k1"), "k1", FLIP_AT_10S, KEYS)).isFalse();
        assertThat(Figures.isSkewed(served(9_000, 9_010, "1.0", "k1", "k1"), "k1", FLIP_AT_10S, KEYS)).isFalse();
        assertThat(Figures.isSkewed(served(9_000, 9_010, "2.0", "k2", "k1"), "k1", FLIP_AT_10S, KEYS)).isTrue();
        assertThat(Figures.isSkewed(served(11_000, 11_010, "2.0", "k2", "k2"), "k1", FLIP_AT_10S, KEYS)).isFalse();
    }

    @Test
    void codeWithoutAKeyHeaderIsJudgedByItsReleasesKey() {
        assertThat(Figures.isSkewed(served(12_000, 12_010, "1.0", null, "k2"), "k1", FLIP_AT_10S, KEYS)).isTrue();
        assertThat(Figures.isSkewed(served(12_000, 12_010, "2.0", null, "k2"), "k1", FLIP_AT_10S, KEYS)).isFalse();
    }

    @Test
    void countsErrorsSkewAndPercentilesPerSecond() {
        List<Sample> samples = List.of(
                served(100, 102, "1.0", "k1", "k1"),
                new Sample(200, 230, 503, "i-2", "2.0", "k2", "k1"),
                new Sample(1_100, 1_101, 0, null, null, null, null),
                served(10_500, 10_600, "1.0", "k1", "k1"));
        Figures figures = Figures.of(samples, "k1", FLIP_AT_10S, KEYS);

        assertThat(figures.requests()).isEqualTo(4);
        assertThat(figures.non2xx()).isEqualTo(2);
        assertThat(figures.noAnswer()).isEqualTo(1);
        assertThat(figures.skewed()).isEqualTo(1);
        assertThat(figures.skewFirstMillis()).isEqualTo(10_500);
        assertThat(figures.skewLastMillis()).isEqualTo(10_600);
        assertThat(figures.p50Millis()).isEqualTo(2);
        assertThat(figures.p99Millis()).isEqualTo(100);
        assertThat(figures.seconds()).hasSize(11);
        assertThat(figures.seconds().get(0)).isEqualTo(new Figures.Second(0, 2, 1, 0));
        assertThat(figures.seconds().get(10)).isEqualTo(new Figures.Second(10, 1, 0, 1));
    }
}
