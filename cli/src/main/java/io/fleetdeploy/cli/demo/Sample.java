package io.fleetdeploy.cli.demo;

/**
 * One request of the load generator and what answered it.
 *
 * @param sentMillis     when it was sent, milliseconds since the run's start
 * @param receivedMillis when the answer (or the failure) came, milliseconds since the run's start
 * @param status         the HTTP status; 0 when no answer came (connection refused, timeout)
 * @param instanceId     X-Instance-Id of the node that served it (null when absent)
 * @param appVersion     X-App-Version
 * @param codeKey        X-Code-Schema-Key: the key of the code that served it
 * @param dbKey          X-Db-Schema-Key: the database's key as that node saw it
 */
public record Sample(long sentMillis, long receivedMillis, int status, String instanceId, String appVersion,
                     String codeKey, String dbKey) {

    public boolean ok() {
        return status >= 200 && status < 300;
    }

    public long latencyMillis() {
        return receivedMillis - sentMillis;
    }
}
