package hudson.model;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** jenkinsci/jenkins core. */
public abstract class Actionable {

    private final List<Action> actions = new CopyOnWriteArrayList<>();

    public List<Action> getActions() {
        return actions;
    }

    public void addAction(Action a) {
        actions.add(a);
    }

    public <T extends Action> T getAction(Class<T> type) {
        for (Action a : actions) {
            if (type.isInstance(a)) {
                return type.cast(a);
            }
        }
        return null;
    }
}
