package hudson.model;

/** jenkinsci/jenkins core (there it extends AbstractItem). */
public abstract class Job<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> implements Item {
}
