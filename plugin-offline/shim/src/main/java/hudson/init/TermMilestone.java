package hudson.init;

import org.jvnet.hudson.reactor.Milestone;

/** jenkinsci/jenkins core: milestones of the shutdown ({@code ordering()} left out: the plugin does not use it). */
public enum TermMilestone implements Milestone {
    STARTED("Started termination"),
    COMPLETED("Completed termination");

    private final String message;

    TermMilestone(String message) {
        this.message = message;
    }

    @Override
    public String toString() {
        return message;
    }
}
