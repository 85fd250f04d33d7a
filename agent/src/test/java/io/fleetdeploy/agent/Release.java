package io.fleetdeploy.agent;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A test release: the files of its bundle (path -> content; paths under hooks/ are made
 * executable unless named in {@code plainHooks}), published in the exact S3 formats of the
 * contract. {@code manifestSha256}, when set, is written into the manifest instead of the real
 * checksum, to publish a corrupt release.
 */
record Release(String version, Map<String, String> files, Set<String> plainHooks, String manifestSha256,
        boolean prettyManifest) {

    static Release of(String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("app.txt", "application " + version + "\n");
        return new Release(version, files, Set.of(), null, false);
    }

    /** A hook that appends "<hook> <version>" to FLEET_HOME/hooks.log, then runs {@code body}. */
    Release withHook(String name, String body) {
        Map<String, String> copy = new LinkedHashMap<>(files);
        copy.put("hooks/" + name, "#!/bin/sh\necho \"" + name + " $FLEET_VERSION\" >> \"$FLEET_HOME/hooks.log\"\n" + body + "\n");
        return new Release(version, copy, plainHooks, manifestSha256, prettyManifest);
    }

    /** The same hook, but without the executable bit: the agent must run it with sh. */
    Release withPlainHook(String name, String body) {
        Release withHook = withHook(name, body);
        Set<String> plain = new HashSet<>(plainHooks);
        plain.add("hooks/" + name);
        return new Release(version, withHook.files(), Set.copyOf(plain), manifestSha256, prettyManifest);
    }

    /** Every hook logs itself, so a test can see which ran and in which order. */
    Release withLoggingHooks() {
        return withHook("stop", "").withHook("start", "").withPlainHook("validate", "");
    }

    Release withManifestSha256(String sha256) {
        return new Release(version, files, plainHooks, sha256, prettyManifest);
    }

    Release withPrettyManifest() {
        return new Release(version, files, plainHooks, manifestSha256, true);
    }
}
