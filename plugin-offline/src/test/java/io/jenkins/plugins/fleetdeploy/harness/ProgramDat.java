package io.jenkins.plugins.fleetdeploy.harness;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.jenkinsci.plugins.workflow.steps.StepExecution;

/**
 * A step execution written and read back with Java serialization, as a Pipeline's program.dat
 * keeps it across a controller restart (the context is saved by reference: {@link HarnessContext}).
 */
public final class ProgramDat {

    private ProgramDat() {
    }

    public static byte[] save(StepExecution execution) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(execution);
        }
        return bytes.toByteArray();
    }

    public static StepExecution load(byte[] saved) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(saved))) {
            return (StepExecution) in.readObject();
        }
    }
}
