package hudson.model;

import hudson.EnvVars;
import java.io.IOException;

/** jenkinsci/jenkins core. */
public abstract class Run<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> extends Actionable {

    protected final transient JobT project;

    protected Run(JobT job) throws IOException {
        this.project = job;
    }

    @Override
    public void addAction(Action a) {
        super.addAction(a);
        if (a instanceof jenkins.model.RunAction2 attached) {
            attached.onAttached(this);
        }
    }

    public JobT getParent() {
        return project;
    }

    public abstract int getNumber();

    public abstract String getUrl();

    public String getExternalizableId() {
        return project.getFullName() + "#" + getNumber();
    }

    public String getFullDisplayName() {
        return project.getFullName() + " #" + getNumber();
    }

    public abstract EnvVars getEnvironment(TaskListener listener) throws IOException, InterruptedException;

    public abstract void save() throws IOException;
}
