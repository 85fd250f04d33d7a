package io.fleetdeploy.sandbox.services;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Identifiers shaped like AWS's: i-0123456789abcdef0, 16 hex digits in ARNs, UUIDs for commands. */
final class Ids {

    private final SecureRandom random = new SecureRandom();

    String hex(int digits) {
        byte[] bytes = new byte[(digits + 1) / 2];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes).substring(0, digits);
    }

    String instanceId() {
        return "i-0" + hex(16);
    }

    String reservationId() {
        return "r-0" + hex(16);
    }

    String uuid() {
        return java.util.UUID.randomUUID().toString();
    }
}
