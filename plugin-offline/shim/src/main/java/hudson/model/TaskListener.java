package hudson.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;

/** jenkinsci/jenkins core (there it extends SerializableOnlyOverRemoting). */
public interface TaskListener extends Serializable {

    PrintStream getLogger();

    TaskListener NULL = () -> new PrintStream(OutputStream.nullOutputStream());
}
