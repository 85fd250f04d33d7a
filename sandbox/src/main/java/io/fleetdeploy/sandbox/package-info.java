/**
 * A local, AWS-compatible cloud for tests, the demo and rehearsals (DESIGN.md, "The sandbox").
 * Depends on nothing of fleet-deploy's own.
 */
package io.fleetdeploy.sandbox;
