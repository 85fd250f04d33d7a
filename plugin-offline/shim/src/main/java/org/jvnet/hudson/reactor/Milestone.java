package org.jvnet.hudson.reactor;

/** jenkinsci/lib-task-reactor: a marker for a point reached during Jenkins' start or shutdown. */
public interface Milestone {
}
