package io.fleetdeploy.core.operation;

/** Finds the definition of a persisted operation's kind, so that it can be resumed. */
public interface OperationCatalog {

    OperationDefinition<?, ?> definition(String kind);

    Effects effects();
}
