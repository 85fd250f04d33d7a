package io.fleetdeploy.agent;

import java.util.List;
import java.util.stream.Stream;

/** The shells the agent must run under: /bin/sh (dash on Debian) and bash in POSIX mode. */
final class Shells {

    private Shells() {
    }

    static Stream<List<String>> posixShells() {
        return Stream.of(List.of("sh"), List.of("bash", "--posix"));
    }
}
