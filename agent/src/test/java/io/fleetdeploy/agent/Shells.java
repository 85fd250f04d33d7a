package io.fleetdeploy.agent;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The shells the agent must run under: /bin/sh (dash on Debian) and bash in POSIX mode. */
final class Shells {

    private Shells() {
    }

    static Stream<List<String>> posixShells() {
        return Stream.of(List.of("sh"), List.of("bash", "--posix"));
    }

    /** Every shell with every S3 client ({@link AgentHarness#s3Clients()}). */
    static Stream<Arguments> posixShellsAndS3Clients() {
        return posixShells().flatMap(shell -> AgentHarness.s3Clients().map(client -> Arguments.of(shell, client)));
    }
}
