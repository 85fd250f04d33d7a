package io.fleetdeploy.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar's manifest (the Maven project version). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = FleetDeployCli.class.getPackage().getImplementationVersion();
        return new String[] {"fleet-deploy " + (version != null ? version : "(development build)")};
    }
}
