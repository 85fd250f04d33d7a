package io.fleetdeploy.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3", "v2026-11-26_1", "a", "App.Build-7"})
    void acceptsSafeNames(String name) {
        assertThat(Names.requireSafe("version", name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-rf", ".hidden", "a/b", "a b", "$(reboot)", "a;b", "v1..2", "ü", "a\nb"})
    void refusesNamesThatCouldEscapeAKeyOrAShellWord(String name) {
        assertThatThrownBy(() -> Names.requireSafe("version", name))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("version")
                .hasMessageContaining("Nothing was changed.");
    }

    @Test
    void refusesOverlongNames() {
        assertThat(Names.isSafe("a".repeat(128))).isTrue();
        assertThat(Names.isSafe("a".repeat(129))).isFalse();
    }

    @Test
    void messageDoesNotCarryControlCharacters() {
        assertThatThrownBy(() -> Names.requireSafe("app", "x\u001b[31mred"))
                .hasMessageNotContaining("\u001b");
    }
}
